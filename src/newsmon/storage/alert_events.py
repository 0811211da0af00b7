"""Alert events, `${prefix}alert-events` (resources/alert-events-mapping.json): one per (rule,
story), with a deterministic id. What an event holds and when one is written is
newsmon.alerts.events'; this module reads and writes them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from elasticsearch import ConflictError

from newsmon.errors import IndexMissing
from newsmon.storage.backend import Backend, BulkOutcome

MAPPING = "alert-events-mapping.json"
SENDING = "sending"  # claimed by a delivery that has not recorded its outcome yet


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

    def undelivered(
        self, mode: str, rule_id: str | None = None, *, stale_before: str | None = None
    ) -> list[dict[str, Any]]:
        """Events of `mode` (and of one rule) still pending or failed, oldest first, with their id
        and the version they were read at (`_seq_no`, `_primary_term`: what `claim` needs). An event
        claimed by a delivery that never finished (claimed before `stale_before`) counts as failed."""
        self.ensure()
        filters: list[dict[str, Any]] = [
            {"term": {"mode": mode}},
            {"terms": {"status": ["pending", "failed", SENDING]}},
        ]
        if rule_id:
            filters.append({"term": {"rule_id": rule_id}})
        query = {"bool": {"filter": filters}}
        sort = [{"created_at": "asc"}]
        hits = self.backend.scan(query, source=True, index=self.index, sort=sort, seq_no_primary_term=True)
        out = []
        for h in hits:
            src = h["_source"]
            if src.get("status") == SENDING and (
                stale_before is None or str(src.get("claimed_at")) >= stale_before
            ):
                continue  # another delivery is sending it now
            out.append(src | {"id": h["_id"], "_seq_no": h["_seq_no"], "_primary_term": h["_primary_term"]})
        return out

    def claim(self, events: list[dict[str, Any]], owner: str, at: str) -> list[dict[str, Any]]:
        """Mark events as being sent by `owner`, each only if it is still the version `undelivered`
        read (optimistic concurrency): of two deliveries reading the same events, each event goes to
        one of them. Returns the events claimed here (without their version fields)."""
        claimed = []
        for event in events:
            seq_no, term = event.pop("_seq_no", None), event.pop("_primary_term", None)
            doc = {k: v for k, v in event.items() if k != "id"}
            doc |= {"status": SENDING, "claimed_by": owner, "claimed_at": at}
            try:
                self.backend.es.index(
                    index=self.index, id=event["id"], document=doc, if_seq_no=seq_no, if_primary_term=term
                )
            except ConflictError:
                continue  # claimed (or delivered) by another delivery since it was read
            claimed.append(event)
        return claimed

    def save(self, event: dict[str, Any]) -> None:
        """Write an event's new state (no refresh: callers refresh once when a round is done)."""
        doc = {k: v for k, v in event.items() if k not in ("id", "_seq_no", "_primary_term")}
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
