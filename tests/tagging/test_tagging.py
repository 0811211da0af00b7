import io
import json
from pathlib import Path

import pytest

from newsmon.cli import main
from newsmon.errors import ConfigError
from newsmon.tagging import Tagger, load_taxonomy
from newsmon.tagging.matching import normalize

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "eval" / "seed" / "scraped-article.txt"


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_taxonomy(ROOT / "config" / "topics.yaml"))


def small_tagger(tmp_path: Path, topics: str, extra: str = "") -> Tagger:
    """A tagger over a taxonomy written for one test (thresholds and weights chosen by the test)."""
    path = tmp_path / "topics.yaml"
    path.write_text(
        "defaults: {threshold: 4, title_boost: 2, lead_boost: 1, length_ref_chars: 0}\n"
        + extra
        + "topics:\n  - id: arms_control\n    name: Arms control\n    terms: []\n"
        + topics,
        encoding="utf-8",
    )
    return Tagger(load_taxonomy(path))


GENEVA = (
    "US and Russian delegations meet in Geneva for strategic stability talks",
    "Deputy Foreign Minister Sergei Riabkov said the strategic stability dialogue would continue. "
    "The two sides discussed the future of New START and arms control after 2026.",
)


def test_strategic_stability_story(tagger):
    result = tagger.tag(*GENEVA)
    assert result.topics == ["arms_control", "arms_control.strategic_stability"]
    assert result.scores["arms_control.strategic_stability"] >= 8


def test_evidence_points_at_the_text(tagger):
    title, body = GENEVA
    result = tagger.tag(title, body)
    terms = {ev["term"] for ev in result.evidence}
    assert {"strategic stability", "New START", "arms control"} <= terms
    for ev in result.evidence:
        text = title if ev["field"] == "title" else body
        assert text[ev["start"] : ev["end"]] == ev["text"]
        assert ev["text"] in ev["snippet"]
        assert ev["topic"].startswith("arms_control") and ev["weight"] > 0


def test_unrelated_stories_are_not_tagged(tagger):
    sports = tagger.tag(
        "City win the derby 3-1", "A late goal settled the match; the coach praised his defence."
    )
    family = tagger.tag(
        "Is the nuclear family still the norm?",
        "The nuclear family, two parents and their children, is less common than it was. "
        "Sociologists say the nuclear family model has changed.",
    )
    assert sports.topics == [] and family.topics == []


def test_one_passing_mention_is_not_a_tag(tagger):
    body = (
        "The city council met on Tuesday to discuss parking. " * 30
        + "Someone mentioned the New START treaty once."
    )
    result = tagger.tag("Council debates parking", body)
    assert result.topics == []
    assert result.scores["arms_control.strategic_stability"] > 0  # seen, and kept as evidence
    assert tagger.tag("New START treaty expires", body).topics != []  # the same term in the title is


def test_title_counts_more_than_body(tagger):
    in_title = tagger.tag("Talks on chemical weapons resume", "Diplomats met on Monday.")
    in_body = tagger.tag("Talks resume", "Diplomats met on Monday about chemical weapons.")
    assert in_title.scores["arms_control.chemical_weapons"] > in_body.scores["arms_control.chemical_weapons"]


def test_long_stories_need_more_evidence(tagger):
    mention = "Officials discussed the Iran nuclear deal. "
    filler = "The weather in the capital was mild and markets were calm. "
    short = tagger.tag("Officials meet", filler * 10 + mention * 3)
    long = tagger.tag("Officials meet", filler * 200 + mention * 3)
    assert short.scores["arms_control.nonproliferation"] > long.scores["arms_control.nonproliferation"]


def test_accents_case_hyphens_and_other_scripts(tagger):
    es = tagger.tag(
        "Rusia y EEUU", "Las conversaciones sobre estabilidad estrategica y el nuevo START siguen en Ginebra."
    )
    assert "arms_control.strategic_stability" in es.topics
    hyphen = tagger.tag(
        "Treaty", "The Non\u2011Proliferation Treaty and the non proliferation regime; the NPT."
    )
    assert {ev["text"] for ev in hyphen.evidence} >= {"Non\u2011Proliferation Treaty", "NPT"}
    ru_in_en = tagger.tag(
        "Treaty review", "Moscow said the ДНЯО review conference, the NPT meeting, must go ahead."
    )
    assert "arms_control.nonproliferation" in ru_in_en.topics


def test_german_compounds_and_russian_endings(tagger):
    de = tagger.tag("Atomwaffensperrvertrag in Gefahr", "Die Rüstungskontrollverhandlungen stocken.")
    assert {ev["text"] for ev in de.evidence} == {"Atomwaffensperrvertrag", "Rüstungskontrollverhandlungen"}
    ru = tagger.tag("Заявление", "Речь шла о химическом оружии и о стратегической стабильности.")
    assert {ev["text"] for ev in ru.evidence} == {"химическом оружии", "стратегической стабильности"}
    # German written without umlauts still counts.
    assert tagger.tag("x", "Ruestungskontrolle").evidence


def test_whole_words_only(tagger):
    result = tagger.tag("Information", "The INFO desk and the Sarinah mall; nonproliferationists argued.")
    assert result.evidence == []


def test_acronyms_match_in_their_case_only(tagger):
    assert (
        "arms_control.nonproliferation" not in tagger.tag("x", "the npt file format and the ctbt tool").topics
    )
    assert (
        "arms_control.nonproliferation"
        in tagger.tag("NPT review", "The NPT review conference opened.").topics
    )


def test_everyday_phrases_are_not_treaties(tagger):
    result = tagger.tag(
        "A New Start for City", "The club made a new start; he will start 3 games at the start."
    )
    assert result.evidence == []
    assert tagger.tag("x", "Russia and the US extended New START.").evidence


def test_ambiguous_acronyms_need_their_context(tagger):
    alone = tagger.tag("A fast START", "The team made a fast START and INF was the shirt sponsor.")
    assert alone.evidence == []
    treaty = tagger.tag(
        "Treaty", "Russia and the US were bound by START; the INF treaty banned such missiles."
    )
    assert {ev["text"] for ev in treaty.evidence} >= {"START", "INF treaty"}


def test_idioms_cancel_terms_and_context(tmp_path):
    t = small_tagger(
        tmp_path,
        "  - id: arms_control.conventional_arms\n    name: C\n    terms:\n"
        "      - {weight: 5, en: [arms], context: {near: [chair, weapon*], window: 80}}\n",
        extra="exclusions: [arms of the chair, open arms, 'weapon of choice']\n",
    )
    assert t.tag("x", "He rested on the arms of the chair.").evidence == []
    assert t.tag("x", "She welcomed them with open arms, her charm the weapon of choice.").evidence == []
    # The rule itself works: with real context the same word counts.
    found = t.tag("x", "They smuggled arms and weapons across the border.")
    assert [ev["text"] for ev in found.evidence] == ["arms"]


def test_threshold_per_topic(tmp_path):
    topics = (
        "  - {id: arms_control.a, name: A, threshold: 3, terms: [{weight: 3, en: [alpha treaty]}]}\n"
        "  - {id: arms_control.b, name: B, threshold: 20, terms: [{weight: 3, en: [beta treaty]}]}\n"
    )
    t = small_tagger(tmp_path, topics)
    assert t.tag("x", "The alpha treaty.").topics == ["arms_control", "arms_control.a"]
    assert t.tag("x", "The beta treaty.").topics == []


def test_text_with_soft_hyphens_and_decomposed_accents(tagger):
    body = "Le d\u00e9sarmement nucle\u0301aire et la non-prolif\u00adération sont au menu."
    result = tagger.tag("x", body)
    texts = {ev["text"] for ev in result.evidence}
    assert "d\u00e9sarmement nucle\u0301aire" in texts  # offsets still point at the original
    assert "non-prolif\u00adération" in texts
    decomposed = "Les armes chimiques et le de\u0301sarmement nucle\u0301aire."  # no soft hyphen
    texts = {ev["text"] for ev in tagger.tag("x", decomposed).evidence}
    assert texts == {"armes chimiques", "de\u0301sarmement nucle\u0301aire"}


def test_normalize_keeps_offsets():
    norm = normalize("New\u2011START \u2014 “treaty”")
    assert norm.index is None and norm.lower == "new start   “treaty”"
    slow = normalize("e\u0301tat\u00ad-major")
    assert slow.lower == "état major"
    assert slow.span(0, 4) == (0, 5)


def test_validation_names_file_topic_and_key(tmp_path):
    path = tmp_path / "topics.yaml"
    path.write_text(
        "topics:\n  - id: arms_control\n    name: A\n"
        "  - id: arms_control.testing\n    name: T\n    terms:\n      - {en: [nuclear test], wieght: 3}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_taxonomy(path)
    message = str(err.value)
    assert str(path) in message and "topics[1].terms[0]" in message
    assert "arms_control.testing" in message and "wieght" in message


def test_validation_of_languages_and_wildcards(tmp_path):
    path = tmp_path / "topics.yaml"
    path.write_text(
        "languages: [en, ru]\ntopics:\n"
        "  - {id: arms_control, name: A, terms: [{en: [arms control], ru: [разоружени*]}]}\n"
        "  - id: arms_control.x\n    name: X\n    terms: [{en: [nuclear test]}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"topic arms_control\.x: no terms in ru"):
        load_taxonomy(path)
    path.write_text(
        "topics:\n  - id: arms_control\n    name: A\n    terms: [{en: ['a*b']}]\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"topics\[0\]\.terms\[0\].*may only end a word"):
        load_taxonomy(path)


@pytest.mark.skipif(not SEED.exists(), reason=f"seed story not found at {SEED}")
def test_seed_story(tagger):
    text = SEED.read_text(encoding="utf-8")
    title, _, body = text.partition("\n")
    result = tagger.tag(title, body)
    assert "arms_control" in result.topics
    assert "arms_control.strategic_stability" in result.topics
    names = {e["name"] for e in result.entities}
    assert {"Sergei Ryabkov", "Wendy Sherman"} <= names


def test_cli_jsonl_adds_tags_evidence_and_entities(monkeypatch, capsys):
    line = json.dumps(
        {"id": 7, "title": "NPT review", "body": "The NPT review conference opened in New York."}
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(line + "\n"))
    assert main(["tag", "--jsonl", "--topics", str(ROOT / "config" / "topics.yaml")]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["id"] == 7 and "arms_control.nonproliferation" in record["topics"]
    assert record["topic_evidence"][0]["term"] == "NPT" and record["topic_scores"]["arms_control"] > 0
    assert {e["id"] for e in record["entities"]} >= {"npt"}


def test_cli_explains_each_tag(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("Chemical weapons talks\nThe OPCW met in The Hague.\n"))
    assert main(["tag", "--topics", str(ROOT / "config" / "topics.yaml")]) == 0
    out = capsys.readouterr().out
    assert "topics: arms_control, arms_control.chemical_weapons" in out
    assert "'chemical weapon*' (weight 4) in title [0:16]" in out and "organisation:" in out
