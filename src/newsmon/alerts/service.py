"""Alerts in a monitoring pass: sync rules, match the new stories, write events, deliver."""

from __future__ import annotations

import logging
from typing import Any

from newsmon.alerts import events as ev
from newsmon.alerts.delivery import deliver_instant, send_digests
from newsmon.alerts.percolate import SyncResult, broken_rules, percolate, sync_rules
from newsmon.alerts.rules import LoadedAlerts, load_alerts
from newsmon.settings import Settings, SmtpSettings
from newsmon.store import Store

log = logging.getLogger(__name__)


def load(settings: Settings) -> LoadedAlerts:
    loaded = load_alerts(settings.alerts_path)
    for problem in loaded.errors:
        log.error("alert rule skipped: %s", problem)
    return loaded


def sync(store: Store, settings: Settings) -> SyncResult:
    ev.ensure_events_index(store)
    result = sync_rules(store, load(settings), source=str(settings.alerts_path))
    log.info(
        "alert rules: %d added, %d updated, %d removed, %d unchanged, %d with errors",
        len(result.added), len(result.updated), len(result.removed), len(result.unchanged), len(result.errors),
    )  # fmt: skip
    return result


def new_stories(store: Store, ids: list[str]) -> list[str]:
    """The first-seen copy of each story among `ids`: copies of known stories do not alert."""
    return [h["_id"] for h in store.get_many(ids, ["duplicate_of"]) if not h["_source"].get("duplicate_of")]


def run_alerts(
    store: Store, settings: Settings, story_ids: list[str], smtp: SmtpSettings | None = None
) -> dict[str, Any]:
    """Match the new stories against the stored rules, write events, deliver instant alerts."""
    loaded = load(settings)
    smtp = smtp or settings.smtp()
    stories = new_stories(store, story_ids)
    matches = percolate(store, stories)
    created = ev.record_matches(store, matches, {r.id: r.channels for r in loaded.rules})
    delivery = deliver_instant(store, loaded, smtp)
    return {
        "alerts_fired": len(created),
        "stories_checked": len(stories),
        "rule_errors": rule_problems(store, loaded),
        **delivery,
    }


def rule_problems(store: Store, loaded: LoadedAlerts) -> list[dict[str, str]]:
    """Broken rules for the run summary: those whose last good version still runs, then the rest."""
    out = [
        {"rule": r["rule_id"], "error": f"{r['last_error']} (its last good version stays active)"}
        for r in broken_rules(store)
    ]
    named = {p["rule"] for p in out}
    out += [{"rule": rid, "error": problem} for rid, problem in loaded.failed.items() if rid not in named]
    return out


def run_digests(
    store: Store, settings: Settings, smtp: SmtpSettings | None = None, force: bool = False
) -> dict[str, int]:
    return send_digests(store, load(settings), smtp or settings.smtp(), force=force)
