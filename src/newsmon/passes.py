"""The steps around the batches of a monitoring pass: prepare, story clusters, alerts, summary.

Under Airflow each is a task of dags/news_monitor.py; `newsmon run` calls them in order with all
feeds as one batch (`run_pass`).
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime
from typing import Any

from newsmon.config import load_feeds
from newsmon.dedupe import cluster_stories
from newsmon.pipeline import now_iso, plan_batches, run_batch
from newsmon.settings import Settings
from newsmon.store import Store
from newsmon.summary import RunSummary
from newsmon.taxonomy import load_taxonomy

log = logging.getLogger("newsmon.passes")


def connect(settings: Settings, attempts: int = 3, delay: float = 1.0) -> Store:
    """A store whose cluster answered, or StoreUnavailable after `attempts` tries."""
    from newsmon.errors import StoreUnavailable

    store = Store.from_settings(settings)
    for attempt in range(1, attempts + 1):
        try:
            store.check()
            return store
        except StoreUnavailable:
            if attempt == attempts:
                store.close()
                raise
            log.warning("Elasticsearch at %s not answering (try %d/%d)", settings.es_url, attempt, attempts)
            time.sleep(delay * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def prepare(settings: Settings) -> list[list[str]]:
    """Check config and Elasticsearch before any fetch, install the index setup and alert rules,
    plan the batches."""
    from newsmon.alerts.service import sync as sync_alerts

    feeds = load_feeds(settings.feeds_path)
    load_taxonomy(settings.topics_path)
    store = connect(settings)
    try:
        store.setup()
        sync_alerts(store, settings)
    finally:
        store.close()
    batches = plan_batches(feeds, settings.max_batches)
    log.info("%d enabled feed(s) in %d batch(es)", sum(map(len, batches)), len(batches))
    return batches


def cluster_pass(settings: Settings, batches: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge the batches' counts and join story clusters for every article still waiting for it.

    The waiting articles are found in Elasticsearch (`pending_cluster`), not only in this run's
    ids: articles of a batch whose run failed later, or of a task killed after indexing, are
    clustered by the next pass instead of never.
    """
    summary = RunSummary()
    for batch in batches:
        summary.merge(batch)
    store = connect(settings)
    try:
        waiting = store.pending("pending_cluster")
        ids = sorted(set(summary.new_ids + summary.updated_ids) | set(waiting))
        if len(waiting) > len(summary.new_ids) + len(summary.updated_ids):
            log.info("clustering %d article(s), some left waiting by earlier passes", len(ids))
        summary.duplicates = cluster_stories(store, ids)["duplicates"]
        store.clear_pending(ids, "pending_cluster")
    finally:
        store.close()
    return summary.to_dict()


def alert_pass(settings: Settings, summary: dict[str, Any], smtp: Any = None) -> dict[str, Any]:
    """Match the stories waiting for it (`pending_alert`, already clustered) against the alert
    rules, and deliver instant alerts."""
    from newsmon.alerts.service import run_alerts

    store = connect(settings)
    try:
        waiting = store.pending("pending_alert", unless="pending_cluster")
        result = run_alerts(store, settings, waiting, smtp=smtp)
        store.clear_pending(waiting, "pending_alert")
        return result
    finally:
        store.close()


def record_pass(
    settings: Settings,
    summary_dict: dict[str, Any],
    alerts: dict[str, Any],
    mode: str,
    started_at: str,
    run_id: str,
) -> RunSummary:
    """The run's summary: logged, stored in ${prefix}runs, returned."""
    summary = RunSummary().merge(summary_dict)
    summary.alerts_fired = int(alerts.get("alerts_fired", 0))
    summary.alerts_delivered = int(alerts.get("delivered", 0))
    summary.alerts_failed = int(alerts.get("failed", 0))
    finished = now_iso()
    summary.duration_s = (
        datetime.fromisoformat(finished.replace("Z", "+00:00"))
        - datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    ).total_seconds()
    store = connect(settings)
    try:
        store.record_run(
            summary.to_contract()
            | {"@timestamp": started_at, "finished_at": finished, "run_id": run_id, "mode": mode}
        )
    finally:
        store.close()
    log.info("run summary:\n%s", summary.render(f"newsmon {mode} pass {run_id}"))
    return summary


def run_pass(settings: Settings, mode: str = "cli") -> RunSummary:
    """`newsmon run`: the whole pass in this process, all feeds as one batch."""
    started = time.monotonic()
    started_at = now_iso()
    run_id = f"{mode}-{started_at}-{uuid.uuid4().hex[:6]}"
    batches = prepare(settings)
    results = [run_batch([i for b in batches for i in b], settings).to_dict()] if batches else []
    merged = cluster_pass(settings, results)
    alerts = alert_pass(settings, merged)
    summary = record_pass(settings, merged, alerts, mode, started_at, run_id)
    summary.duration_s = time.monotonic() - started
    return summary
