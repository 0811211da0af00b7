"""Language analysis: which fields an article's text is indexed and searched in.

`title`, `body` and `summary` are indexed with `standard` for every article: exact words, exact
phrases. An article whose detected language is one of LANGUAGES also gets a copy of that text in
`title_<lang>`, `body_<lang>`, `summary_<lang>`, analysed in its language (stemming, stop words);
an article in another language gets no copy and is searched by `standard` alone. Filling only the
detected language's field (rather than a sub-field per language on every article) keeps one extra
copy per article, not six, and a search simply names all the language fields. A quoted phrase is
sent to the unstemmed fields through the `*_exact` aliases of the template (query_string's
`quote_field_suffix`), so "nuclear weapons" in quotes still means exactly those words.

Chinese, Japanese and Korean are segmented into words by their analyzers (smartcn, kuromoji, nori);
the `standard` fields hold them as single characters (Chinese, Japanese) or as whole words with
their particles attached (Korean). Elasticsearch's query_string analyses a run of text between
operators as one piece and, without quotes, ORs the tokens it yields, so `核查` would find every
story holding 核 or 查, and in a `standard` field a phrase of characters still meets 结核查出 ("found
tuberculosis"), where smartcn reads 结核/查出 and no 核查 at all. So `segmented_query` makes each word
in these scripts a phrase of the analyzer's words, and a query with Chinese or Japanese characters
is searched only in the zh and ja copies; for these three languages the `_exact` alias is the copy
itself (SEGMENTED): the only field where a word is a word.
"""

from __future__ import annotations

import re
from typing import Any

from luqum.exceptions import ParseError
from luqum.parser import parser as lucene
from luqum.tree import Fuzzy, Phrase, Range, SearchField, Word
from luqum.visitor import TreeTransformer

from newsmon.text import HAN, HANGUL, KANA

# Detected language (py3langid's ISO 639-1 code) -> analyzer in articles-template.json.
LANGUAGES = {
    "en": "newsmon_english",  # "arms" kept from stemming; synonyms at search time
    "es": "newsmon_spanish",  # spanish_plural then light_spanish: "arma" finds "armas"
    "fr": "french",
    "de": "german",
    "ru": "russian",
    "it": "italian",
    "zh": "smartcn",  # words by smartcn's dictionary; see segmented_query
    "ja": "kuromoji",  # words, base forms of verbs and adjectives, particles dropped
    "ko": "nori",  # particles and endings dropped (part of speech J, E), compounds split
    "ar": "arabic",  # letter variants and diacritics folded, the article and prefixes removed
    "fa": "persian",  # the zero-width non-joiner splits ‌ها off a plural; Arabic letter variants folded
    "uk": "ukrainian",  # morfologik: a case form finds the lemma
}
# Copies whose `_exact` alias is the copy itself, not the `standard` field (see the module doc).
SEGMENTED = ("zh", "ja", "ko")
# Search-time analyzers with the domain synonyms (weapon ~ arms), where the template has them; the
# other copies are searched with their index analyzer. Used where Python analyses a query itself.
SEARCH_ANALYZERS = {"en": "newsmon_english_search", "es": "newsmon_spanish_search"}
ANALYSED = ("title", "body", "summary")  # the text fields that get a per-language copy
QUOTE_SUFFIX = "_exact"  # <field>_<lang>_exact is an alias of <field>


def language_fields(doc: dict[str, Any]) -> dict[str, str]:
    """The per-language copies for an article document: {"body_en": body, ...} or {}."""
    lang = (doc.get("language") or "").lower()
    if lang not in LANGUAGES:
        return {}
    return {f"{name}_{lang}": doc[name] for name in ANALYSED if isinstance(doc.get(name), str) and doc[name]}


def stemmed_fields(name: str) -> list[str]:
    """`body` -> ["body_en", "body_es", ...]."""
    return [f"{name}_{lang}" for lang in LANGUAGES]


def base_field(name: str) -> str:
    """`body_en` -> `body`; any other name unchanged."""
    head, _, lang = name.rpartition("_")
    return head if head in ANALYSED and lang in LANGUAGES else name


def search_fields(fields: list[str]) -> list[str]:
    """Fields with boosts (`title^2`) plus their per-language copies with the same boost."""
    out: list[str] = []
    for spec in fields:
        name, sep, boost = spec.partition("^")
        out.append(spec)
        if name in ANALYSED:
            out += [f"{f}{sep}{boost}" for f in stemmed_fields(name)]
    return out


_CJK = re.compile(f"[{HAN}{KANA}]")
_SEGMENTED_WORD = re.compile(f"[{HAN}{KANA}{HANGUL}]")
_KEYWORD_FIELDS = {"topics", "source", "source_domain", "language", "outlets", "url", "canonical_url"}


def has_cjk(text: str) -> bool:
    """Whether `text` holds Chinese or Japanese characters (Han, hiragana, katakana)."""
    return bool(_CJK.search(text))


class _WordsToPhrases(TreeTransformer):  # type: ignore[misc]  # luqum is untyped
    def visit_search_field(self, node: SearchField, context: dict[str, Any]) -> Any:
        if node.name in _KEYWORD_FIELDS or node.name.endswith(".keyword"):
            yield node  # a stored value, compared whole
        else:
            yield from self.generic_visit(node, context)

    def visit_fuzzy(self, node: Fuzzy, context: dict[str, Any]) -> Any:
        yield node  # `核查~`: an edit distance on the word as written

    def visit_range(self, node: Range, context: dict[str, Any]) -> Any:
        yield node

    def visit_word(self, node: Word, context: dict[str, Any]) -> Any:
        text = node.value
        if _SEGMENTED_WORD.search(text) and not any(c in text for c in "*?") and '"' not in text:
            yield Phrase(f'"{text}"', head=node.head, tail=node.tail)
        else:
            yield node


def is_segmented(text: str) -> bool:
    """Whether `text` holds Chinese, Japanese or Korean script: a bare word of it is made a phrase."""
    return bool(_SEGMENTED_WORD.search(text))


def segmented_query(query: str) -> str:
    """`query` with each bare word in Chinese, Japanese or Korean script made a phrase (`核查` ->
    `"核查"`), so the analyzer's words must all occur, in order, rather than any one of them. Words
    with wildcards, keyword-field values and quoted phrases are left as they are; a query that
    does not parse is returned unchanged (Elasticsearch then says what is wrong with it)."""
    if not _SEGMENTED_WORD.search(query):
        return query
    try:
        tree = lucene.parse(query)
    except (ParseError, TypeError, ValueError):
        return query
    return str(_WordsToPhrases(track_parents=False).visit(tree))


def cjk_fields(fields: list[str]) -> list[str]:
    """Where a query with Chinese or Japanese characters is searched: the zh and ja copies of the
    text fields among `fields`, with their boosts, in their place; other fields (`authors`) kept."""
    out: list[str] = []
    for spec in fields:
        name, sep, boost = spec.partition("^")
        out += [f"{name}_{lang}{sep}{boost}" for lang in ("zh", "ja")] if name in ANALYSED else [spec]
    return out
