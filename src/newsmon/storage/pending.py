"""Pending markers: small documents in `${prefix}pending` saying which articles still wait for
clustering and for alerts. Articles stored by versions that kept the flags in the article itself
are found and cleared too."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from newsmon.clock import iso
from newsmon.storage.backend import Backend

log = logging.getLogger(__name__)

PENDING_CLUSTER, PENDING_ALERT = "pending_cluster", "pending_alert"  # the flags of a pending marker


class PendingMarkers:
    def __init__(self, backend: Backend):
        self.backend = backend

    @property
    def index(self) -> str:
        return self.backend.names.pending

    def waiting(self, flag: str, unless: str | None = None, limit: int | None = None) -> list[str]:
        """Ids of articles whose `flag` is still set (and, with `unless`, whose other flag is not),
        oldest first; all of them unless `limit`."""
        backend = self.backend
        backend.refresh_articles()
        query: dict[str, Any] = {"bool": {"filter": [{"term": {flag: True}}]}}
        if unless:
            query["bool"]["must_not"] = [{"term": {unless: True}}]
        found: list[tuple[str, str]] = []
        for index in (self.index, backend.names.articles):
            if not backend.es.indices.exists(index=index):
                continue
            hits = backend.scan(
                query, source=["fetched_at"], index=index, sort=[{"fetched_at": "asc"}], limit=limit
            )
            found += [(h["_source"].get("fetched_at") or "", h["_id"]) for h in hits]
        ids = list(dict.fromkeys(i for _, i in sorted(found)))
        return ids if limit is None else ids[:limit]

    def decisions(self, ids: list[str], key: str) -> dict[str, dict[str, Any]]:
        """The markers of `ids` that carry the field `key` (what a batch decided of the article's
        copies, newsmon.stories.decided), by id."""
        found: dict[str, dict[str, Any]] = {}
        es = self.backend.es.options(ignore_status=404)
        for start in range(0, len(ids), 1000):
            docs = es.mget(index=self.index, ids=ids[start : start + 1000])
            for d in docs.get("docs", []):
                if d.get("found") and d["_source"].get(key):
                    found[d["_id"]] = d["_source"]
        return found

    def clear(self, ids: list[str], flag: str) -> None:
        """Clear `flag` of `ids`: a marker with no flag left is deleted, and articles of older
        versions that carry the flag themselves are updated."""
        if not ids:
            return
        backend = self.backend
        actions: list[dict[str, Any]] = []
        es = backend.es.options(ignore_status=404)
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            docs = es.mget(index=self.index, ids=chunk, source=[PENDING_CLUSTER, PENDING_ALERT])
            for d in docs.get("docs", []):
                if not d.get("found"):
                    continue
                rest = {k: v for k, v in d["_source"].items() if k != flag and v}
                if rest:
                    actions.append(
                        {"_op_type": "update", "_index": self.index, "_id": d["_id"], "doc": {flag: False}}
                    )
                else:
                    actions.append({"_op_type": "delete", "_index": self.index, "_id": d["_id"]})
            legacy = {"bool": {"filter": [{"ids": {"values": chunk}}, {"term": {flag: True}}]}}
            for h in backend.scan(legacy, index=backend.names.articles):
                actions.append(
                    {"_op_type": "update", "_index": h["_index"], "_id": h["_id"], "doc": {flag: False}}
                )
        for out in backend.bulk(actions):
            if not out.ok and out.info.get("status") != 404:
                log.error("could not clear %s of %s: %s", flag, out.info.get("_id"), out.info.get("error"))
        backend.refresh_articles()

    def marked_before(self, before: datetime) -> list[str]:
        """Ids of the articles whose marker was written for a fetch before `before` (or says no
        fetch time); none before setup. Younger markers may belong to a batch writing right now
        (a marker goes before its article), so retention leaves them alone."""
        if not self.backend.es.indices.exists(index=self.index):
            return []
        query = {"bool": {"should": [
            {"range": {"fetched_at": {"lt": iso(before)}}},
            {"bool": {"must_not": [{"exists": {"field": "fetched_at"}}]}},
        ]}}  # fmt: skip
        return sorted(h["_id"] for h in self.backend.scan(query, index=self.index))

    def delete(self, ids: list[str]) -> int:
        """Delete the markers of `ids` (retention: their articles are gone); how many went."""
        actions = ({"_op_type": "delete", "_index": self.index, "_id": i} for i in ids)
        deleted = sum(1 for out in self.backend.bulk(actions) if out.ok)
        self.backend.es.indices.refresh(index=self.index)
        return deleted
