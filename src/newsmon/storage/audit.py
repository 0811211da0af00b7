"""The audit log, `${prefix}audit` (resources/audit-mapping.json): one entry per change of a
page-made alert rule or a saved search: who, which action, when, on which one, and its definition
before and after. Entries are only ever added. What counts as a change is the caller's."""

from __future__ import annotations

from typing import Any

from newsmon.storage.backend import Backend

MAPPING = "audit-mapping.json"


class AuditLog:
    def __init__(self, backend: Backend):
        self.backend = backend

    @property
    def index(self) -> str:
        return self.backend.names.audit

    def ensure(self) -> None:
        self.backend.ensure_index(self.index, MAPPING)

    def record(self, entry: dict[str, Any]) -> None:
        """Add one entry (`@timestamp`, `seq`, `user`, `action`, `target_type`, `target_id`, ...);
        `seq` orders the entries of one second."""
        self.ensure()
        self.backend.es.index(index=self.index, document=entry, refresh=True)

    def entries(self, target_id: str | None = None, size: int = 100) -> list[dict[str, Any]]:
        """The newest `size` entries (about one rule or search), newest first."""
        self.ensure()
        query: dict[str, Any] = {"term": {"target_id": target_id}} if target_id else {"match_all": {}}
        resp = self.backend.es.search(
            index=self.index, size=size, query=query, sort=[{"@timestamp": "desc"}, {"seq": "desc"}]
        )
        return [h["_source"] for h in resp["hits"]["hits"]]
