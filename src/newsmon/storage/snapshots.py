"""Backups as Elasticsearch snapshots, in the `fs` repository `${prefix}backups`.

The repository's location is relative (its own name): Elasticsearch puts it under the first folder
of the nodes' `path.repo`, so the same request works on the local node (scripts/elasticsearch
gives every node `$NEWSMON_ES_HOME/snapshots`), on a cluster whose nodes share one folder, and on
the full distribution (docker compose mounts a volume there). A node without `path.repo` cannot
hold a filesystem repository at all: that is a StoreError naming `path.repo`.

Snapshots newsmon makes carry `metadata` (`made_by: newsmon`, the prefix, newsmon's clock time and
the document count), which is how pruning tells them from snapshots someone else put there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from elasticsearch import ApiError

from newsmon.errors import StoreError
from newsmon.storage.backend import Backend

log = logging.getLogger(__name__)

MADE_BY = "newsmon"
POLL_S = 0.2  # how often a running snapshot is asked whether it is done


class Snapshots:
    def __init__(self, backend: Backend):
        self.backend = backend

    @property
    def repository(self) -> str:
        return self.backend.names.backups

    def ensure_repository(self) -> None:
        """Register the `fs` repository (idempotent); StoreError naming `path.repo` when a node has
        no such folder or the nodes do not share it."""
        try:
            self.backend.es.snapshot.create_repository(
                name=self.repository,
                repository={"type": "fs", "settings": {"location": self.repository, "compress": True}},
            )
        except ApiError as exc:
            text = str(exc)
            if "path.repo" not in text and "repository_verification_exception" not in text:
                raise
            missing = self.names_of_nodes_without_repo()
            where = (
                f"node(s) {', '.join(missing)} have no `path.repo`"
                if missing
                else "the nodes' `path.repo` folders are not one shared folder"
            )
            raise StoreError(
                f"Elasticsearch at {self.backend.url} cannot hold the snapshot repository "
                f"{self.repository!r}: {where}. Every node needs `path.repo` naming a folder all nodes "
                "share (scripts/elasticsearch sets it at start; docker compose mounts a volume there). "
                f"Elasticsearch said: {_reason(exc)}",
                exc.meta.status,
                "repository_exception",
            ) from None

    def names_of_nodes_without_repo(self) -> list[str]:
        """The nodes whose settings have no `path.repo` (for an explanation)."""
        resp = self.backend.es.nodes.info(metric="settings", filter_path="nodes.*.name,nodes.*.settings.path")
        return sorted(
            n.get("name", node_id)
            for node_id, n in resp.get("nodes", {}).items()
            if not n.get("settings", {}).get("path", {}).get("repo")
        )

    def create(
        self,
        name: str,
        metadata: dict[str, Any],
        progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Snapshot every index of the prefix (no global state) as `name` and wait until it is
        done, telling `progress` the shard counts while it runs. Returns the snapshot as `get`."""
        self.ensure_repository()
        es = self.backend.es
        es.snapshot.create(
            repository=self.repository,
            snapshot=name,
            indices=self.backend.names.everything,
            include_global_state=False,
            metadata={"made_by": MADE_BY, "prefix": self.backend.prefix, **metadata},
            wait_for_completion=False,
        )
        # The snapshot's own state, not the status API's: that one says SUCCESS once the shards
        # are copied, while the snapshot is still being finalised (and `get` says IN_PROGRESS).
        while (snap := self.get(name))["state"] == "IN_PROGRESS":
            if progress:
                status = es.snapshot.status(repository=self.repository, snapshot=name)["snapshots"][0]
                progress({"state": status["state"], **status.get("shards_stats", {})})
            time.sleep(POLL_S)
        return snap

    def get(self, name: str) -> dict[str, Any]:
        """One snapshot: `name`, `state`, `start_time`, `indices`, `size_in_bytes`, `metadata`, ..."""
        resp = self.backend.es.snapshot.get(repository=self.repository, snapshot=name, index_details=True)
        return _snapshot(resp["snapshots"][0])

    def all(self) -> list[dict[str, Any]]:
        """Every snapshot of the repository, oldest first; none when it is not registered yet."""
        es = self.backend.es
        try:
            es.snapshot.get_repository(name=self.repository)
        except ApiError as exc:
            if exc.meta.status == 404:
                return []
            raise
        resp = es.snapshot.get(repository=self.repository, snapshot="_all", index_details=True)
        snaps = [_snapshot(s) for s in resp["snapshots"]]
        return sorted(snaps, key=lambda s: (s["start_time_in_millis"] or 0, s["name"]))

    def delete(self, names: list[str]) -> None:
        if names:
            self.backend.es.snapshot.delete(repository=self.repository, snapshot=",".join(names))

    def restore(self, name: str) -> dict[str, Any]:
        """Restore every index of snapshot `name` (with its aliases, without global state) and wait
        until the restored shards are recovered and the indices are at least yellow."""
        es = self.backend.es.options(request_timeout=3600)
        resp = es.snapshot.restore(
            repository=self.repository,
            snapshot=name,
            include_global_state=False,
            include_aliases=True,
            wait_for_completion=True,
        )
        restored = resp["snapshot"]
        indices = sorted(restored.get("indices", []))
        if indices:
            es.cluster.health(index=",".join(indices), wait_for_status="yellow", timeout="120s")
        return {"snapshot": name, "indices": indices, "shards": restored.get("shards", {})}

    def drop_repository(self) -> None:
        """Delete every snapshot and unregister the repository (tests)."""
        snaps = self.all()
        self.delete([s["name"] for s in snaps])
        self.backend.es.options(ignore_status=404).snapshot.delete_repository(name=self.repository)


def _snapshot(raw: dict[str, Any]) -> dict[str, Any]:
    details = raw.get("index_details") or {}
    size = sum(int(d.get("size_in_bytes", 0)) for d in details.values()) if details else None
    return {
        "name": raw["snapshot"],
        "state": raw.get("state"),
        "start_time": raw.get("start_time"),
        "start_time_in_millis": raw.get("start_time_in_millis"),
        "end_time": raw.get("end_time"),
        "indices": sorted(raw.get("indices", [])),
        "shards": raw.get("shards", {}),
        "size_in_bytes": size,
        "metadata": raw.get("metadata") or {},
        "failures": raw.get("failures") or [],
    }


def _reason(exc: ApiError) -> str:
    """The innermost reason of Elasticsearch's error (the outer one is often only "failed to ...")."""
    error = exc.body.get("error") if isinstance(exc.body, dict) else None
    reason = str(exc)
    while isinstance(error, dict):
        reason = str(error.get("reason") or reason)
        error = error.get("caused_by")
    return reason
