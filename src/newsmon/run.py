"""A monitoring pass, one public function per task of the DAGs, with the task's name.

    prepare -> process_batch (one per batch) -> cluster -> alert -> summarize      (news_monitor)
    send_digests                                                                    (news_alert_digest)

Under Airflow each function is the body of the task of the same name (dags/); `newsmon run` calls
them in order with all feeds as one batch (`run_pass`). Only ids and counts pass between them.
The parts of a batch live in their own modules: feeds (polling), articles (pages, extraction
pool), indexing (create, update or skip).
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from newsmon.clock import now_iso, parse_iso
from newsmon.config import FeedsConfig, load_feeds
from newsmon.errors import StoreUnavailable
from newsmon.settings import Settings, SmtpSettings
from newsmon.store import Store
from newsmon.summary import RunSummary

log = logging.getLogger("newsmon.run")


def connect(settings: Settings, attempts: int = 3, delay: float = 1.0) -> Store:
    """A store whose cluster answered, or StoreUnavailable after `attempts` tries."""
    store = Store.from_settings(settings)
    for attempt in range(1, attempts + 1):
        try:
            store.check()
            return store
        except StoreUnavailable:
            if attempt == attempts:
                store.close()
                raise
            log.warning(
                "Elasticsearch at %s not answering (try %d/%d)", settings.es_url_shown, attempt, attempts
            )
            time.sleep(delay * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def plan_batches(feeds: FeedsConfig, max_batches: int) -> list[list[str]]:
    """Enabled feed ids dealt round-robin into at most `max_batches` batches."""
    ids = [f.id for f in feeds.enabled()]
    n = max(1, min(max_batches, len(ids)))
    batches = [ids[i::n] for i in range(n)]
    return [b for b in batches if b]


# -- the tasks --------------------------------------------------------------------------------


def prepare(settings: Settings) -> list[list[str]]:
    """Check config and Elasticsearch before any fetch, install the index setup and alert rules,
    plan the batches."""
    from newsmon.alerts.service import sync as sync_alerts
    from newsmon.tagging import load_taxonomy

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


def process_batch(feed_ids: list[str], settings: Settings, store: Store | None = None) -> RunSummary:
    """Fetch the feeds of one batch and index what is new in them. Returns counts and ids only."""
    from newsmon.articles import FailedPage, iter_articles
    from newsmon.feeds import fetch_feeds
    from newsmon.fetching import Fetcher
    from newsmon.indexing import StreamingIndexer, is_newer
    from newsmon.records import FeedEntry

    started = time.monotonic()
    by_id = load_feeds(settings.feeds_path).by_id()
    summary = RunSummary()
    for feed_id in (i for i in feed_ids if i not in by_id):
        summary.errors.append({"feed": feed_id, "error": f"not in {settings.feeds_path}"})
    feeds = [by_id[i] for i in feed_ids if i in by_id]
    own_store = store is None
    store = store or Store.from_settings(settings)
    try:
        with Fetcher(settings) as fetcher:
            entries = fetch_feeds(fetcher, feeds, summary)
            unique: dict[str, FeedEntry] = {}
            for entry in entries:
                unique.setdefault(entry.id, entry)  # the same link twice (tracking params differ)
            known = store.known(unique)
            todo = [e for e in unique.values() if e.id not in known or is_newer(e, known[e.id])]
            summary.already_indexed += len(unique) - len(todo)
            # Pages that broke their extraction budget wait for their retry time.
            deferred = store.deferred([e.id for e in todo], datetime.now(UTC))
            todo = [e for e in todo if e.id not in deferred]
            log.info(
                "batch %s: %d entries, %d unique, %d already indexed, %d failed earlier and deferred, "
                "%d pages to fetch",
                ",".join(feed_ids), len(entries), len(unique), len(unique) - len(todo) - len(deferred),
                len(deferred), len(todo),
            )  # fmt: skip
            # Indexed chunk by chunk as pages are extracted: the batch never holds all its articles.
            indexer = StreamingIndexer(store, known, summary, settings.bulk_chunk)
            failed: list[FailedPage] = []
            for item in iter_articles(fetcher, todo, settings, summary):
                if isinstance(item, FailedPage):
                    failed.append(item)
                else:
                    indexer.add(item)
            indexer.flush()
            store.record_failed_pages([(f.entry_id, f.url, f.reason) for f in failed], datetime.now(UTC))
    finally:
        if own_store:
            store.close()
    summary.duration_s = time.monotonic() - started
    log.info(
        "batch %s done in %.1f s: %d new, %d updated, %d errors",
        ",".join(feed_ids), summary.duration_s, summary.articles_new, summary.articles_updated, len(summary.errors),
    )  # fmt: skip
    return summary


def cluster(settings: Settings, batches: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge the batches' counts and join story clusters for every article still waiting for it.

    The waiting articles are found in Elasticsearch (`pending_cluster`), not only in this run's
    ids: articles of a batch whose run failed later, or of a task killed after indexing, are
    clustered by the next pass instead of never.
    """
    from newsmon.dedupe import cluster_stories

    summary = RunSummary()
    for batch in batches:
        summary.merge(batch)
    store = connect(settings)
    try:
        waiting = store.pending("pending_cluster")
        ids = sorted(set(summary.new_ids + summary.updated_ids) | set(waiting))
        if len(waiting) > len(summary.new_ids) + len(summary.updated_ids):
            log.info("clustering %d article(s), some left waiting by earlier passes", len(ids))
        summary.duplicates = cluster_stories(store, ids, settings.dedupe_window_days)["duplicates"]
        store.clear_pending(ids, "pending_cluster")
    finally:
        store.close()
    return summary.to_dict()


def alert(settings: Settings, smtp: SmtpSettings | None = None) -> dict[str, Any]:
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


def summarize(
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
    summary.duration_s = (parse_iso(finished) - parse_iso(started_at)).total_seconds()
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


def send_digests(settings: Settings, smtp: SmtpSettings | None = None) -> dict[str, Any]:
    """news_alert_digest: the digests of `mode: digest` rules whose own schedule has ticked."""
    from newsmon.alerts.service import run_digests

    store = connect(settings)
    try:
        return run_digests(store, settings, smtp=smtp)
    finally:
        store.close()


def run_pass(settings: Settings, mode: str = "cli") -> RunSummary:
    """`newsmon run`: the whole pass in this process, all feeds as one batch."""
    started = time.monotonic()
    started_at = now_iso()
    run_id = f"{mode}-{started_at}-{uuid.uuid4().hex[:6]}"
    batches = prepare(settings)
    results = [process_batch([i for b in batches for i in b], settings).to_dict()] if batches else []
    merged = cluster(settings, results)
    alerts = alert(settings)
    summary = summarize(settings, merged, alerts, mode, started_at, run_id)
    summary.duration_s = time.monotonic() - started
    return summary
