"""The analyzers, tokenizers and filters of Elastic's analysis-smartcn, analysis-kuromoji,
analysis-nori and analysis-ukrainian plugins, by their names, on the real Elasticsearch.

The local node gets them from our plugin (scripts/es-analysis), the full distribution from Elastic's
plugins (docker/elasticsearch.Dockerfile): the same requests must work on both, so the expected
tokens are the examples of Elastic's documentation of those plugins where it gives one.
"""

from __future__ import annotations

import pytest
from elasticsearch import BadRequestError

from tests.helpers.analysis import tokens

pytestmark = pytest.mark.integration

# language: (analyzer, text, tokens that must come out, base form, inflected text it must find)
CASES = {
    "zh": (
        "smartcn",
        "双方同意加强核查工作",
        ["双方", "同意", "加强", "核查", "工作"],
        "核查",
        "加强核查工作",
    ),
    "ja": ("kuromoji", "ミサイルを発射した", ["ミサイル", "発射"], "発射する", "ミサイルを発射した"),
    "ko": ("nori", "조약을 체결했다", ["조약", "체결"], "조약", "조약을"),
    "ar": ("arabic", "المعاهدة النووية", ["معاهد", "نوو"], "معاهدة", "المعاهدة"),
    # the zero-width non-joiner before the plural ها becomes a word break; ها is a stop word
    "fa": ("persian", "موشک\u200cها", ["موشك"], "موشک", "موشک\u200cها"),
    "uk": ("ukrainian", "договору і договором", ["договір", "договір"], "договір", "за договором"),
}


@pytest.mark.parametrize("lang", sorted(CASES))
def test_analyzer_tokens(es, lang):
    analyzer, text, expected, _, _ = CASES[lang]
    assert tokens(es, analyzer=analyzer, text=text) == expected


@pytest.mark.parametrize("lang", sorted(CASES))
def test_match_query_finds_inflected_form(es, prefix, lang):
    analyzer, _, _, base, inflected = CASES[lang]
    index = f"{prefix}plugins-{lang}"
    es.indices.create(
        index=index,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"properties": {"body": {"type": "text", "analyzer": analyzer}}},
    )
    try:
        es.index(index=index, id="1", document={"body": inflected}, refresh=True)
        assert es.count(index=index, query={"match": {"body": base}})["count"] == 1
    finally:
        es.indices.delete(index=index, ignore_unavailable=True)


@pytest.mark.parametrize(
    "request_body, expected",
    [
        # analysis-kuromoji
        ({"tokenizer": {"type": "kuromoji_tokenizer", "mode": "normal"}}, ["関西国際空港"]),
        (
            {"tokenizer": {"type": "kuromoji_tokenizer", "mode": "search"}},
            ["関西", "関西国際空港", "国際", "空港"],
        ),
        (
            {"tokenizer": {"type": "kuromoji_tokenizer", "discard_compound_token": True}},
            ["関西", "国際", "空港"],
        ),
        (
            {
                "tokenizer": {
                    "type": "kuromoji_tokenizer",
                    "user_dictionary_rules": [
                        "東京スカイツリー,東京 スカイツリー,トウキョウ スカイツリー,カスタム名詞"
                    ],
                },
                "text": "東京スカイツリー",
            },
            ["東京", "スカイツリー"],
        ),  # fmt: skip
        ({"tokenizer": "kuromoji_tokenizer", "filter": ["kuromoji_baseform"], "text": "飲み"}, ["飲む"]),
        ({"tokenizer": "kuromoji_tokenizer", "filter": ["kuromoji_readingform"], "text": "寿司"}, ["スシ"]),
        (
            {
                "tokenizer": "kuromoji_tokenizer",
                "filter": [{"type": "kuromoji_readingform", "use_romaji": True}],
                "text": "寿司",
            },
            ["sushi"],
        ),  # fmt: skip
        (
            {"tokenizer": "kuromoji_tokenizer", "char_filter": ["kuromoji_iteration_mark"], "text": "時々"},
            ["時時"],
        ),
        ({"tokenizer": "kuromoji_tokenizer", "filter": ["kuromoji_number"], "text": "一〇〇〇"}, ["1000"]),
        (
            {"tokenizer": "kuromoji_tokenizer", "filter": ["kuromoji_stemmer"], "text": "サーバー コピー"},
            ["サーバ", "コピー"],
        ),
        (
            {
                "tokenizer": "kuromoji_tokenizer",
                "filter": [
                    {"type": "kuromoji_part_of_speech", "stoptags": ["助詞-格助詞-一般", "助詞-終助詞"]}
                ],
                "text": "寿司がおいしいね",
            },
            ["寿司", "おいしい"],
        ),  # fmt: skip
        (
            {"tokenizer": "kuromoji_tokenizer", "filter": ["ja_stop"], "text": "ストップは消える"},
            ["ストップ", "消える"],
        ),
        # analysis-nori
        (
            {"tokenizer": {"type": "nori_tokenizer", "decompound_mode": "mixed"}, "text": "가곡역"},
            ["가곡역", "가곡", "역"],
        ),
        ({"tokenizer": {"type": "nori_tokenizer", "decompound_mode": "none"}, "text": "가곡역"}, ["가곡역"]),
        ({"tokenizer": "nori_tokenizer", "text": "가곡역"}, ["가곡", "역"]),  # default: discard
        (
            {
                "tokenizer": {
                    "type": "nori_tokenizer",
                    "decompound_mode": "mixed",
                    "user_dictionary_rules": ["c++", "C샤프", "세종", "세종시 세종 시"],
                },
                "text": "세종시",
            },
            ["세종시", "세종", "시"],
        ),  # fmt: skip
        (
            {
                "tokenizer": "nori_tokenizer",
                "filter": [{"type": "nori_part_of_speech", "stoptags": ["NR"]}],
                "text": "여섯 용지",
            },
            ["용지"],
        ),  # fmt: skip
        ({"tokenizer": "nori_tokenizer", "filter": ["nori_readingform"], "text": "鄕歌"}, ["향가"]),
        ({"tokenizer": "nori_tokenizer", "filter": ["nori_number"], "text": "십만이천오백"}, ["102500"]),
        # analysis-smartcn
        (
            {"tokenizer": "smartcn_tokenizer", "filter": ["smartcn_stop"], "text": "我购买了道具和服装。"},
            ["我", "购买", "了", "道具", "和", "服装"],
        ),  # fmt: skip
    ],
)
def test_documented_components(es, request_body, expected):
    body = {"text": "関西国際空港", **request_body}
    assert tokens(es, **body) == expected


def test_configured_analyzers(es, prefix):
    index = f"{prefix}plugins-configured"
    es.indices.create(
        index=index,
        settings={
            "number_of_shards": 1,
            "number_of_replicas": 0,
            "analysis": {
                "analyzer": {
                    "uk_own": {"type": "ukrainian", "stopwords": ["за"], "stem_exclusion": ["договору"]},
                    "ko_mixed": {"type": "nori", "decompound_mode": "mixed"},
                    "ja_normal": {"type": "kuromoji", "mode": "normal"},
                    "ja_chain": {
                        "type": "custom",
                        "char_filter": ["kuromoji_iteration_mark"],
                        "tokenizer": "kuromoji_tokenizer",
                        "filter": [
                            "kuromoji_baseform",
                            "kuromoji_part_of_speech",
                            "cjk_width",
                            "ja_stop",
                            "kuromoji_stemmer",
                            "lowercase",
                        ],
                    },  # fmt: skip
                    "zh_chain": {
                        "type": "custom",
                        "tokenizer": "smartcn_tokenizer",
                        "filter": ["smartcn_stop"],
                    },
                }
            },
        },
    )
    try:
        # own stop words replace the default ones (і stays); договору is kept from lemmatising
        assert tokens(es, index, analyzer="uk_own", text="за договору і договором") == [
            "договору",
            "і",
            "договір",
        ]
        assert tokens(es, index, analyzer="ko_mixed", text="가곡역") == ["가곡역", "가곡", "역"]
        assert tokens(es, index, analyzer="ja_normal", text="関西国際空港") == ["関西国際空港"]
        # the chain the kuromoji analyzer is made of gives what it gives
        text = "北朝鮮がミサイルを発射した。ＩＡＥＡの査察官"
        assert tokens(es, index, analyzer="ja_chain", text=text) == tokens(es, analyzer="kuromoji", text=text)
        assert tokens(es, index, analyzer="zh_chain", text="双方同意加强核查工作。") == CASES["zh"][2]
    finally:
        es.indices.delete(index=index, ignore_unavailable=True)


def test_bad_settings_are_refused(es):
    with pytest.raises(BadRequestError, match="BOGUS"):
        tokens(es, tokenizer={"type": "kuromoji_tokenizer", "mode": "bogus"}, text="x")
    with pytest.raises(BadRequestError, match="BOGUS"):
        tokens(es, tokenizer={"type": "nori_tokenizer", "decompound_mode": "bogus"}, text="x")
    with pytest.raises(BadRequestError, match="not allowed"):
        tokens(
            es,
            tokenizer={
                "type": "nori_tokenizer",
                "user_dictionary": "x.txt",
                "user_dictionary_rules": ["세종"],
            },
            text="x",
        )
