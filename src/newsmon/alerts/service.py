"""Alerts in a monitoring pass: sync rules, match the new stories, write events, deliver."""

from __future__ import annotations

import logging
from typing import Any

from newsmon.alerts import events as ev
from newsmon.alerts.delivery import deliver_instant, send_digests
from newsmon.alerts.percolate import SyncResult, percolate, sync_rules
from newsmon.alerts.rules import LoadedAlerts, load_alerts
from newsmon.errors import StoreUnavailable
from newsmon.settings import Settings, SmtpSettings
from newsmon.storage import Storage, open_storage

log = logging.getLogger(__name__)


def load(settings: Settings) -> LoadedAlerts:
    loaded = load_alerts(settings.alerts_path)
    for problem in loaded.errors:
        log.error("alert rule skipped: %s", problem)
    return loaded


def sync(storage: Storage, settings: Settings) -> SyncResult:
    storage.alert_events.ensure()
    result = sync_rules(storage, load(settings), source=str(settings.alerts_path))
    log.info(
        "alert rules: %d added, %d updated, %d removed, %d unchanged, %d with errors",
        len(result.added), len(result.updated), len(result.removed), len(result.unchanged), len(result.errors),
    )  # fmt: skip
    return result


def new_stories(storage: Storage, ids: list[str]) -> list[str]:
    """The first-seen copy of each story among `ids`: copies of known stories do not alert."""
    hits = storage.articles.get_many(ids, ["duplicate_of"])
    return [h["_id"] for h in hits if not h["_source"].get("duplicate_of")]


def run_alerts(
    storage: Storage, settings: Settings, story_ids: list[str], smtp: SmtpSettings | None = None
) -> dict[str, Any]:
    """Match the new stories against the stored rules, write events, deliver instant alerts."""
    loaded = load(settings)
    smtp = smtp or settings.smtp()
    stories = new_stories(storage, story_ids)
    matches = percolate(storage, stories)
    created = ev.record_matches(storage, matches, {r.id: r.channels for r in loaded.rules})
    delivery = deliver_instant(storage, loaded, smtp)
    return {
        "alerts_fired": len(created),
        "stories_checked": len(stories),
        "rule_errors": rule_problems(storage, loaded),
        **delivery,
    }


def rule_problems(storage: Storage, loaded: LoadedAlerts) -> list[dict[str, str]]:
    """Broken rules for the run summary: those whose last good version still runs, then the rest."""
    out = [
        {"rule": r["rule_id"], "error": f"{r['last_error']} (its last good version stays active)"}
        for r in storage.alert_rules.broken()
    ]
    named = {p["rule"] for p in out}
    out += [{"rule": rid, "error": problem} for rid, problem in loaded.failed.items() if rid not in named]
    return out


def kept_rules(settings: Settings) -> list[dict[str, Any]]:
    """Stored rules broken in alerts.yaml whose last good version still runs: their id, the query
    that runs, the error and when. [] without Elasticsearch or before setup (one attempt)."""
    try:
        storage = open_storage(settings, attempts=1)
    except StoreUnavailable:
        return []
    with storage:
        if not storage.is_set_up():
            return []
        keys = ("rule_id", "query", "last_error", "error_at", "updated_at")
        return [{k: r.get(k) for k in keys} for r in storage.alert_rules.broken()]


def run_digests(
    storage: Storage, settings: Settings, smtp: SmtpSettings | None = None, force: bool = False
) -> dict[str, int]:
    return send_digests(storage, load(settings), smtp or settings.smtp(), force=force)
