"""Language analysis: which fields an article's text is indexed and searched in.

`title`, `body` and `summary` are indexed with `standard` for every article: exact words, exact
phrases. An article whose detected language is one of LANGUAGES also gets a copy of that text in
`title_<lang>`, `body_<lang>`, `summary_<lang>`, analysed in its language (stemming, stop words);
an article in another language gets no copy and is searched by `standard` alone. Filling only the
detected language's field (rather than a sub-field per language on every article) keeps one extra
copy per article, not six, and a search simply names all the language fields. A quoted phrase is
sent to the unstemmed fields through the `*_exact` aliases of the template (query_string's
`quote_field_suffix`), so "nuclear weapons" in quotes still means exactly those words.
"""

from __future__ import annotations

from typing import Any

# Detected language (py3langid's ISO 639-1 code) -> analyzer in articles-template.json.
LANGUAGES = {
    "en": "newsmon_english",  # "arms" kept from stemming; synonyms at search time
    "es": "newsmon_spanish",  # spanish_plural then light_spanish: "arma" finds "armas"
    "fr": "french",
    "de": "german",
    "ru": "russian",
    "it": "italian",
}
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
