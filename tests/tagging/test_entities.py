from pathlib import Path

import pytest

from newsmon.errors import ConfigError
from newsmon.tagging import Tagger, load_entities, load_taxonomy
from newsmon.tagging.tagger import EntityHit, collect

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_taxonomy(ROOT / "config" / "topics.yaml"))


def by_id(result) -> dict:
    return {e["id"]: e for e in result.entities}


def test_shipped_catalog_has_every_type():
    catalog = load_entities(ROOT / "config" / "entities.yaml")
    types = {e.type for e in catalog.entities}
    assert types == {"treaty", "organisation", "weapon_system", "venue", "official"}
    assert all(e.role for e in catalog.entities if e.type == "official")


def test_typed_entities_with_roles(tagger):
    result = tagger.tag(
        "IAEA chief Rafael Grossi heads to Tehran",
        "Grossi will discuss safeguards under the NPT with Iranian officials. Russia's envoy in Vienna, "
        "Mikhail Ulyanov, said the talks in Vienna could revive the JCPOA. Iran has tested the Shahab-3.",
    )
    found = by_id(result)
    assert found["rafael_grossi"]["type"] == "official"
    assert "IAEA" in found["rafael_grossi"]["role"] and found["rafael_grossi"]["organisation"] == "iaea"
    assert found["iaea"]["type"] == "organisation" and found["npt"]["type"] == "treaty"
    assert found["jcpoa"]["type"] == "treaty" and found["shahab_3"]["type"] == "weapon_system"
    assert found["vienna_talks"]["type"] == "venue" and found["vienna_talks"]["mentions"] == 2
    first = found["iaea"]["first"]
    assert first == {"field": "title", "start": 0, "end": 4}


def test_names_that_are_ordinary_words_need_context(tagger):
    plain = by_id(
        tagger.tag("Weekend in Geneva", "We walked by the lake in Geneva. The Avangard fans cheered.")
    )
    assert "geneva_talks" not in plain and "avangard" not in plain
    talks = by_id(
        tagger.tag(
            "Talks",
            "Delegations began a new round of talks in Geneva on the Avangard hypersonic glide vehicle.",
        )
    )
    assert {"geneva_talks", "avangard"} <= set(talks)


def test_acronyms_are_case_sensitive(tagger):
    assert "iaea" not in by_id(tagger.tag("x", "the iaea"))
    assert "iaea" in by_id(tagger.tag("x", "the IAEA and МАГАТЭ"))


def test_officials_can_be_evidence_for_their_topic(tagger):
    result = tagger.tag("x", "Sergei Ryabkov spoke to reporters.")
    ev = [e for e in result.evidence if e["text"] == "Sergei Ryabkov"]
    assert ev and ev[0]["topic"] == "arms_control.strategic_stability"
    assert result.topics == []  # one official's name is evidence, not a tag


def test_collect_merges_mentions():
    catalog = load_entities(ROOT / "config" / "entities.yaml")
    n = next(i for i, e in enumerate(catalog.entities) if e.id == "new_start")
    hits = [EntityHit(n, "СНВ-3", "body", 40, 45), EntityHit(n, "New START", "title", 3, 12)]
    [record] = collect(catalog, hits)
    assert record["mentions"] == 2 and record["aliases"] == ["New START", "СНВ-3"]
    assert record["first"] == {"field": "title", "start": 3, "end": 12}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{id: x, type: official, name: X, aliases: [X Y]}", r"entities\[0\].*\(entity x\).*needs a role"),
        ("{id: x, type: treaty, name: X}", r"needs at least one alias"),
        ("{id: x, type: weapon, name: X, aliases: [X]}", r"entities\[0\]\.type"),
        (
            "{id: x, type: official, name: X, role: R, organisation: nope, aliases: [X Y]}",
            r"'nope' is not an organisation",
        ),
    ],
)
def test_catalog_errors_name_file_entity_and_key(tmp_path, entry, message):
    path = tmp_path / "entities.yaml"
    path.write_text(f"entities:\n  - {entry}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        load_entities(path)
    assert str(path) in str(err.value)


def test_one_alias_one_entity(tmp_path):
    path = tmp_path / "entities.yaml"
    path.write_text(
        "entities:\n  - {id: a, type: treaty, name: A, aliases: [Same Name]}\n"
        "  - {id: b, type: treaty, name: B, aliases: [same name]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="also belongs to a"):
        load_entities(path)


def test_entity_topic_must_exist(tmp_path):
    (tmp_path / "entities.yaml").write_text(
        "entities:\n  - {id: a, type: official, name: A, role: R, aliases: [Anna Smith],\n"
        "     topic: arms_control.nope}\n",
        encoding="utf-8",
    )
    (tmp_path / "topics.yaml").write_text(
        "entities_file: entities.yaml\n"
        "topics:\n  - {id: arms_control, name: A, terms: [{en: [arms control]}]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"entities\[0\]\.topic \(entity a\)"):
        load_taxonomy(tmp_path / "topics.yaml")
