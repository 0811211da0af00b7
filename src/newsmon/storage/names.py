"""The names of newsmon's indices, aliases and templates for one prefix (NEWSMON_INDEX_PREFIX).

Every name code uses is made here: `IndexNames(prefix)` is what storage asks. The packaged JSON
(the articles template's index pattern `{{PREFIX}}articles-*` in resources/, Kibana's saved objects
with `{{INDEX_PREFIX}}`) spells the same names with a placeholder that is filled with the prefix
when it is installed; the DAG docs write them as `${prefix}<suffix>`.
"""

from __future__ import annotations

from dataclasses import dataclass

ARTICLES = "articles"  # the alias (and template) of the articles indices
FIRST_ARTICLES_INDEX = "articles-000001"
PENDING = "pending"
FAILED_PAGES = "failed-pages"
RUNS = "runs"
FEEDS = "feeds"
ALERT_RULES = "alert-rules"
ALERT_EVENTS = "alert-events"
SAVED_SEARCHES = "saved-searches"
VISITS = "visits"
AUDIT = "audit"
SUFFIXES = (
    ARTICLES,
    PENDING,
    FAILED_PAGES,
    RUNS,
    FEEDS,
    ALERT_RULES,
    ALERT_EVENTS,
    SAVED_SEARCHES,
    VISITS,
    AUDIT,
)


@dataclass(frozen=True)
class IndexNames:
    prefix: str

    @property
    def articles(self) -> str:
        """The alias every article is read through; its write index takes new articles."""
        return f"{self.prefix}{ARTICLES}"

    @property
    def articles_template(self) -> str:
        return f"{self.prefix}{ARTICLES}"

    @property
    def first_articles_index(self) -> str:
        return f"{self.prefix}{FIRST_ARTICLES_INDEX}"

    def articles_index(self, number: int) -> str:
        """The n-th articles index behind the alias (rollover and reindex number them)."""
        return f"{self.prefix}{ARTICLES}-{number:06d}"

    @property
    def articles_copy(self) -> str:
        """A scratch copy of the articles, for benchmarks only: the articles template's pattern
        covers it, so it is made with the articles' mappings and analysis, but it is not behind the
        alias (nothing reads it)."""
        return f"{self.prefix}{ARTICLES}-copy"

    @property
    def pending(self) -> str:
        return f"{self.prefix}{PENDING}"

    @property
    def failed_pages(self) -> str:
        return f"{self.prefix}{FAILED_PAGES}"

    @property
    def runs(self) -> str:
        return f"{self.prefix}{RUNS}"

    @property
    def feeds(self) -> str:
        return f"{self.prefix}{FEEDS}"

    def scratch_feeds(self, number: int) -> str:
        """A scratch feeds index of a benchmark (`number` tells one apart from another, e.g. how
        many feeds it holds); only benchmarks make one."""
        return f"{self.prefix}{FEEDS}-{number}"

    @property
    def alert_rules(self) -> str:
        return f"{self.prefix}{ALERT_RULES}"

    @property
    def alert_events(self) -> str:
        return f"{self.prefix}{ALERT_EVENTS}"

    @property
    def saved_searches(self) -> str:
        """The searches analysts keep on the search page, one document per search."""
        return f"{self.prefix}{SAVED_SEARCHES}"

    @property
    def visits(self) -> str:
        """Each user's last and previous visit of the search page."""
        return f"{self.prefix}{VISITS}"

    @property
    def audit(self) -> str:
        """Who changed which rule or saved search, when, from what to what."""
        return f"{self.prefix}{AUDIT}"

    @property
    def backups(self) -> str:
        """The snapshot repository of this prefix (an `fs` repository of that name, in a folder of
        the same name under the nodes' `path.repo`)."""
        return f"{self.prefix}backups"

    @property
    def everything(self) -> str:
        """A pattern matching every index and template under the prefix."""
        return f"{self.prefix}*"
