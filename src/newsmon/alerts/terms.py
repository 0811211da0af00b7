"""Which terms a story must contain for a rule's query to match it: the percolator's trick.

Elasticsearch's percolator module is not among Elastic's artifacts on Maven Central, so newsmon
does what it does inside: from each stored query it extracts a set of terms of which at least one
must occur in any matching document, and only rules whose set meets a story's terms are run
against that story. A query with no such set (`*`, pure negations, wildcards, fuzzy or range
terms) is run against every story. The extraction only ever errs towards running a rule.
"""

from __future__ import annotations

from collections.abc import Callable

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
Requirement = list[tuple[str | None, str]] | None
_NEGATIVE = "negative"


Cost = Callable[[list[tuple[str | None, str]]], float]


def required_terms(query: str, cost: Cost | None = None) -> Requirement:
    """The alternatives of which a matching story must contain one, or None when any story may match.

    Where several parts of a query are each required (AND), any one of them would do; `cost` ranks
    them (e.g. by how many stored stories contain them) and the cheapest is kept. Without it, the
    part with the fewest alternatives is kept.
    """
    result = _req(lucene.parse(query), None, cost or len)
    return None if result == _NEGATIVE else result  # type: ignore[return-value]


def _req(node: object, field: str | None, cost: Cost) -> Requirement | str:
    if isinstance(node, SearchField):
        return _req(node.expr, node.name, cost)
    if isinstance(node, (Group, FieldGroup, Boost)):
        return _req(node.expr if not isinstance(node, Boost) else node.children[0], field, cost)
    if isinstance(node, (Word, Phrase)):
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
    if isinstance(node, Proximity):
        return _req(node.term, field, cost)
    if isinstance(node, (Fuzzy, Range, Regex)):
        return None
    if isinstance(node, (Not, Prohibit)):
        return _NEGATIVE
    if isinstance(node, Plus):
        return _req(node.a, field, cost)
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


def _all_of(parts: list[Requirement | str], cost: Cost) -> Requirement | str:
    known = [p for p in parts if p is not None and p != _NEGATIVE]
    if not known:
        return _NEGATIVE if parts and all(p == _NEGATIVE for p in parts) else None
    # Any one required part is a necessary condition: keep the one that lets fewest stories through.
    return min(known, key=cost)  # type: ignore[arg-type]


def _any_of(parts: list[Requirement | str]) -> Requirement | str:
    if not parts or any(p is None or p == _NEGATIVE for p in parts):
        return None
    out: list[tuple[str | None, str]] = []
    for p in parts:
        out.extend(p)  # type: ignore[arg-type]
    return out
