"""The run history: one summary per monitoring pass in `${prefix}runs`."""

from __future__ import annotations

import logging
from typing import Any

from elasticsearch import ApiError, NotFoundError, TransportError

from newsmon.storage.backend import Backend

log = logging.getLogger(__name__)


class Runs:
    def __init__(self, backend: Backend):
        self.backend = backend

    @property
    def index(self) -> str:
        return self.backend.names.runs

    def record(self, summary: dict[str, Any]) -> None:
        """Store a run's summary (searchable at once); a failure is logged, never raised, except a
        write block (StoreReadOnly: a full disk stops the pass where it is seen)."""
        try:
            self.backend.es.index(index=self.index, document=summary, refresh=True)
        except ApiError as exc:
            self.backend.raise_if_blocked(exc)
            log.warning("could not record the run summary in %s: %s", self.index, exc)
        except TransportError as exc:
            log.warning("could not record the run summary in %s: %s", self.index, exc)

    def last(self, size: int = 1) -> list[dict[str, Any]]:
        """The newest `size` summaries, newest first; none before setup."""
        try:
            resp = self.backend.es.search(index=self.index, sort=[{"@timestamp": "desc"}], size=size)
        except NotFoundError:
            return []
        return [h["_source"] for h in resp["hits"]["hits"]]
