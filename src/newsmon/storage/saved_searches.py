"""Saved searches, `${prefix}saved-searches` (resources/saved-searches-mapping.json): one document
per search, each its user's own. What a search holds and who may see it is
newsmon.web.analysts'; this module reads and writes."""

from __future__ import annotations

from typing import Any

from newsmon.storage.backend import Backend

MAPPING = "saved-searches-mapping.json"
MAX_PER_USER = 500  # more than anyone keeps; a list past it shows the newest


class SavedSearches:
    def __init__(self, backend: Backend):
        self.backend = backend

    @property
    def index(self) -> str:
        return self.backend.names.saved_searches

    def ensure(self) -> None:
        self.backend.ensure_index(self.index, MAPPING)

    def of_user(self, user: str) -> list[dict[str, Any]]:
        """The user's searches, newest first, each with its `id`."""
        self.ensure()
        resp = self.backend.es.search(
            index=self.index, size=MAX_PER_USER, query={"term": {"user": user}},
            sort=[{"created_at": "desc"}, {"name": "asc"}],
        )  # fmt: skip
        return [h["_source"] | {"id": h["_id"]} for h in resp["hits"]["hits"]]

    def count_of_user(self, user: str) -> int:
        self.ensure()
        return int(self.backend.es.count(index=self.index, query={"term": {"user": user}})["count"])

    def get(self, search_id: str) -> dict[str, Any] | None:
        self.ensure()
        resp = self.backend.es.options(ignore_status=404).get(index=self.index, id=search_id)
        return resp["_source"] | {"id": resp["_id"]} if resp.get("found") else None

    def create(self, search_id: str, doc: dict[str, Any]) -> None:
        """Write a new search (searchable at once: the page lists it next)."""
        self.ensure()
        self.backend.es.create(index=self.index, id=search_id, document=doc, refresh=True)

    def delete(self, search_id: str) -> None:
        self.backend.es.delete(index=self.index, id=search_id, refresh=True)
