"""Maintenance, as news_maintenance and `newsmon maintenance` run it: rollover, retention, backup.

    rollover(settings, dry_run=False)   # a new write index once the current one is old or large
    prune(settings, dry_run=False)      # retention (NEWSMON_RETENTION)
    backup(settings, dry_run=False)     # a snapshot, then the oldest beyond NEWSMON_BACKUP_KEEP go
    maintain(settings, dry_run=False)   # the three in that order
    restore(settings, name, replace=False)

Every time here is newsmon's clock (`clock.now()`), so a simulated-days run ages its data as the
days pass. Retention removes, with NEWSMON_RETENTION set (unset keeps everything):
- whole articles indices, never the write index, whose newest `fetched_at` is older than
  now - retention (an index is kept while any article in it is young enough);
- pending markers (of fetches before the cutoff) of articles no longer stored;
- failed-page records (`failed_at`), alert events (`created_at`) and run summaries
  (`@timestamp`) older than now - retention;
- feed states of feeds no longer in the feeds configuration.
A dry run reports the same and deletes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from newsmon import clock
from newsmon.backups import backup, restore
from newsmon.clock import iso
from newsmon.config import load_feeds
from newsmon.settings import Settings
from newsmon.storage import ArticlesIndex, Storage, open_storage

__all__ = ["backup", "maintain", "prune", "restore", "rollover"]

log = logging.getLogger(__name__)


def rollover(settings: Settings, dry_run: bool = False) -> dict[str, Any]:
    """Roll the articles alias over by age (newsmon's clock) and size (see Storage.rollover)."""
    with open_storage(settings) as storage, storage.answering():
        if not storage.is_set_up():
            storage.setup()
        result = storage.rollover(settings.rollover_max_age, settings.rollover_max_size, dry_run=dry_run)
    alias = storage.names.articles
    if result["rolled_over"]:
        log.info("rolled %s over: %s -> %s", alias, result["old_index"], result["new_index"])
    elif dry_run and result["due"]:
        log.info("%s would roll over: %s -> %s", alias, result["old_index"], result["new_index"])
    else:
        log.info("%s: %s stays the write index (%s)", alias, result["old_index"], result["conditions"])
    return result


# The indices whose documents age out one by one, and the date field that says how old each is.
AGING = (("failed_pages", "failed_at"), ("alert_events", "created_at"), ("runs", "@timestamp"))


def prune(settings: Settings, dry_run: bool = False) -> dict[str, Any]:
    """Retention by NEWSMON_RETENTION at newsmon's clock. Returns `retention`, `cutoff`,
    `dry_run`, `indices` (articles indices removed, each with its article count and newest
    `fetched_at`), `documents` (per index name, how many documents went) and `feeds` (the feed
    ids whose state went); with a dry run, what would go."""
    period = settings.retention_period
    out: dict[str, Any] = {"retention": settings.retention, "dry_run": dry_run, "cutoff": None,
                           "indices": [], "documents": {}, "feeds": []}  # fmt: skip
    if period is None:
        log.info("NEWSMON_RETENTION is unset: keeping everything")
        return out
    cutoff = clock.now() - period
    out["cutoff"] = iso(cutoff)
    configured = set(load_feeds(settings.feeds_path).by_id())  # a broken config stops here, before deleting
    with open_storage(settings) as storage, storage.answering():
        old, kept = _articles_indices(storage, cutoff)
        out["indices"] = [i.to_dict() for i in old]
        if not dry_run:
            out["stories_regrouped"] = _delete_indices(storage, old)
        docs: dict[str, int] = {storage.pending.index: _prune_pending(storage, kept, cutoff, dry_run)}
        for repo_name, field in AGING:
            index = getattr(storage, repo_name).index
            lifecycle = storage.lifecycle
            docs[index] = (
                lifecycle.count_before(index, field, cutoff)
                if dry_run
                else lifecycle.delete_before(index, field, cutoff)
            )
        gone = sorted(set(storage.feed_states.ids()) - configured)
        if gone and not dry_run:
            storage.feed_states.delete(gone)
        docs[storage.feed_states.index] = len(gone)
        out["documents"], out["feeds"] = docs, gone
    log.info("retention %s (before %s)%s: %d index(es), %s", settings.retention, out["cutoff"],
             " (dry run)" if dry_run else "", len(out["indices"]), docs)  # fmt: skip
    return out


def _delete_indices(storage: Storage, old: list[ArticlesIndex]) -> int:
    """Delete the articles indices `old`; the copies of a story whose first-seen copy went with
    them then form their story again around the earliest copy left. Returns how many did."""
    from newsmon.stories.stored import lead_orphans

    removed: list[str] = []
    for index in old:
        removed += storage.lifecycle.leaders_with_copies(index.name)
        storage.lifecycle.delete_index(index.name)
        log.info("retention: deleted %s (%d article(s), newest %s)",
                 index.name, index.articles, iso(index.newest_fetched_at))  # fmt: skip
    storage.refresh_articles()
    regrouped = lead_orphans(storage.articles, removed)
    if regrouped:
        log.info("retention: %d story(ies) lost their first-seen copy and got a new one", regrouped)
    return regrouped


def _articles_indices(storage: Storage, cutoff: datetime) -> tuple[list[ArticlesIndex], list[str]]:
    """The articles indices that retention removes (never the write index; an empty index has no
    age and stays) and the names of those that stay."""
    old, kept = [], []
    for index in storage.lifecycle.articles_indices():
        newest = index.newest_fetched_at
        if not index.is_write_index and newest is not None and newest < cutoff:
            old.append(index)
        else:
            kept.append(index.name)
    return old, kept


def _prune_pending(storage: Storage, kept: list[str], cutoff: datetime, dry_run: bool) -> int:
    """Markers older than the cutoff whose article is in none of the `kept` articles indices:
    deleted (or counted)."""
    marked = storage.pending.marked_before(cutoff)
    stored = storage.lifecycle.stored_ids(marked, kept)
    orphans = [i for i in marked if i not in stored]
    if orphans and not dry_run:
        storage.pending.delete(orphans)
    return len(orphans)


def maintain(settings: Settings, dry_run: bool = False) -> dict[str, Any]:
    """Rollover, retention and backup, in the order of news_maintenance's tasks."""
    return {
        "dry_run": dry_run,
        "rollover": rollover(settings, dry_run=dry_run),
        "prune": prune(settings, dry_run=dry_run),
        "backup": backup(settings, dry_run=dry_run),
    }
