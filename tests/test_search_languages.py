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
    "it": (
        "I missili nucleari e le testate dell'arsenale.",
        ["missile", "nucleare", "testata", "arsenale"],
        "trattato",
    ),
    # the article (ال) and the feminine ending: معاهدة finds المعاهدة
    "ar": ("وقعت الدولتان على المعاهدة بشأن الأسلحة النووية.", ["معاهدة", "أسلحة", "نووي"], "صاروخ"),
    # the plural ها after a zero-width non-joiner
    "fa": ("آزمایش موشک\u200cها ادامه دارد.", ["موشک", "آزمایش"], "پیمان"),
    # case endings: the genitive договору and the instrumental договором of договір
    "uk": (
        "Сторони не дотрималися договору, і за договором інспекції тривають.",
        ["договір", "інспекція"],
        "ракета",
    ),
    # particles: 조약을 (object), 조약이 (subject)
    "ko": ("북한은 조약을 위반했고 조약이 무효라고 주장했다.", ["조약", "위반"], "미사일"),
    # words, not characters: 核查 (verification) is one word here
    "zh": ("双方同意加强核查工作。", ["核查", "加强"], "导弹"),
    # the past tense 発射した of 発射する
    "ja": ("北朝鮮がミサイルを発射した。", ["ミサイル", "発射"], "条約"),
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
    assert not [k for k in doc if k.endswith(("_es", "_fr", "_de", "_ru", "_it", "_zh", "_ja", "_ko", "_ar"))]
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
        # Words that a run of characters crosses: 结核|查出 ("tuberculosis" | "found") holds 核查
        # ("verification") as characters, 東京|都 ("Tokyo" | metropolis) holds 京都 ("Kyoto").
        arts.append(article(96, "zh", "医院结核查出病例增加。", title="医院"))
        arts.append(article(97, "ja", "東京都は新しい計画を発表した。", title="都政"))
        arts.append(article(98, "zh", "武器出口增加。", title="贸易"))  # 武器 alone, no treaty
        arts.append(
            article(99, "ko", "무기 수출이 늘었다.", title="수출")
        )  # 무기 (arms) without 핵 (nuclear)
        arts.append(article(89, "ko", "북한의 핵무기를 둘러싼 협상.", title="협상"))  # 핵무기 + particle 를
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
        storage.es.index(
            index=storage.articles.alias,
            id="old-zh",
            document={"title": "T", "body": "双方同意加强核查工作。", "language": "zh"},
        )
        storage.articles.refresh()
        done = storage.setup()
        assert storage.names.first_articles_index in done["schema"] and storage.outdated_indices() == [
            storage.names.first_articles_index
        ]
        assert search(storage, "weapon")["total"] == 0
        assert search(storage, "核查")["total"] == 0  # no zh copy yet: Chinese words are not searchable
        moved = storage.reindex_articles()
        assert moved == {
            "from": [storage.names.first_articles_index],
            "to": f"{prefix}articles-000002",
            "documents": 2,
            "kept_newer": 0,
        }
        assert storage.outdated_indices() == [] and "schema" not in storage.setup()
        assert [h["id"] for h in search(storage, "weapon")["hits"]] == ["old"]
        assert [h["id"] for h in search(storage, "核查")["hits"]] == ["old-zh"]  # the copy made anew


SEGMENTED_STORIES = {"a96", "a97", "a98", "a99", "a89"}


@pytest.mark.integration
@pytest.mark.parametrize(
    "query, must, must_not",
    [
        ("核查", {ID["zh"]}, {"a96"}),  # not inside 结核查出
        ('"核查"', {ID["zh"]}, {"a96"}),
        ("结核", {"a96"}, {ID["zh"]}),
        ("京都", set(), {"a97"}),  # not inside 東京都
        ("東京", {"a97"}, set()),
        ("新削减战略武器条约", set(), {"a98"}),  # a phrase of its words, not any of them
        ("武器", {"a98"}, set()),
        ("核查 OR 武器", {ID["zh"], "a98"}, {"a96"}),
        ("핵무기", {"a89"}, {"a99"}),  # 핵무기를 found; 무기 alone is not 핵무기
        ("무기", {"a89", "a99"}, set()),
        (
            '"조약의 위반"',
            {ID["ko"]},
            set(),
        ),  # quoted: meets 조약을 위반했고 in the nori copy (the particle's place kept)
    ],
)
def test_chinese_japanese_korean_words_not_characters(storage, query, must, must_not):
    found = _ids(storage, query)
    assert must <= found, (query, found)
    assert not (must_not & found), (query, found)


@pytest.mark.integration
def test_the_standard_fields_would_find_words_across_word_boundaries(storage):
    """Why the search does not look in `title`/`body` for Chinese and Japanese: there the text is
    single characters, and the characters of 核查 and 京都 stand side by side in 结核查出, 東京都."""
    for story, phrase in (("a96", "核查"), ("a97", "京都")):
        hits = storage.articles.search(query={"match_phrase": {"body": phrase}}, size=20)["hits"]["hits"]
        assert story in {h["_id"] for h in hits}, phrase


def test_segmented_query_makes_words_phrases():
    from newsmon.analysis import segmented_query

    assert segmented_query("核查") == '"核查"'
    assert segmented_query("导弹 试验") == '"导弹" "试验"'
    assert segmented_query("(核查 OR 京都) -東京") == '("核查" OR "京都") -"東京"'
    assert segmented_query("조약^2 AND weapons") == '"조약"^2 AND weapons'
    assert segmented_query("title:核查 topics:arms_control") == 'title:"核查" topics:arms_control'
    # wildcards, fuzzy terms, phrases and ranges as written; other scripts untouched
    for query in ("核*", "核查~1", '"核查 导弹"~3', "[核 TO 查]", "nuclear weapons", "договору", '核 "'):
        assert segmented_query(query) == query


@pytest.mark.integration
def test_alert_rules_match_in_the_new_languages(storage, tmp_path: Path):
    rules = tmp_path / "alerts.yaml"
    rules.write_text(
        "rules:\n"
        "  - {id: ko, name: K, query: 조약}\n"
        "  - {id: ar, name: A, query: معاهدة}\n"
        "  - {id: uk, name: U, query: договір}\n"
        "  - {id: fa, name: F, query: موشک}\n"
        "  - {id: zh, name: Z, query: 核查}\n"
        "  - {id: ja, name: J, query: 京都}\n"
        "  - {id: nuke, name: N, query: 핵무기}\n"
        "  - {id: ko_phrase, name: P, query: '\"조약의 위반\"'}\n",
        encoding="utf-8",
    )
    assert sync_rules(storage, load_alerts(rules)).errors == []
    got = {
        (m.rule["rule_id"], m.story["_id"]) for m in percolate(storage, [*ID.values(), *SEGMENTED_STORIES])
    }
    assert got == {
        ("ko", ID["ko"]), ("ar", ID["ar"]), ("uk", ID["uk"]), ("fa", ID["fa"]), ("zh", ID["zh"]),  # not a96
        ("nuke", "a89"),  # not a99; and 京都 alerts on nothing (a97 is 東京都)
        ("ko_phrase", ID["ko"]),  # the story says 조약을 위반했고: only its nori copy holds 조약, 위반
    }  # fmt: skip
