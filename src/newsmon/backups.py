"""Backups: snapshots of every index of the prefix (newsmon.storage.snapshots), named by newsmon's
clock, pruned to the newest NEWSMON_BACKUP_KEEP, restored on request.

    create(settings)                      # `<prefix>2026.12.07-153000`, waits until done
    list_backups(settings)
    restore(settings, name, replace=True)  # refuses live indices unless `replace`
    prune(settings)                        # what `backup` of news_maintenance does after creating

Global state (the index template) is not in a snapshot: a restore installs the packaged template
again (`Storage.setup`), so indices rolled over after the restore get the current mappings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from newsmon import clock
from newsmon.errors import NewsmonError
from newsmon.settings import Settings
from newsmon.storage import Storage, open_storage
from newsmon.storage.snapshots import MADE_BY

log = logging.getLogger(__name__)


class RestoreRefused(NewsmonError):
    """A restore would overwrite indices that exist: their names, and how to proceed."""

    def __init__(self, name: str, live: list[str]):
        self.live = live
        super().__init__(
            f"snapshot {name!r} holds {len(live)} index(es) that exist now: {', '.join(live)}; "
            "restore with --replace to delete the live indices of the prefix first (stop the scheduler)"
        )


def default_name(prefix: str) -> str:
    """`<prefix>YYYY.MM.DD-HHMMSS` at newsmon's clock."""
    return f"{prefix}{clock.now():%Y.%m.%d-%H%M%S}"


def _free_name(storage: Storage, wanted: str) -> str:
    """`wanted`, or `wanted-2`, `-3`, ... when a snapshot of that name exists (two backups in the
    same second of a simulated clock)."""
    taken = {s["name"] for s in storage.snapshots.all()}
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted}-{n}"
    return name


def create_with(
    storage: Storage, name: str | None = None, progress: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    """Snapshot every index of the prefix; the snapshot's summary (see `summary`)."""
    if name is not None:
        if any(s["name"] == name for s in storage.snapshots.all()):
            raise NewsmonError(f"a snapshot named {name!r} exists in {storage.snapshots.repository}")
    else:
        name = _free_name(storage, default_name(storage.prefix))
    counts = storage.lifecycle.document_counts()
    if not counts:
        raise NewsmonError(f"no index with the prefix {storage.prefix!r} to back up: run `newsmon setup`")
    metadata = {"created_at": clock.now_iso(), "documents": sum(counts.values()), "indices": len(counts)}
    snap = storage.snapshots.create(name, metadata, progress)
    if snap["state"] != "SUCCESS":
        raise NewsmonError(
            f"snapshot {name!r} ended {snap['state']}: {snap['failures'] or 'no failure reported'}"
        )
    log.info("backup %s: %d index(es), %d document(s)", name, len(snap["indices"]), metadata["documents"])
    return summary(snap)


def create(
    settings: Settings, name: str | None = None, progress: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    with open_storage(settings) as storage:
        return create_with(storage, name, progress)


def summary(snap: dict[str, Any]) -> dict[str, Any]:
    """What `newsmon backup list --json` shows of a snapshot."""
    meta = snap.get("metadata") or {}
    return {
        "name": snap["name"],
        "state": snap["state"],
        "start_time": snap["start_time"],
        "created_at": meta.get("created_at"),
        "indices": snap["indices"],
        "documents": meta.get("documents"),
        "size_in_bytes": snap["size_in_bytes"],
        "made_by_newsmon": meta.get("made_by") == MADE_BY,
    }


def list_backups(settings: Settings) -> list[dict[str, Any]]:
    """Every snapshot of the prefix's repository, oldest first."""
    with open_storage(settings) as storage:
        return [summary(s) for s in storage.snapshots.all()]


def ours(storage: Storage) -> list[dict[str, Any]]:
    """The snapshots newsmon made for this prefix, oldest first (newsmon's clock, then Elasticsearch's)."""
    snaps = [
        s for s in storage.snapshots.all()
        if s["metadata"].get("made_by") == MADE_BY and s["metadata"].get("prefix") == storage.prefix
    ]  # fmt: skip
    return sorted(
        snaps, key=lambda s: (s["metadata"].get("created_at") or "", s["start_time_in_millis"] or 0)
    )


def prune_with(storage: Storage, keep: int, dry_run: bool = False, adding: int = 0) -> list[str]:
    """Delete the oldest snapshots newsmon made for this prefix beyond the newest `keep` (counting
    `adding` snapshots about to be made, for a dry run); the names deleted (or that would be)."""
    snaps = ours(storage)
    doomed = [s["name"] for s in snaps[: max(0, len(snaps) + adding - keep)]]
    if doomed and not dry_run:
        storage.snapshots.delete(doomed)
        log.info("deleted %d old backup(s): %s", len(doomed), ", ".join(doomed))
    return doomed


def backup(settings: Settings, dry_run: bool = False) -> dict[str, Any]:
    """The daily backup of news_maintenance: a snapshot named by the clock, then the oldest beyond
    NEWSMON_BACKUP_KEEP deleted. A dry run tells what it would snapshot and delete."""
    with open_storage(settings) as storage:
        if dry_run:
            counts = storage.lifecycle.document_counts()
            return {
                "dry_run": True,
                "name": default_name(storage.prefix),
                "indices": counts,
                "documents": sum(counts.values()),
                "keep": settings.backup_keep,
                "pruned": prune_with(storage, settings.backup_keep, dry_run=True, adding=1),
            }
        made = create_with(storage)
        pruned = prune_with(storage, settings.backup_keep)
    return {"dry_run": False, **made, "keep": settings.backup_keep, "pruned": pruned}


def restore(settings: Settings, name: str, replace: bool = False) -> dict[str, Any]:
    """Restore snapshot `name`: RestoreRefused when any of its indices exists, unless `replace`,
    which deletes every live index of the prefix first. The index template and alert rules'
    index come back through `setup`; returns the restored indices and their document counts."""
    with open_storage(settings) as storage:
        snaps = {s["name"]: s for s in storage.snapshots.all()}
        if name not in snaps:
            known = ", ".join(snaps) or "none"
            raise NewsmonError(f"no snapshot {name!r} in {storage.snapshots.repository} (there are: {known})")
        wanted = snaps[name]["indices"]
        live = storage.lifecycle.existing(wanted)
        replaced: list[str] = []
        if live:
            if not replace:
                raise RestoreRefused(name, live)
            replaced = sorted(storage.lifecycle.document_counts())
            storage.lifecycle.delete_every_index()
        done = storage.snapshots.restore(name)
        storage.setup()  # the template (global state is not in a snapshot), indices a snapshot lacked
        counts = storage.lifecycle.document_counts()
    log.info("restored %s: %s", name, ", ".join(done["indices"]))
    return {"snapshot": name, "replaced": replaced, "indices": {i: counts.get(i, 0) for i in done["indices"]}}
