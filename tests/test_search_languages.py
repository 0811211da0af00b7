"""Articles are searched in their own language: a base form finds inflected forms, through
`newsmon.search.search` on articles indexed the way the pipeline indexes them; a quoted phrase
still means exactly those words; alert rules match the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.alerts.percolate import percolate, sync_rules
from newsmon.alerts.rules import load_alerts
from newsmon.analysis import base_field, language_fields, search_fields
from newsmon.records import Article
from newsmon.search import merged_highlights, search
from newsmon.settings import load_settings
from newsmon.storage import Storage
from newsmon.storage.client import make_client

# language: (inflected text in the article, base forms that must find it, a word that must not)
CASES = {
    "en": ("The US and Russia held consultations on nuclear weapons.", ["weapon", "consultation"], "missile"),
    "es": ("Las armas nucleares y los misiles del país.", ["arma", "misil", "nuclear"], "tratado"),
    "fr": ("Les armes nucléaires et les missiles balistiques.", ["arme", "missile", "balistique"], "traité"),
    "de": ("Die Waffen und die Raketen der Atommächte.", ["Waffe", "Rakete"], "Vertrag"),
    "ru": ("Испытания ракеты и поставки оружия продолжаются.", ["ракета", "оружие", "испытание"], "договор"),
    "it": ("I missili nucleari e le testate.", ["missile", "nucleare", "testata"], "trattato"),
}
ID = {lang: f"a{n}" for n, lang in enumerate(sorted(CASES))}


def article(n: int, lang: str | None, body: str, title: str = "Report") -> Article:
    return Article(
        id=f"a{n}", url=f"https://news.example/{n}", canonical_url=f"https://news.example/{n}",
        source="feed", source_domain="news.example", title=title, body=body, summary=None, authors=[],
        published_at="2026-11-20T10:00:00Z", fetched_at="2026-11-28T00:00:00Z", language=lang,
        content_hash=f"h{n}", topics=["arms_control"], url_ids=[f"a{n}"],
    )  # fmt: skip


def test_language_copies_only_for_the_detected_language():
    doc = article(1, "en", "weapons", title="Talks").to_document()
    assert doc["body_en"] == "weapons" and doc["title_en"] == "Talks" and "summary_en" not in doc
    assert not [k for k in doc if k.endswith(("_es", "_fr", "_de", "_ru", "_it"))]
    other = article(2, "pl", "broń jądrowa").to_document()
    assert language_fields(other) == {} and not [k for k in other if k.startswith("body_")]
    assert language_fields(article(3, None, "x").to_document()) == {}


def test_search_fields_and_highlight_merge():
    fields = search_fields(["title^2", "body", "authors"])
    assert "title_ru^2" in fields and "body_es" in fields and "authors_en" not in fields
    assert base_field("body_en") == "body" and base_field("body_xx") == "body_xx"
    hit = {"highlight": {"body": ["**weapons**"], "body_en": ["**weapons** and **weapon**"], "title": ["t"]}}
    assert merged_highlights(hit) == {"title": ["t"], "body": ["**weapons** and **weapon**"]}


@pytest.fixture(scope="module")
def storage(es_url: str):
    """One index for the module: every language's article plus an unsupported language."""
    import uuid

    with Storage(
        make_client(load_settings({"NEWSMON_ES_URL": es_url})), f"t{uuid.uuid4().hex[:10]}-", es_url
    ) as s:
        s.setup()
        arts = [article(n, lang, CASES[lang][0]) for n, lang in enumerate(sorted(CASES))]
        arts.append(article(90, "en", "A test of nuclear weapons was reported.", title="Exact"))
        arts.append(article(91, "en", "Weapons were moved; nuclear talks went on.", title="Apart"))
        arts.append(article(92, "pl", "Broń jądrowa i rakiety.", title="Polish"))
        # Domain synonyms (search time): "arms" is weapons; "arm" is a limb.
        arts.append(
            article(93, "en", "Control of the proliferation of arms was on the agenda.", title="Geneva")
        )
        arts.append(article(94, "en", "The goalkeeper broke her arm and was taken off.", title="Sport"))
        arts.append(article(95, "es", "El control de armamentos fue el tema principal.", title="Ginebra"))
        result = s.articles.write(arts, {})
        assert not result.errors
        s.articles.refresh()
        yield s
        s.drop_all()


def _ids(storage: Storage, query: str) -> set[str]:
    return {h["id"] for h in search(storage, query, size=50)["hits"]}


@pytest.mark.integration
@pytest.mark.parametrize("lang", sorted(CASES))
def test_base_form_finds_inflected_forms(storage, lang):
    text, bases, absent = CASES[lang]
    for base in bases:
        assert ID[lang] in _ids(storage, base), f"{lang}: {base!r} should find {text!r}"
    assert ID[lang] not in _ids(storage, absent)
    hit = next(h for h in search(storage, bases[0])["hits"] if h["id"] == ID[lang])
    assert any("**" in frag for frag in hit["highlights"]), "the inflected word is highlighted"


@pytest.mark.integration
def test_quoted_phrase_matches_exactly(storage):
    assert _ids(storage, '"nuclear weapons"') == {ID["en"], "a90"}  # "on nuclear weapons"
    assert _ids(storage, '"nuclear weapon"') == set()  # no stemming inside quotes
    assert _ids(storage, '"weapons nuclear"') == set()  # word order counts
    assert {"a90", "a91"} <= _ids(storage, "weapon nuclear")  # bare words: stemmed, any order


WEAPONS_EN = {ID["en"], "a90", "a91"}  # "nuclear weapons", "nuclear weapons", "Weapons were moved"


@pytest.mark.integration
@pytest.mark.parametrize(
    "query, must, must_not",
    [
        ("weapon", WEAPONS_EN | {"a93"}, {"a94"}),  # "arms" is weapons; a broken arm is not
        ("weapons", WEAPONS_EN | {"a93"}, {"a94"}),
        ("Weaponry", WEAPONS_EN | {"a93"}, {"a94"}),
        ("arms", WEAPONS_EN | {"a93"}, {"a94"}),  # and the other way round
        ("armaments", WEAPONS_EN | {"a93"}, {"a94"}),
        ("arm", {"a94"}, WEAPONS_EN | {"a93"}),  # the limb finds only the limb
        ("arma", {ID["es"], "a95"}, set()),  # es: armas ~ armamentos
        ("armamento", {ID["es"], "a95"}, set()),
        ('"nuclear arms"', set(), WEAPONS_EN),  # a phrase stays exact: no synonyms inside quotes
        ('"of arms"', {"a93"}, set()),
    ],
)
def test_domain_synonyms_at_search_time(storage, query, must, must_not):
    found = _ids(storage, query)
    assert must <= found, (query, found)
    assert not (must_not & found), (query, found)


@pytest.mark.integration
def test_synonym_match_is_highlighted(storage):
    hit = next(h for h in search(storage, "weapon")["hits"] if h["id"] == "a93")
    assert any("**arms**" in frag for frag in hit["highlights"]), hit["highlights"]


def test_search_analyzers_match_the_template():
    import json
    from importlib import resources

    from newsmon.analysis import LANGUAGES, SEARCH_ANALYZERS

    body = json.loads(
        resources.files("newsmon.resources").joinpath("articles-template.json").read_text("utf-8")
    )
    props = body["template"]["mappings"]["properties"]
    defined = body["template"]["settings"]["analysis"]["analyzer"]
    for lang, analyzer in LANGUAGES.items():
        for name in ("title", "body", "summary"):
            spec = props[f"{name}_{lang}"]
            assert spec["analyzer"] == analyzer
            assert spec.get("search_analyzer") == SEARCH_ANALYZERS.get(lang), spec
            if lang in SEARCH_ANALYZERS:
                # Exact phrases never expand; the search chain is the index chain plus synonyms.
                assert spec["search_quote_analyzer"] == analyzer
                index_chain = defined[analyzer]["filter"]
                search_chain = defined[SEARCH_ANALYZERS[lang]]["filter"]
                assert (
                    search_chain[: len(index_chain)] == index_chain
                    and len(search_chain) == len(index_chain) + 1
                )


@pytest.mark.integration
def test_unsupported_language_falls_back_to_standard(storage):
    assert _ids(storage, "rakiety") == {"a92"}  # the exact word, standard analysis
    assert _ids(storage, "rakieta") == set()


@pytest.mark.integration
def test_alert_rules_match_inflected_forms(storage, tmp_path: Path):
    rules = tmp_path / "alerts.yaml"
    rules.write_text(
        "rules:\n"
        "  - {id: weapon, name: W, query: weapon}\n"
        "  - {id: arma, name: A, query: arma}\n"
        "  - {id: exact, name: E, query: '\"nuclear weapon\"'}\n",
        encoding="utf-8",
    )
    assert sync_rules(storage, load_alerts(rules)).errors == []
    got = {
        (m.rule["rule_id"], m.story["_id"])
        for m in percolate(storage, [*ID.values(), "a90", "a91", "a92", "a93", "a94", "a95"])
    }
    assert got == {
        ("weapon", ID["en"]), ("weapon", "a90"), ("weapon", "a91"), ("weapon", "a93"),  # a93 says "arms"
        ("arma", ID["es"]), ("arma", "a95"),  # a95 says "armamentos"
    }  # fmt: skip


@pytest.mark.integration
def test_setup_reports_an_old_index_and_reindex_upgrades_it(es_url, prefix):
    with Storage(make_client(load_settings({"NEWSMON_ES_URL": es_url})), prefix, es_url) as storage:
        # An index as schema v1 made it: standard analysis only.
        storage.es.indices.create(
            index=storage.names.first_articles_index,
            aliases={storage.articles.alias: {"is_write_index": True}},
            mappings={"dynamic": False, "_meta": {"schema_version": 1},
                      "properties": {"title": {"type": "text"}, "body": {"type": "text"},
                                     "language": {"type": "keyword"}, "duplicate_of": {"type": "keyword"}}},
        )  # fmt: skip
        storage.es.index(
            index=storage.articles.alias,
            id="old",
            document={"title": "T", "body": "weapons", "language": "en"},
        )
        storage.articles.refresh()
        done = storage.setup()
        assert storage.names.first_articles_index in done["schema"] and storage.outdated_indices() == [
            storage.names.first_articles_index
        ]
        assert search(storage, "weapon")["total"] == 0
        moved = storage.reindex_articles()
        assert moved == {
            "from": [storage.names.first_articles_index],
            "to": f"{prefix}articles-000002",
            "documents": 1,
            "kept_newer": 0,
        }
        assert storage.outdated_indices() == [] and "schema" not in storage.setup()
        assert [h["id"] for h in search(storage, "weapon")["hits"]] == ["old"]
