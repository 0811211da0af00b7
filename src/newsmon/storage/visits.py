"""Visits of the search page, `${prefix}visits` (resources/visits-mapping.json): one document per
user with the last and the previous visit. When a visit counts as new is newsmon.web.analysts';
this module reads and writes."""

from __future__ import annotations

import hashlib
from typing import Any

from newsmon.storage.backend import Backend

MAPPING = "visits-mapping.json"


def _doc_id(user: str) -> str:
    # A user name may hold any character, and be longer than an _id may be.
    return hashlib.sha256(user.encode()).hexdigest()[:40]


class Visits:
    def __init__(self, backend: Backend):
        self.backend = backend

    @property
    def index(self) -> str:
        return self.backend.names.visits

    def ensure(self) -> None:
        self.backend.ensure_index(self.index, MAPPING)

    def of_user(self, user: str) -> dict[str, Any] | None:
        """The user's visits document (`user`, `last_visit`, `previous_visit`), or None."""
        self.ensure()
        resp = self.backend.es.options(ignore_status=404).get(index=self.index, id=_doc_id(user))
        return dict(resp["_source"]) if resp.get("found") else None

    def save(self, user: str, doc: dict[str, Any]) -> None:
        self.ensure()
        self.backend.es.index(index=self.index, id=_doc_id(user), document=doc | {"user": user})
