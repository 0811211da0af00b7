"""Per-feed state in `${prefix}feeds` (resources/feeds-mapping.json): one document per feed id.

A batch reads its feeds' states with one `mget` and writes them back with one `bulk` request
(chunked only past `CHUNK` feeds), never one request per feed: at 10,000 feeds the state costs two
round trips. Documents go in and out (what newsmon.reader.state.FeedState.to_doc makes and
FeedState.from_doc reads): the records and how a poll changes them belong to the reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from elasticsearch import ApiError, NotFoundError

from newsmon.errors import IndexMissing
from newsmon.storage.backend import Backend, write_block

CHUNK = 5000


class FeedStates:
    """Bulk reads and writes of feed state documents (in `index`, the feeds index unless given)."""

    def __init__(self, backend: Backend, index: str | None = None):
        self.backend = backend
        self.index = index or backend.names.feeds

    def scratch(self, number: int) -> FeedStates:
        """Benchmarks only: create a new, empty feeds index of its own (IndexNames.scratch_feeds:
        one shard, no replica, mapped as documents come) and return the feed states kept in it, so
        that the cost of state at some number of feeds is measured apart from other documents.
        `Storage.drop_all` deletes it with the rest of the prefix."""
        index = self.backend.names.scratch_feeds(number)
        self.backend.es.indices.create(index=index, settings={"number_of_shards": 1, "number_of_replicas": 0})
        return FeedStates(self.backend, index)

    def refresh(self) -> None:
        """Make the latest writes to these feed states searchable."""
        self.backend.es.indices.refresh(index=self.index)

    def get_many(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored documents of those `ids` that have one, one mget per CHUNK ids."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), CHUNK):
            try:
                resp = self.backend.es.mget(index=self.index, ids=wanted[start : start + CHUNK])
            except NotFoundError:  # index not created yet (setup not run): no state at all
                return found
            for doc in resp["docs"]:
                if doc.get("found"):
                    found[doc["_id"]] = doc["_source"]
        return found

    def put_many(
        self,
        docs: Iterable[dict[str, Any]],
        refresh: bool = False,
        failed: dict[str, str] | None = None,
    ) -> int:
        """Write state documents (each names its feed in `id`), one bulk request per CHUNK; returns
        how many were written. Each document Elasticsearch refused (e.g. a value its mapping
        rejects) goes into `failed` as feed id -> reason, so the caller can report it."""
        batch = list(docs)
        written = 0
        for start in range(0, len(batch), CHUNK):
            chunk = batch[start : start + CHUNK]
            operations: list[dict[str, Any]] = []
            for doc in chunk:
                operations.append({"index": {"_index": self.index, "_id": doc["id"]}})
                operations.append(doc)
            # Only the statuses (and the reasons of refusals) come back: at 10,000 feeds the full
            # answer costs more than the write. Items come back in the order they were sent.
            try:
                resp = self.backend.es.bulk(
                    operations=operations,
                    refresh=refresh,
                    filter_path="errors,items.*.status,items.*.error.type,items.*.error.reason",
                )
            except ApiError as exc:
                self.backend.raise_if_blocked(exc)
                raise
            for doc, item in zip(chunk, resp.get("items", []), strict=False):
                result = item.get("index", {})
                found = write_block(result.get("error"))
                if found is not None:  # a full disk: no state is half written without anyone knowing
                    raise self.backend.read_only(self.index, found[1], found[2])
                if result.get("status", 500) < 300:
                    written += 1
                elif failed is not None:
                    error = result.get("error") or {}
                    reason = f"{error.get('type', 'error')}: {error.get('reason', '')}"[:300]
                    failed[str(doc["id"])] = f"HTTP {result.get('status', 500)} {reason}"
        return written

    def documents(self, size: int = 500) -> list[dict[str, Any]] | None:
        """Up to `size` stored states as hits (`_id`, `_source`), in no order; None when the index
        does not exist yet. Other failures are newsmon's errors (the search page shows them)."""
        try:
            with self.backend.translated(self.index):
                resp = self.backend.es.search(index=self.index, size=size, query={"match_all": {}})
        except IndexMissing:
            return None
        return list(resp["hits"]["hits"])

    def ids(self) -> list[str]:
        """The feed id of every stored state; none when the index does not exist yet."""
        if not self.backend.es.indices.exists(index=self.index):
            return []
        return sorted(h["_id"] for h in self.backend.scan({"match_all": {}}, index=self.index))

    def delete(self, ids: list[str]) -> int:
        """Delete the states of `ids` (feeds no longer configured); how many went."""
        actions = ({"_op_type": "delete", "_index": self.index, "_id": i} for i in ids)
        deleted = sum(1 for out in self.backend.bulk(actions) if out.ok)
        self.refresh()
        return deleted
