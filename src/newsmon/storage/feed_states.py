"""Per-feed state in `${prefix}feeds` (resources/feeds-mapping.json): one document per feed id.

A batch reads its feeds' states with one `mget` and writes them back with one `bulk` request
(chunked only past `CHUNK` feeds), never one request per feed: at 10,000 feeds the state costs two
round trips. The records themselves (FeedState, apply_poll) are newsmon.reader.state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from elasticsearch import NotFoundError

from newsmon.errors import IndexMissing
from newsmon.reader.state import FeedState
from newsmon.storage.backend import Backend

CHUNK = 5000


class FeedStates:
    """Bulk reads and writes of FeedState (in `index`, the feeds index unless given)."""

    def __init__(self, backend: Backend, index: str | None = None):
        self.backend = backend
        self.index = index or backend.names.feeds

    def get_many(self, ids: Iterable[str]) -> dict[str, FeedState]:
        """States of `ids` that exist, one mget per CHUNK ids."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, FeedState] = {}
        for start in range(0, len(wanted), CHUNK):
            try:
                resp = self.backend.es.mget(index=self.index, ids=wanted[start : start + CHUNK])
            except NotFoundError:  # index not created yet (setup not run): no state at all
                return found
            for doc in resp["docs"]:
                if doc.get("found"):
                    found[doc["_id"]] = FeedState.from_doc(doc["_source"])
        return found

    def put_many(self, states: Iterable[FeedState], refresh: bool = False) -> int:
        """Write states, one bulk request per CHUNK; returns how many were written."""
        batch = list(states)
        written = 0
        for start in range(0, len(batch), CHUNK):
            operations: list[dict[str, Any]] = []
            for state in batch[start : start + CHUNK]:
                operations.append({"index": {"_index": self.index, "_id": state.id}})
                operations.append(state.to_doc())
            # Only the statuses come back: at 10,000 feeds the full answer costs more than the write.
            resp = self.backend.es.bulk(
                operations=operations, refresh=refresh, filter_path="errors,items.*.status"
            )
            written += sum(1 for item in resp.get("items", []) if item["index"].get("status", 500) < 300)
        return written

    def all(self, size: int = 10_000) -> list[FeedState]:
        try:
            resp = self.backend.es.search(index=self.index, size=size, sort=[{"id": "asc"}])
        except NotFoundError:
            return []
        return [FeedState.from_doc(h["_source"]) for h in resp["hits"]["hits"]]

    def documents(self, size: int = 500) -> list[dict[str, Any]] | None:
        """Up to `size` stored states as hits (`_id`, `_source`), in no order; None when the index
        does not exist yet. Other failures are newsmon's errors (the search page shows them)."""
        try:
            with self.backend.translated(self.index):
                resp = self.backend.es.search(index=self.index, size=size, query={"match_all": {}})
        except IndexMissing:
            return None
        return list(resp["hits"]["hits"])
