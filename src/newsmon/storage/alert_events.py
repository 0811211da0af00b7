"""Alert events, `${prefix}alert-events` (resources/alert-events-mapping.json): one per (rule,
story), with a deterministic id. What an event holds and when one is written is
newsmon.alerts.events'; this module reads and writes them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from newsmon.errors import IndexMissing
from newsmon.storage.backend import Backend, BulkOutcome

MAPPING = "alert-events-mapping.json"


class AlertEvents:
    def __init__(self, backend: Backend):
        self.backend = backend

    @property
    def index(self) -> str:
        return self.backend.names.alert_events

    def ensure(self) -> None:
        """Create the events index unless it exists."""
        self.backend.ensure_index(self.index, MAPPING)

    def scan(
        self, query: dict[str, Any], source: list[str] | bool = True, sort: list[Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every event matching `query`, as hits (`_id`, `_source`)."""
        return self.backend.scan(query, source=source, index=self.index, sort=sort)

    def create(self, events: list[dict[str, Any]]) -> Iterator[BulkOutcome]:
        """Write new events (each with its `id`) with `create`: an event that exists stays as it
        is (its outcome is a 409). Bulk with retries; see Backend.bulk."""
        actions = ({"_op_type": "create", "_index": self.index, "_id": e["id"], "_source": e} for e in events)
        return self.backend.bulk(actions)

    def undelivered(self, mode: str, rule_id: str | None = None) -> list[dict[str, Any]]:
        """Events of `mode` (and of one rule) still pending or failed, oldest first, with their id."""
        self.ensure()
        filters: list[dict[str, Any]] = [
            {"term": {"mode": mode}},
            {"terms": {"status": ["pending", "failed"]}},
        ]
        if rule_id:
            filters.append({"term": {"rule_id": rule_id}})
        hits = self.scan({"bool": {"filter": filters}}, sort=[{"created_at": "asc"}])
        return [h["_source"] | {"id": h["_id"]} for h in hits]

    def save(self, event: dict[str, Any]) -> None:
        """Write an event's new state (no refresh: callers refresh once when a round is done)."""
        doc = {k: v for k, v in event.items() if k != "id"}
        self.backend.es.index(index=self.index, id=event["id"], document=doc)

    def refresh(self) -> None:
        self.backend.es.indices.refresh(index=self.index)

    def history(self, rule_id: str | None = None, size: int = 50) -> list[dict[str, Any]]:
        """The newest `size` events (of one rule), newest first, with their id."""
        self.ensure()
        query: dict[str, Any] = {"term": {"rule_id": rule_id}} if rule_id else {"match_all": {}}
        resp = self.backend.es.search(index=self.index, size=size, query=query, sort=[{"created_at": "desc"}])
        return [h["_source"] | {"id": h["_id"]} for h in resp["hits"]["hits"]]

    def recent(self, size: int, fields: list[str]) -> list[dict[str, Any]] | None:
        """The newest `size` events with `fields` and their id; None when no alert was ever recorded
        (no events index). Other failures are newsmon's errors (the search page shows them)."""
        try:
            with self.backend.translated(self.index):
                resp = self.backend.es.search(
                    index=self.index, size=size, sort=[{"created_at": "desc"}], source={"includes": fields}
                )
        except IndexMissing:
            return None
        return [h["_source"] | {"id": h["_id"]} for h in resp["hits"]["hits"]]
