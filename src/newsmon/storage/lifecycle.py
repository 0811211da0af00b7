"""What rollover, retention and backups ask of the stored indices: the articles indices behind the
alias with their article counts and fetch-time range, deleting a whole index, and counting or
deleting the documents of an index older than a time. The decisions (what is old) are
newsmon.maintenance's and Storage.rollover's; every time here comes from the caller (newsmon's
clock), never from Elasticsearch's `now`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsmon.clock import iso, parse_iso
from newsmon.storage.backend import Backend


@dataclass(frozen=True)
class ArticlesIndex:
    """One concrete index behind the articles alias."""

    name: str
    is_write_index: bool
    articles: int
    oldest_fetched_at: datetime | None  # None when the index holds no article
    newest_fetched_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.name,
            "write_index": self.is_write_index,
            "articles": self.articles,
            "oldest_fetched_at": iso(self.oldest_fetched_at),
            "newest_fetched_at": iso(self.newest_fetched_at),
        }


def _date(agg: dict[str, Any]) -> datetime | None:
    text = agg.get("value_as_string")
    return parse_iso(text) if agg.get("value") is not None and text else None


class Lifecycle:
    """Index-level reads and deletes for maintenance, on one prefix."""

    def __init__(self, backend: Backend):
        self.backend = backend

    def articles_indices(self) -> list[ArticlesIndex]:
        """Every index behind the articles alias, oldest name first, with its article count and
        the oldest and newest `fetched_at` in it (freshly refreshed: the last writes count)."""
        es = self.backend.es
        alias = self.backend.names.articles
        if not es.indices.exists_alias(name=alias):
            return []
        found = es.indices.get_alias(name=alias)
        es.indices.refresh(index=alias)
        resp = es.search(
            index=alias,
            size=0,
            aggs={
                "by_index": {
                    "terms": {"field": "_index", "size": max(10, len(found))},
                    "aggs": {
                        "oldest": {"min": {"field": "fetched_at", "format": "strict_date_time_no_millis"}},
                        "newest": {"max": {"field": "fetched_at", "format": "strict_date_time_no_millis"}},
                    },
                }
            },
        )
        buckets = {b["key"]: b for b in resp["aggregations"]["by_index"]["buckets"]}
        out = []
        for name in sorted(found):
            bucket = buckets.get(name, {})
            out.append(
                ArticlesIndex(
                    name=name,
                    is_write_index=bool(found[name]["aliases"][alias].get("is_write_index")),
                    articles=int(bucket.get("doc_count", 0)),
                    oldest_fetched_at=_date(bucket.get("oldest", {})),
                    newest_fetched_at=_date(bucket.get("newest", {})),
                )
            )
        return out

    def stored_ids(self, ids: list[str], indices: list[str]) -> set[str]:
        """Those of `ids` held by any of `indices` (concrete articles indices). Real-time gets, not
        a search: an article written a moment ago, not yet refreshed, counts as stored."""
        found: set[str] = set()
        es = self.backend.es
        for index in indices:
            todo = [i for i in ids if i not in found]
            for start in range(0, len(todo), 1000):
                resp = es.mget(index=index, ids=todo[start : start + 1000], source=False)
                found.update(d["_id"] for d in resp["docs"] if d.get("found"))
        return found

    def leaders_with_copies(self, index: str) -> list[str]:
        """Ids of the first-seen copies in `index` (a concrete articles index) that other copies
        point at: removing the index leaves those copies without their story's leader."""
        query = {
            "bool": {
                "filter": [{"range": {"cluster_size": {"gt": 1}}}],
                "must_not": [{"exists": {"field": "duplicate_of"}}],
            }
        }
        return [h["_id"] for h in self.backend.scan(query, source=False, index=index)]

    def delete_index(self, name: str) -> None:
        """Delete one concrete index (its alias membership goes with it)."""
        self.backend.es.indices.delete(index=name)

    def existing(self, names: list[str]) -> list[str]:
        """Those of the concrete index `names` that exist now."""
        return [n for n in names if self.backend.es.indices.exists(index=n)]

    def delete_every_index(self) -> None:
        """Delete every index of the prefix (a restore with replace); templates stay."""
        self.backend.es.options(ignore_status=404).indices.delete(
            index=self.backend.names.everything, expand_wildcards="all"
        )

    def count_before(self, index: str, field: str, before: datetime) -> int:
        """Documents of `index` whose `field` is earlier than `before`; 0 when the index is missing."""
        es = self.backend.es.options(ignore_status=404)
        resp = es.count(index=index, query=_before(field, before))
        return int(resp.get("count", 0))

    def delete_before(self, index: str, field: str, before: datetime) -> int:
        """Delete the documents of `index` whose `field` is earlier than `before`; how many went.
        Found with a scan and deleted in bulk: the local node has no delete-by-query (it lives in
        the reindex module, which Maven Central does not carry)."""
        backend = self.backend
        if not backend.es.indices.exists(index=index):
            return 0
        hits = backend.scan(_before(field, before), index=index)
        actions = ({"_op_type": "delete", "_index": h["_index"], "_id": h["_id"]} for h in hits)
        deleted = sum(1 for out in backend.bulk(actions) if out.ok)
        backend.es.indices.refresh(index=index)
        return deleted

    def document_counts(self) -> dict[str, int]:
        """Every index of the prefix with its number of documents (what a backup holds)."""
        es = self.backend.es
        pattern = self.backend.names.everything
        names = sorted(
            es.options(ignore_status=404).indices.get(index=pattern, features="settings").body or {}
        )
        if not names:
            return {}
        resp = es.search(
            index=pattern, size=0, track_total_hits=False,
            aggs={"by_index": {"terms": {"field": "_index", "size": max(10, len(names))}}},
        )  # fmt: skip
        counts = {b["key"]: int(b["doc_count"]) for b in resp["aggregations"]["by_index"]["buckets"]}
        return {name: counts.get(name, 0) for name in names}


def _before(field: str, before: datetime) -> dict[str, Any]:
    return {"range": {field: {"lt": iso(before)}}}
