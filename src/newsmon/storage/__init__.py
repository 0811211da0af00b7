"""newsmon.storage: the only code that talks to Elasticsearch.

    with open_storage(settings) as storage:      # the cluster answered (or StoreUnavailable)
        storage.setup()
        ids = storage.pending.waiting(PENDING_CLUSTER)
        hits = storage.articles.get_many(ids, ["title"])

`Storage` holds the client and the index names of one prefix (newsmon.storage.names), the schema
operations (newsmon.storage.schema) and one repository per index: `articles`, `pending`,
`failed_pages`, `runs`, `feed_states`, `alert_rules`, `alert_events`, and the search page's
`saved_searches`, `visits` and `audit`; `lifecycle` (whole indices, for
rollover and retention) and `snapshots` (backups). Query bodies may be built
elsewhere as plain dicts; they are executed here. Where callers handle a failure, it is one of
newsmon.errors (StoreUnavailable, StoreError, IndexMissing, QueryRejected), never an Elasticsearch
exception.
"""

from __future__ import annotations

import logging
import time
from types import TracebackType

from elasticsearch import Elasticsearch

from newsmon.errors import StoreUnavailable
from newsmon.settings import Settings
from newsmon.storage.alert_events import AlertEvents
from newsmon.storage.alert_rules import AlertRules
from newsmon.storage.articles import Articles, IndexResult, Known
from newsmon.storage.audit import AuditLog
from newsmon.storage.backend import BulkOutcome
from newsmon.storage.client import make_client
from newsmon.storage.failed_pages import FailedPages
from newsmon.storage.feed_states import FeedStates
from newsmon.storage.lifecycle import ArticlesIndex, Lifecycle
from newsmon.storage.pending import PENDING_ALERT, PENDING_CLUSTER, PendingMarkers
from newsmon.storage.runs import Runs
from newsmon.storage.saved_searches import SavedSearches
from newsmon.storage.schema import Schema
from newsmon.storage.snapshots import Snapshots
from newsmon.storage.visits import Visits

__all__ = [
    "PENDING_ALERT",
    "PENDING_CLUSTER",
    "ArticlesIndex",
    "BulkOutcome",
    "IndexResult",
    "Known",
    "Storage",
    "open_storage",
]

log = logging.getLogger(__name__)


class Storage(Schema):
    """Everything newsmon stores under one prefix. A context manager: leaving it closes the client."""

    def __init__(self, client: Elasticsearch, prefix: str, url: str = ""):
        super().__init__(client, prefix, url)
        self.articles = Articles(self)
        self.pending = PendingMarkers(self)
        self.failed_pages = FailedPages(self)
        self.runs = Runs(self)
        self.feed_states = FeedStates(self)
        self.alert_rules = AlertRules(self)
        self.alert_events = AlertEvents(self)
        self.saved_searches = SavedSearches(self)
        self.visits = Visits(self)
        self.audit = AuditLog(self)
        self.lifecycle = Lifecycle(self)  # index-level reads and deletes of maintenance
        self.snapshots = Snapshots(self)  # backups

    @classmethod
    def from_settings(cls, settings: Settings) -> Storage:
        """A storage for the settings' nodes, credentials and prefix; nothing is asked yet."""
        return cls(make_client(settings), settings.index_prefix, settings.es_url_shown)

    def close(self) -> None:
        self.es.close()

    def __enter__(self) -> Storage:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_storage(settings: Settings, attempts: int = 3, delay: float = 1.0) -> Storage:
    """A storage whose cluster answered, or StoreUnavailable after `attempts` tries (pausing
    `delay`, then twice as long each time)."""
    storage = Storage.from_settings(settings)
    for attempt in range(1, attempts + 1):
        try:
            storage.check()
            return storage
        except StoreUnavailable:
            if attempt == attempts:
                storage.close()
                raise
            log.warning(
                "Elasticsearch at %s not answering (try %d/%d)", settings.es_url_shown, attempt, attempts
            )
            time.sleep(delay * 2 ** (attempt - 1))
    raise AssertionError("unreachable")
