"""What the search page keeps for each analyst: saved searches (each the user's own) and visits
(what is new since the previous one). Every change of a saved search goes to the audit log, as
changes of rules do. Called by the HTTP API (newsmon.web.api); nothing here needs the web.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from newsmon import clock
from newsmon.alerts.owned import FacetsIn, Invalid, NotFound, Text, invalid, record_change
from newsmon.alerts.rules import query_size_problem
from newsmon.search import since_to_es
from newsmon.storage import Storage
from newsmon.storage.saved_searches import MAX_PER_USER

# Requests closer together than this belong to one visit: a reload, or the next page of results,
# does not make everything seen a moment ago "old".
VISIT_GAP = timedelta(minutes=30)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SearchFiltersIn(FacetsIn):
    """The page's filters as a saved search keeps them (all of the page's state but its paging)."""

    date_from: str | None = Field(None, description="YYYY-MM-DD")
    date_to: str | None = Field(None, description="YYYY-MM-DD")
    include_duplicates: bool = False
    content_types: list[Literal["html", "pdf"]] = Field(
        default_factory=list, description="html (HTML articles), pdf (PDF documents): any of them"
    )

    @field_validator("date_from", "date_to")
    @classmethod
    def _day(cls, value: str | None) -> str | None:
        if value is not None and not _DAY.match(value):
            raise ValueError("a date such as 2026-05-31")
        return value

    @field_validator("since")
    @classmethod
    def _since(cls, value: str | None) -> str | None:
        if value:
            try:
                since_to_es(value)
            except Exception:
                raise ValueError("a duration such as 12h, 30d or 1y") from None
        return value


class SavedSearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text
    query: str = Field("", description="Lucene query-string syntax; empty: every story")
    filters: SearchFiltersIn = Field(default_factory=lambda: SearchFiltersIn())

    @field_validator("query")
    @classmethod
    def _size(cls, value: str) -> str:
        if problem := query_size_problem(value):
            raise ValueError(problem)
        return value.strip()


def saved_searches(storage: Storage, user: str) -> list[dict[str, Any]]:
    """The user's saved searches, newest first."""
    keys = ("id", "name", "query", "filters", "created_at")
    return [{k: s.get(k) for k in keys} for s in storage.saved_searches.of_user(user)]


def save_search(storage: Storage, user: str, body: SavedSearchIn | Mapping[str, Any]) -> dict[str, Any]:
    try:
        asked = body if isinstance(body, SavedSearchIn) else SavedSearchIn.model_validate(body)
    except ValidationError as exc:
        raise invalid(exc) from None
    if storage.saved_searches.count_of_user(user) >= MAX_PER_USER:
        raise Invalid("name", f"at most {MAX_PER_USER} saved searches per user: delete some first")
    search_id = secrets.token_hex(8)
    doc = {"user": user, "name": asked.name, "query": asked.query,
           "filters": asked.filters.model_dump(exclude_defaults=True), "created_at": clock.now_iso()}  # fmt: skip
    storage.saved_searches.create(search_id, doc)
    record_change(
        storage, user, "search.create", search_id, asked.name, None, doc, target_type="saved_search"
    )
    return {"id": search_id, **{k: doc[k] for k in ("name", "query", "filters", "created_at")}}


def delete_search(storage: Storage, user: str, search_id: str) -> None:
    """Delete one of the user's own searches; another's is NotFound, as one that does not exist."""
    found = storage.saved_searches.get(search_id) if re.fullmatch(r"[0-9a-f]{16}", search_id) else None
    if found is None or found.get("user") != user:
        raise NotFound(f"no saved search {search_id!r} of yours")
    storage.saved_searches.delete(search_id)
    before = {k: v for k, v in found.items() if k != "id"}
    record_change(storage, user, "search.delete", search_id, found.get("name"), before, None,
                  target_type="saved_search")  # fmt: skip


def previous_visit(storage: Storage, user: str) -> str | None:
    """The visit before the user's current (latest recorded) one; None before a second visit."""
    doc = storage.visits.of_user(user)
    return doc.get("previous_visit") if doc else None


def record_visit(storage: Storage, user: str) -> str | None:
    """Record that `user` is on the page now; returns the previous visit (what is newer is new to
    them). Within VISIT_GAP of the last request it is the same visit: the previous one stays."""
    now = clock.now()
    doc = storage.visits.of_user(user) or {}
    last = doc.get("last_visit")
    if last and now - clock.parse_iso(last) < VISIT_GAP:
        previous = doc.get("previous_visit")
    else:
        previous = last
    storage.visits.save(user, {"last_visit": clock.iso(now), "previous_visit": previous})
    return str(previous) if previous else None
