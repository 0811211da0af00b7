from pathlib import Path

import pytest

from newsmon.tagging import Tagger, normalize
from newsmon.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "eval" / "seed" / "scraped-article.txt"


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_taxonomy(ROOT / "config" / "topics.yaml"))


GENEVA = (
    "US and Russian delegations meet in Geneva for strategic stability talks",
    "Deputy Foreign Minister Sergei Riabkov said the strategic stability dialogue would continue. "
    "The two sides discussed the future of New START and arms control after 2026.",
)


def test_strategic_stability_story(tagger):
    result = tagger.tag(*GENEVA)
    assert result.topics[0] == "arms_control"
    assert "arms_control.strategic_stability" in result.topics
    assert result.scores["arms_control.strategic_stability"] >= 4


def test_evidence_offsets_point_at_the_text(tagger):
    title, body = GENEVA
    result = tagger.tag(title, body)
    assert result.evidence
    for ev in result.evidence:
        text = title if ev["field"] == "title" else body
        found = text[ev["start"] : ev["end"]]
        assert normalize(found)[0].replace("-", " ") == normalize(ev["term"])[0].replace("-", " ")
        assert found in ev["snippet"]


def test_unrelated_stories_are_not_tagged(tagger):
    sports = tagger.tag("City win the derby 3-1", "A late goal settled the match; the coach praised his defence.")
    family = tagger.tag(
        "Is the nuclear family still the norm?",
        "The nuclear family, two parents and their children, is less common than it was. "
        "Sociologists say the nuclear family model has changed.",
    )
    assert sports.topics == [] and family.topics == []


def test_one_passing_mention_is_not_a_tag(tagger):
    body = "The city council met on Tuesday to discuss parking. " * 30 + "Someone mentioned nuclear weapons once."
    assert tagger.tag("Council debates parking", body).topics == []


def test_accents_case_and_other_scripts(tagger):
    es = tagger.tag("Rusia y EEUU", "Las conversaciones sobre estabilidad estrategica y el nuevo START siguen en Ginebra.")
    assert "arms_control.strategic_stability" in es.topics
    ru_in_en = tagger.tag("Treaty review", "Moscow said the ДНЯО review conference, the NPT meeting, must go ahead.")
    assert "arms_control.nonproliferation" in ru_in_en.topics


def test_case_sensitive_acronyms(tagger):
    # "npt" in lower case is not the treaty; "NPT" is.
    assert "arms_control.nonproliferation" not in tagger.tag("x", "the npt file format and the ctbt tool").topics
    assert "arms_control.nonproliferation" in tagger.tag("NPT review", "The NPT review conference opened.").topics


@pytest.mark.skipif(not SEED.exists(), reason=f"seed story not found at {SEED}")
def test_seed_story(tagger):
    text = SEED.read_text(encoding="utf-8")
    title, _, body = text.partition("\n")
    result = tagger.tag(title, body)
    assert "arms_control" in result.topics
    assert "arms_control.strategic_stability" in result.topics
