"""Which terms a story must contain for a rule's query to match it: the percolator's trick.

Elasticsearch's percolator module is not among Elastic's artifacts on Maven Central, so newsmon
does what it does inside: from each stored query it extracts a set of terms of which at least one
must occur in any matching document, and only rules whose set meets a story's terms are run
against that story. A query with no such set (`*`, pure negations, wildcards, fuzzy or range
terms) is run against every story. The extraction only ever errs towards running a rule.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Literal

from luqum.parser import parser as lucene
from luqum.tree import (
    AndOperation,
    Boost,
    FieldGroup,
    Fuzzy,
    Group,
    Not,
    OrOperation,
    Phrase,
    Plus,
    Prohibit,
    Proximity,
    Range,
    Regex,
    SearchField,
    UnknownOperation,
    Word,
)

# Fields whose terms the candidate step knows for each story: the text fields searched by default
# (a Word in them is text), and keyword fields compared whole. A query on any other field (say
# `entities.name:…` or `title.keyword:…`) gives no requirement: its rule is tried on every story.
TEXT_FIELDS = {None, "title", "body", "summary", "authors"}
KEYWORD_FIELDS = {"topics", "source", "source_domain", "language", "outlets"}

# A requirement: a list of alternatives (field or None for text, text to analyze); None = unknown.
Alternatives = list[tuple[str | None, str]]
Requirement = Alternatives | None


class _Negative(Enum):
    """A part of a query that only excludes stories (NOT x, -x): it requires nothing of a match."""

    NEGATIVE = "negative"


_NEGATIVE = _Negative.NEGATIVE
# What one part of a query requires: alternatives, nothing known (None), or only an exclusion.
_Part = Alternatives | None | Literal[_Negative.NEGATIVE]

Cost = Callable[[Alternatives], float]


def required_terms(query: str, cost: Cost | None = None) -> Requirement:
    """The alternatives of which a matching story must contain one, or None when any story may match.

    Where several parts of a query are each required (AND), any one of them would do; `cost` ranks
    them (e.g. by how many stored stories contain them) and the cheapest is kept. Without it, the
    part with the fewest alternatives is kept.
    """
    result = _req(lucene.parse(query), None, cost or len)
    return None if result is _NEGATIVE else result


def _req(node: object, field: str | None, cost: Cost) -> _Part:
    if isinstance(node, SearchField):
        return _req(node.expr, node.name, cost)
    if isinstance(node, (Group, FieldGroup, Boost)):
        return _req(node.expr if not isinstance(node, Boost) else node.children[0], field, cost)
    if isinstance(node, (Word, Phrase)):
        return _term_req(node, field)
    if isinstance(node, Proximity):
        return _req(node.term, field, cost)
    if isinstance(node, (Fuzzy, Range, Regex)):
        return None
    if isinstance(node, (Not, Prohibit)):
        return _NEGATIVE
    if isinstance(node, Plus):
        return _req(node.a, field, cost)
    return _operation_req(node, field, cost)


def _term_req(node: Word | Phrase, field: str | None) -> _Part:
    text = node.value
    if isinstance(node, Word) and (any(c in text for c in "*?") or field == "_exists_"):
        return None
    if field in KEYWORD_FIELDS:
        return [(field, text.strip('"'))]
    if field in TEXT_FIELDS:
        # A phrase keeps its quotes: any one of its words is required. A word that analyzes
        # to several tokens ("New-START") matches any of them, so all become alternatives.
        return [(None, text)]
    return None


def _operation_req(node: object, field: str | None, cost: Cost) -> _Part:
    if isinstance(node, AndOperation):
        return _all_of([_req(c, field, cost) for c in node.children], cost)
    if isinstance(node, UnknownOperation):
        # Implicit operator: OR (Kibana's default), except that +term children are all required.
        required = [c for c in node.children if isinstance(c, Plus)]
        if required:
            return _all_of([_req(c, field, cost) for c in required], cost)
        return _any_of([_req(c, field, cost) for c in node.children if not isinstance(c, Prohibit)])
    if isinstance(node, OrOperation):
        return _any_of([_req(c, field, cost) for c in node.children])
    return None  # anything unforeseen: run the rule on every story


def _all_of(parts: list[_Part], cost: Cost) -> _Part:
    known = [p for p in parts if p is not None and p is not _NEGATIVE]
    if not known:
        return _NEGATIVE if parts and all(p is _NEGATIVE for p in parts) else None
    # Any one required part is a necessary condition: keep the one that lets fewest stories through.
    return min(known, key=cost)


def _any_of(parts: list[_Part]) -> _Part:
    if not parts:
        return None
    out: Alternatives = []
    for p in parts:
        if p is None or p is _NEGATIVE:
            return None  # one alternative that requires nothing: the whole requires nothing
        out.extend(p)
    return out
