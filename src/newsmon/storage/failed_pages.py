"""Pages whose extraction failed hard (time budget, dead worker), in `${prefix}failed-pages`:
not fetched again before a retry time that doubles with each failure of the same page."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from newsmon.clock import iso
from newsmon.storage.backend import Backend

log = logging.getLogger(__name__)

FAILED_PAGE_RETRY = timedelta(hours=6)  # a page that broke its extraction budget, tried again after
FAILED_PAGE_RETRY_MAX = timedelta(days=7)  # ... doubling with each failure, at most this


class FailedPages:
    def __init__(self, backend: Backend):
        self.backend = backend

    @property
    def index(self) -> str:
        return self.backend.names.failed_pages

    def record(self, failed: list[tuple[str, str, str]], now: datetime) -> None:
        """(entry id, url, reason) of pages not to fetch again before a retry time that doubles with
        each failure of the same page, from FAILED_PAGE_RETRY up to FAILED_PAGE_RETRY_MAX."""
        if not failed:
            return
        before = {h["_id"]: h["_source"] for h in self._failed([i for i, _, _ in failed])}
        actions = []
        for entry_id, url, reason in failed:
            failures = int(before.get(entry_id, {}).get("failures", 0)) + 1
            wait = min(FAILED_PAGE_RETRY * 2 ** (failures - 1), FAILED_PAGE_RETRY_MAX)
            doc = {"url": url, "error": reason, "failures": failures, "failed_at": iso(now),
                   "retry_at": iso(now + wait)}  # fmt: skip
            actions.append({"_index": self.index, "_id": entry_id, "_source": doc})
        for out in self.backend.bulk(actions):  # a write block stops here (StoreReadOnly)
            if not out.ok:
                log.error("could not record a failed page: %s", out.info)
        self.backend.es.indices.refresh(index=self.index)

    def deferred(self, ids: Iterable[str], now: datetime) -> set[str]:
        """Entry ids among `ids` of failed pages whose retry time has not come."""
        wanted = sorted(set(ids))
        return {
            h["_id"] for h in self._failed(wanted)
            if h["_source"].get("retry_at", "") > (iso(now) or "")
        }  # fmt: skip

    def _failed(self, ids: list[str]) -> list[dict[str, Any]]:
        hits: list[dict[str, Any]] = []
        es = self.backend.es.options(ignore_status=404)  # no index yet: set up by an older version
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            resp = es.search(index=self.index, query={"ids": {"values": chunk}}, size=len(chunk))
            hits += resp.get("hits", {}).get("hits", [])
        return hits
