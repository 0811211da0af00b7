"""Language analyzers under analysis-common's names on the real Elasticsearch.

The local node gets them from our plugin (scripts/es-analysis), the full distribution from
analysis-common: the same requests must work on both.
"""

from __future__ import annotations

import pytest

from tests.helpers.analysis import tokens

pytestmark = pytest.mark.integration

# language: (analyzer, text -> stems that must come out, base form, inflected form it must find)
CASES = {
    "en": ("english", "weapons consultations", ["weapon", "consult"], "weapon", "weapons"),
    # Spanish's light stemmer leaves words under five letters alone: "arma" stays, "armas" -> "arm"
    # (see test_spanish_short_words), so the match example uses a longer word.
    "es": ("spanish", "los misiles nucleares", ["misil", "nuclear"], "misil", "misiles"),
    "fr": ("french", "les armes nucléaires", ["arme", "nucleair"], "arme", "armes"),
    "de": ("german", "die Waffen", ["waff"], "Waffe", "Waffen"),
    "ru": ("russian", "ракеты и оружие", ["ракет", "оруж"], "ракета", "ракеты"),
    # Italian's light stemmer leaves words of four letters alone ("armi"), so a longer word here.
    "it": ("italian", "i missili nucleari", ["missil", "nuclear"], "missile", "missili"),
}


@pytest.mark.parametrize("lang", sorted(CASES))
def test_analyzer_stems(es, lang):
    analyzer, text, stems, _, _ = CASES[lang]
    assert tokens(es, analyzer=analyzer, text=text) == stems


def test_english_matches_the_documented_examples(es):
    # "consultation" and "consultations" meet at the same stem, as "weapon" and "weapons" do.
    assert tokens(es, analyzer="english", text="consultation") == tokens(
        es, analyzer="english", text="consultations"
    )
    assert tokens(es, analyzer="russian", text="оружие") == ["оруж"]


@pytest.mark.parametrize("lang", sorted(CASES))
def test_match_query_finds_inflected_form(es, prefix, lang):
    analyzer, _, _, base, inflected = CASES[lang]
    index = f"{prefix}analysis-{lang}"
    es.indices.create(
        index=index,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"properties": {"body": {"type": "text", "analyzer": analyzer}}},
    )
    try:
        es.index(index=index, id="1", document={"body": f"... {inflected} ..."}, refresh=True)
        es.index(index=index, id="2", document={"body": "nothing to see"}, refresh=True)
        hits = es.search(index=index, query={"match": {"body": base}})["hits"]["hits"]
        assert [h["_id"] for h in hits] == ["1"]
    finally:
        es.indices.delete(index=index, ignore_unavailable=True)


def test_more_russian_forms(es, prefix):
    index = f"{prefix}analysis-ru-forms"
    es.indices.create(
        index=index,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"properties": {"body": {"type": "text", "analyzer": "russian"}}},
    )
    try:
        es.index(index=index, id="1", document={"body": "Испытания ракеты и поставки оружия"}, refresh=True)
        for query in ("оружие", "ракета", "испытание"):
            assert es.count(index=index, query={"match": {"body": query}})["count"] == 1, query
    finally:
        es.indices.delete(index=index, ignore_unavailable=True)


def test_spanish_short_words(es, prefix):
    """The `spanish` analyzer (Lucene's, as on the full distribution) does not meet "arma" and
    "armas"; a custom analyzer with the `spanish_plural` stemmer does."""
    assert tokens(es, analyzer="spanish", text="arma armas") == ["arma", "arm"]
    index = f"{prefix}analysis-es-plural"
    es.indices.create(
        index=index,
        settings={
            "number_of_shards": 1,
            "number_of_replicas": 0,
            "analysis": {
                "filter": {
                    "es_stop": {"type": "stop", "stopwords": "_spanish_"},
                    "es_plural": {"type": "stemmer", "language": "spanish_plural"},
                },
                "analyzer": {
                    "es_plural": {"tokenizer": "standard", "filter": ["lowercase", "es_stop", "es_plural"]}
                },
            },
        },
        mappings={"properties": {"body": {"type": "text", "analyzer": "es_plural"}}},
    )
    try:
        es.index(index=index, id="1", document={"body": "las armas"}, refresh=True)
        assert es.count(index=index, query={"match": {"body": "arma"}})["count"] == 1
    finally:
        es.indices.delete(index=index, ignore_unavailable=True)


def test_configured_analyzers(es, prefix):
    index = f"{prefix}analysis-configured"
    es.indices.create(
        index=index,
        settings={
            "number_of_shards": 1,
            "number_of_replicas": 0,
            "analysis": {
                "analyzer": {
                    "en_all_words": {"type": "english", "stopwords": "_none_"},
                    "en_keep": {"type": "english", "stem_exclusion": ["weapons"]},
                    "fr_own_stops": {"type": "french", "stopwords": ["armes"]},
                    "de_named": {"type": "german", "stopwords": "_english_"},
                    "folded": {
                        "tokenizer": "standard",
                        "filter": [
                            "elision",
                            "lowercase",
                            "asciifolding",
                            "fr_light",
                        ],
                    },
                },
                "filter": {
                    "fr_light": {"type": "stemmer", "language": "light_french"},
                    "ru_light": {"type": "stemmer", "language": "light_russian"},
                    "es_light": {"type": "stemmer", "language": "light_spanish"},
                    "snow_it": {"type": "snowball", "language": "Italian"},
                    "articles": {"type": "elision", "articles": ["l", "d"], "articles_case": True},
                },
            },
        },
    )
    try:
        assert tokens(es, index, analyzer="english", text="the weapons") == ["weapon"]
        assert tokens(es, index, analyzer="en_all_words", text="the weapons") == ["the", "weapon"]
        assert tokens(es, index, analyzer="en_keep", text="weapons consultations") == ["weapons", "consult"]
        assert tokens(es, index, analyzer="fr_own_stops", text="les armes") == ["les"]
        assert tokens(es, index, analyzer="de_named", text="the die Waffen") == ["die", "waff"]
        assert tokens(es, index, analyzer="folded", text="L'Hôpital") == ["hopital"]
        assert tokens(es, index, tokenizer="standard", filter=["lowercase", "ru_light"], text="ракеты") == [
            "ракет"
        ]
        assert tokens(es, index, tokenizer="standard", filter=["lowercase", "es_light"], text="misiles") == [
            "misil"
        ]
        assert tokens(es, index, tokenizer="standard", filter=["lowercase", "snow_it"], text="missili") == [
            "missil"
        ]
        assert tokens(es, index, tokenizer="standard", filter=["articles"], text="L'arme") == ["arme"]
    finally:
        es.indices.delete(index=index, ignore_unavailable=True)


def test_bad_settings_are_refused(es, prefix):
    from elasticsearch import BadRequestError

    with pytest.raises(BadRequestError, match="stemmer"):
        tokens(es, tokenizer="standard", filter=[{"type": "stemmer", "language": "klingon"}], text="x")
    with pytest.raises(BadRequestError, match="articles"):
        es.indices.create(
            index=f"{prefix}analysis-bad",
            settings={"analysis": {"filter": {"e": {"type": "elision"}}}},
        )


def test_bare_filter_names(es):
    text = "L'Café runs"
    assert tokens(
        es, tokenizer="standard", filter=["elision", "lowercase", "asciifolding", "stemmer"], text=text
    ) == [
        "cafe",
        "run",
    ]
    assert tokens(es, tokenizer="standard", filter=["lowercase", "snowball"], text="running") == ["run"]
    assert tokens(es, tokenizer="standard", filter=["german_normalization"], text="Straße") == ["Strasse"]


# ---- synonym_graph, synonym, keyword_marker, stemmer_override -------------------------------------


def _with_analysis(es, index: str, analysis: dict, mappings: dict | None = None) -> None:
    es.indices.create(
        index=index,
        settings={"number_of_shards": 1, "number_of_replicas": 0, "analysis": analysis},
        mappings=mappings,
    )


def test_synonym_rules_are_parsed_by_the_preceding_chain(es, prefix):
    """The rules meet the tokens as the chain before the filter made them: lowercased and stemmed,
    with "arms" kept whole by keyword_marker, as analysis-common does it."""
    index = f"{prefix}analysis-synonyms"
    _with_analysis(
        es,
        index,
        {
            "filter": {
                "keep_arms": {"type": "keyword_marker", "keywords": ["arms"]},
                "porter": {"type": "stemmer", "language": "english"},
                "syn": {
                    "type": "synonym_graph",
                    "synonyms": ["Weapons, arms", "ICBM => intercontinental missile"],
                },
                "oneway": {"type": "synonym_graph", "synonyms": ["weapon, arms"], "expand": False},
                "old": {"type": "synonym", "synonyms": ["arms control, disarmament"]},
            },
            "analyzer": {
                "after_stem": {
                    "tokenizer": "standard",
                    "filter": ["lowercase", "keep_arms", "porter", "syn"],
                },
                "before_stem": {
                    "tokenizer": "standard",
                    "filter": ["lowercase", "syn", "keep_arms", "porter"],
                },
                "contract": {"tokenizer": "standard", "filter": ["lowercase", "oneway"]},
                "plain": {"tokenizer": "standard", "filter": ["lowercase", "old"]},
            },
        },
    )
    try:
        # Rule "Weapons" was lowercased and stemmed to "weapon", so every form of the word expands.
        assert sorted(tokens(es, index, analyzer="after_stem", text="weapon")) == ["arms", "weapon"]
        assert sorted(tokens(es, index, analyzer="after_stem", text="WEAPONS")) == ["arms", "weapon"]
        assert sorted(tokens(es, index, analyzer="after_stem", text="Arms")) == ["arms", "weapon"]
        assert tokens(es, index, analyzer="after_stem", text="arm") == ["arm"]
        # Before the stemmer the rule only knows the surface forms it was given.
        assert tokens(es, index, analyzer="before_stem", text="weapon") == ["weapon"]
        assert sorted(tokens(es, index, analyzer="before_stem", text="weapons")) == ["arms", "weapon"]
        # Multi-word output, positions as a graph; a one-way rule; expand false maps to the first word.
        out = es.indices.analyze(index=index, analyzer="after_stem", text="an ICBM test")["tokens"]
        assert [(t["token"], t["position"]) for t in out] == [
            ("an", 0), ("intercontinent", 1), ("missil", 2), ("test", 3),
        ]  # fmt: skip
        assert tokens(es, index, analyzer="contract", text="arms weapon") == ["weapon", "weapon"]
        assert tokens(es, index, analyzer="plain", text="disarmament") == ["disarmament", "arms", "control"]
    finally:
        es.indices.delete(index=index, ignore_unavailable=True)


def test_synonym_settings_errors_and_lenient(es):
    chain = ["lowercase", {"type": "stop", "stopwords": "_english_"}]
    from elasticsearch import BadRequestError

    with pytest.raises(BadRequestError, match="synonym"):  # a stop word in a rule: the rule is refused
        tokens(
            es,
            tokenizer="standard",
            filter=[*chain, {"type": "synonym_graph", "synonyms": ["the, foo"]}],
            text="x",
        )
    lenient = {"type": "synonym_graph", "synonyms": ["the, foo", "bar, baz"], "lenient": True}
    assert sorted(tokens(es, tokenizer="standard", filter=[*chain, lenient], text="foo bar")) == [
        "bar",
        "baz",
        "foo",
    ]
    with pytest.raises(BadRequestError, match="synonyms"):
        tokens(es, tokenizer="standard", filter=[{"type": "synonym_graph"}], text="x")
    with pytest.raises(BadRequestError, match="Invalid synonym rule"):
        tokens(
            es,
            tokenizer="standard",
            filter=[{"type": "synonym_graph", "synonyms": ["a => b => c"]}],
            text="x",
        )


def test_keyword_marker_and_stemmer_override(es):
    from elasticsearch import BadRequestError

    def run(flt, text):
        return tokens(es, tokenizer="standard", filter=["lowercase", flt, "porter_stem"], text=text)

    assert run({"type": "keyword_marker", "keywords": ["arms"]}, "arms arm armed") == ["arms", "arm", "arm"]
    assert run({"type": "keyword_marker", "keywords": ["ARMS"]}, "arms") == ["arm"]  # case counts by default
    assert run({"type": "keyword_marker", "keywords": ["ARMS"], "ignore_case": True}, "arms") == ["arms"]
    assert run({"type": "keyword_marker", "keywords_pattern": "^arm.*s$"}, "arms armaments weapons") == [
        "arms", "armaments", "weapon",
    ]  # fmt: skip
    override = {"type": "stemmer_override", "rules": ["arms, armaments => arms", "mice => mouse"]}
    assert run(override, "arms armaments mice running") == ["arms", "arms", "mouse", "run"]
    with pytest.raises(BadRequestError, match="keywords"):
        run({"type": "keyword_marker"}, "x")
    with pytest.raises(BadRequestError, match="rules"):
        run({"type": "stemmer_override"}, "x")
    with pytest.raises(BadRequestError, match="override Rule"):
        run({"type": "stemmer_override", "rules": ["arms"]}, "x")


def test_search_time_synonyms_in_a_mapping(es, prefix):
    """Index analyzer keeps "arms" whole; the search analyzer adds weapon ~ arms; a phrase is
    analysed without synonyms (search_quote_analyzer)."""
    index = f"{prefix}analysis-search-synonyms"
    base = ["lowercase", "keep_arms", "porter"]
    _with_analysis(
        es,
        index,
        {
            "filter": {
                "keep_arms": {"type": "keyword_marker", "keywords": ["arms"]},
                "porter": {"type": "stemmer", "language": "english"},
                "syn": {"type": "synonym_graph", "synonyms": ["weapon, weapons, arms, armament, armaments"]},
            },
            "analyzer": {
                "en": {"tokenizer": "standard", "filter": base},
                "en_search": {"tokenizer": "standard", "filter": [*base, "syn"]},
            },
        },
        {
            "properties": {
                "body": {
                    "type": "text",
                    "analyzer": "en",
                    "search_analyzer": "en_search",
                    "search_quote_analyzer": "en",
                }
            }
        },  # fmt: skip
    )
    docs = {
        "control": "Talks on arms control",
        "nuclear": "Nuclear weapons tested",
        "limb": "She broke her arm",
    }
    try:
        for doc_id, body in docs.items():
            es.index(index=index, id=doc_id, document={"body": body})
        es.indices.refresh(index=index)

        def found(query):
            return {h["_id"] for h in es.search(index=index, query=query)["hits"]["hits"]}

        assert found({"match": {"body": "weapon"}}) == {"control", "nuclear"}
        assert found({"match": {"body": "arms"}}) == {"control", "nuclear"}
        assert found({"match": {"body": "arm"}}) == {"limb"}
        assert found({"match_phrase": {"body": "weapons control"}}) == set()
        assert found({"match_phrase": {"body": "arms control"}}) == {"control"}
    finally:
        es.indices.delete(index=index, ignore_unavailable=True)
