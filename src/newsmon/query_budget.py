"""What one search may cost: the query budget of the search page and its API, and the operator's.

A Lucene query string can make Elasticsearch walk every term of every field: a leading wildcard
(`*e*`), a regular expression (`/.*e.*/`) or a short fuzzy term (`a~2`) each enumerate the term
dictionary of the dozens of language fields a search covers, and a large `size` multiplies the
work of highlighting. On 5,000 articles such queries took from 5 s to 2 minutes and filled the
search thread pool. So the page and the API (anyone who can reach them) get a budget:

- checked here, before Elasticsearch sees the query: no leading wildcard, no regular expression,
  a few fuzzy terms of at least a few characters, a few wildcard terms with a prefix, a bounded
  length; a refusal says which part and why (QueryTooCostly);
- passed to Elasticsearch with the query (query_string options: `allow_leading_wildcard`,
  `max_determinized_states`, `fuzzy_max_expansions`, `fuzzy_prefix_length`);
- a `size` cap, and a time limit: Elasticsearch's `timeout` for the search and the client's
  request timeout, without a retry of a search that timed out.

`newsmon search` (an operator at the command line) runs with OPERATOR, Elasticsearch's defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from newsmon.errors import QueryTooCostly


@dataclass(frozen=True)
class QueryBudget:
    max_size: int
    timeout: float | None  # seconds; None: no limit of newsmon's own
    max_length: int
    allow_leading_wildcard: bool
    allow_regex: bool
    max_fuzzy_terms: int
    min_fuzzy_chars: int  # characters before `~`
    max_wildcard_terms: int
    min_wildcard_prefix: int  # characters before the first * or ?
    max_determinized_states: int
    fuzzy_max_expansions: int
    fuzzy_prefix_length: int

    def query_string_options(self) -> dict[str, Any]:
        return {
            "allow_leading_wildcard": self.allow_leading_wildcard,
            "max_determinized_states": self.max_determinized_states,
            "fuzzy_max_expansions": self.fuzzy_max_expansions,
            "fuzzy_prefix_length": self.fuzzy_prefix_length,
        }

    def es_timeout(self) -> str | None:
        """The search's `timeout` parameter for Elasticsearch."""
        return None if self.timeout is None else f"{max(1, round(self.timeout * 1000))}ms"

    def client_timeout(self) -> float | None:
        """The client's wait for the answer: Elasticsearch's own limit plus a margin to send it."""
        return None if self.timeout is None else self.timeout + 5


OPERATOR = QueryBudget(
    max_size=10_000, timeout=None, max_length=1_000_000, allow_leading_wildcard=True, allow_regex=True,
    max_fuzzy_terms=1_000, min_fuzzy_chars=0, max_wildcard_terms=1_000, min_wildcard_prefix=0,
    max_determinized_states=10_000, fuzzy_max_expansions=50, fuzzy_prefix_length=0,
)  # fmt: skip


def for_visitors(timeout: float = 10.0) -> QueryBudget:
    """The budget of the search page and its API (NEWSMON_SEARCH_TIMEOUT seconds per search)."""
    return QueryBudget(
        max_size=100, timeout=timeout, max_length=1_000, allow_leading_wildcard=False, allow_regex=False,
        max_fuzzy_terms=2, min_fuzzy_chars=4, max_wildcard_terms=3, min_wildcard_prefix=2,
        max_determinized_states=1_000, fuzzy_max_expansions=20, fuzzy_prefix_length=1,
    )  # fmt: skip


# A term of a query string: a quoted phrase (with an optional ~N), a /regex/, or a bare word.
_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"(?:~\d*)?|/(?:\\.|[^/\\])*/?|(?:\\.|[^\s()\[\]{}"/])+')
_FIELD = re.compile(r"^(?:[\w.*-]+|\\.)+:(?!\\)")  # `title:` before a term
_OPERATORS = {"AND", "OR", "NOT", "TO", "&&", "||", "!"}


def check(query: str, budget: QueryBudget) -> None:
    """Refuse, in words, a query the budget does not allow (QueryTooCostly)."""
    if len(query) > budget.max_length:
        raise QueryTooCostly(f"The query is {len(query)} characters long; at most {budget.max_length} here.")
    fuzzy = wildcards = 0
    for raw in _TOKEN.findall(query):
        term = _FIELD.sub("", raw.lstrip("+-!"))
        if not term or term in _OPERATORS or term.startswith('"'):
            continue  # a phrase's ~N is word distance, cheap
        if term.startswith("/"):
            if not budget.allow_regex:
                raise QueryTooCostly(
                    f"Regular expressions ({_short(term)}) are not available here; use words, "
                    "a trailing wildcard (treat*) or `newsmon search` at the command line."
                )
            continue
        plain = re.sub(r"\\.", "x", term)
        fuzzy += _fuzzy(term, plain, budget)
        wildcards += _wildcard(term, plain, budget)
        if fuzzy > budget.max_fuzzy_terms:
            raise QueryTooCostly(f"At most {budget.max_fuzzy_terms} fuzzy terms (word~) per search here.")
        if wildcards > budget.max_wildcard_terms:
            raise QueryTooCostly(
                f"At most {budget.max_wildcard_terms} wildcard terms (* or ?) per search here."
            )


def _fuzzy(term: str, plain: str, budget: QueryBudget) -> int:
    if "~" not in plain:
        return 0
    word = plain.split("~", 1)[0]
    if len(word) < budget.min_fuzzy_chars:
        raise QueryTooCostly(
            f"A fuzzy term needs at least {budget.min_fuzzy_chars} characters before ~ here "
            f"({_short(term)} is too short: it would match almost every word)."
        )
    return 1


def _wildcard(term: str, plain: str, budget: QueryBudget) -> int:
    first = min((i for i in (plain.find("*"), plain.find("?")) if i >= 0), default=-1)
    if first < 0 or plain == "*":
        return 0  # a lone * is "everything", which is cheap
    if first == 0 and not budget.allow_leading_wildcard:
        raise QueryTooCostly(
            f"A wildcard at the start of a word ({_short(term)}) is not available here: it reads every "
            "word of every article. Put some letters first (treat*)."
        )
    if first < budget.min_wildcard_prefix:
        raise QueryTooCostly(
            f"A wildcard term needs at least {budget.min_wildcard_prefix} letters before * or ? here "
            f"({_short(term)})."
        )
    return 1


def _short(term: str) -> str:
    return f"“{term[:40]}…”" if len(term) > 40 else f"“{term}”"
