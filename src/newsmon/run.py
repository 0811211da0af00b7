"""A monitoring pass, one public function per task of the DAGs, with the task's name.

    prepare -> process_batch (one per batch) -> cluster -> alert -> summarize      (news_monitor)
    send_digests                                                                    (news_alert_digest)
    rollover -> prune -> backup                                                     (news_maintenance)

Under Airflow each function is the body of the task of the same name (dags/); `newsmon run` calls
them in order with all feeds as one batch (`run_pass`). Only ids and counts pass between them.

Each task talks to Elasticsearch inside `storage.answering()`: a write refused by a block (a full
disk, newsmon.errors.StoreReadOnly) stops it at once with what to do. Every step writes its
progress only after its work (feed state after the batch's articles, pending markers cleared after
their clusters and alert events), so the first pass after the block is lifted catches up.
The parts of a batch live in their own modules: reader (polling, planning), articles (pages,
extraction pool), indexing (create, update or skip).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from newsmon import clock
from newsmon.clock import now_iso, parse_iso
from newsmon.config import load_feeds
from newsmon.reader.planning import due_feeds, new_states, plan_batches, poll_floor, record_polls
from newsmon.reader.state import states_from
from newsmon.settings import Settings, SmtpSettings
from newsmon.storage import PENDING_ALERT, PENDING_CLUSTER, Storage, open_storage
from newsmon.summary import RunSummary

log = logging.getLogger("newsmon.run")

CLUSTER_ROUND = 500  # articles clustered together; bounds the memory of the cluster task


# -- the tasks --------------------------------------------------------------------------------


def prepare(settings: Settings, ignore_schedule: bool = False) -> list[list[str]]:
    """Check config and Elasticsearch before any fetch, install the index setup and alert rules,
    plan the batches of the feeds that are due (all enabled feeds with `ignore_schedule`)."""
    from newsmon.alerts.service import sync as sync_alerts
    from newsmon.tagging import load_taxonomy

    feeds = load_feeds(settings.feeds_path)
    load_taxonomy(settings.topics_path)
    with open_storage(settings) as storage, storage.answering():
        storage.setup()
        sync_alerts(storage, settings)
        if ignore_schedule:
            due = None
        else:
            states = states_from(storage.feed_states.get_many(f.id for f in feeds.enabled()))  # one read
            due = due_feeds(feeds, states, settings, clock.now())
    batches = plan_batches(feeds, settings.max_batches, due)
    log.info(
        "%d feed(s) %s in %d batch(es), %d enabled",
        sum(map(len, batches)), "polled" if ignore_schedule else "due", len(batches), len(feeds.enabled()),
    )  # fmt: skip
    return batches


def process_batch(feed_ids: list[str], settings: Settings) -> RunSummary:
    """Fetch the feeds of one batch and index what is new in them. Returns counts and ids only."""
    from newsmon.articles import FailedPage, iter_articles
    from newsmon.fetching import Fetcher
    from newsmon.indexing import StreamingIndexer, is_newer, past_retention
    from newsmon.reader.poll import poll_feeds
    from newsmon.records import FeedEntry
    from newsmon.stories.decided import CopyDecider

    started = time.monotonic()
    now = clock.now()
    config = load_feeds(settings.feeds_path)
    by_id = config.by_id()
    summary = RunSummary()
    for feed_id in (i for i in feed_ids if i not in by_id):
        summary.errors.append({"feed": feed_id, "error": f"not in {settings.feeds_path}"})
    feeds = [by_id[i] for i in feed_ids if i in by_id]
    with Storage.from_settings(settings) as storage, storage.answering():
        feed_states = storage.feed_states
        states = states_from(feed_states.get_many(f.id for f in feeds))
        with Fetcher(settings) as fetcher:
            polled = poll_feeds(fetcher, feeds, states, now)
            entries = [e for p in polled for e in p.entries]
            unique: dict[str, FeedEntry] = {}
            for entry in entries:
                unique.setdefault(entry.id, entry)  # the same link twice (tracking params differ)
            known = storage.articles.known(unique)
            todo = [e for e in unique.values() if e.id not in known or is_newer(e, known[e.id])]
            record_polls(summary, polled, {e.id for e in todo})
            summary.already_indexed += len(unique) - len(todo)
            cutoff = now - settings.retention_period if settings.retention_period else None
            old = {e.id for e in todo if past_retention(e, known, cutoff)}
            summary.past_retention += len(old)
            todo = [e for e in todo if e.id not in old]
            # Pages that broke their extraction budget wait for their retry time.
            deferred = storage.failed_pages.deferred([e.id for e in todo], clock.now())
            todo = [e for e in todo if e.id not in deferred]
            log.info(
                "batch %s: %d entries, %d unique, %d already indexed, %d failed earlier and deferred, "
                "%d pages to fetch",
                ",".join(feed_ids), len(entries), len(unique), len(unique) - len(todo) - len(deferred),
                len(deferred), len(todo),
            )  # fmt: skip
            robots_off = {f.id for f in feeds if not f.robots}
            # Indexed chunk by chunk as pages are extracted: the batch never holds all its articles.
            # Copies are decided before they are written (newsmon.stories.decided).
            decide = CopyDecider(storage.articles, settings.dedupe_window_days)
            failed: list[FailedPage] = []
            with StreamingIndexer(
                storage.articles, known, summary, settings.bulk_chunk, decide=decide
            ) as indexer:
                for item in iter_articles(fetcher, todo, settings, summary, robots_off):
                    if isinstance(item, FailedPage):
                        failed.append(item)
                    elif past_retention(item, known, cutoff):
                        summary.past_retention += 1
                    else:
                        indexer.add(item)
                indexer.flush()
        storage.failed_pages.record([(f.entry_id, f.url, f.reason) for f in failed], clock.now())
        # Written after indexing: a batch that dies before keeps the old validators, so its feeds
        # are fetched in full again instead of answering 304 over entries never indexed.
        floor = poll_floor(settings, config.schedule)
        # mget is real-time: no refresh. A state refused by Elasticsearch is reported, not ignored:
        # that feed would otherwise be polled every pass and shown as it was.
        state_errors: list[dict[str, str]] = []
        refused: dict[str, str] = {}
        updated = new_states(polled, states, now, floor, settings, state_errors)
        feed_states.put_many((s.to_doc() for s in updated), failed=refused)
        for feed_id, reason in refused.items():
            log.error("feed %s: state not written: %s", feed_id, reason)
            state_errors.append({"feed": feed_id, "error": f"feed state not written: {reason}"})
        summary.errors.extend(state_errors)
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
    from newsmon.stories.decided import SCREENED, settle_decided
    from newsmon.stories.stored import cluster_stories

    summary = RunSummary()
    for batch in batches:
        summary.merge(batch)
    with open_storage(settings) as storage, storage.answering():
        waiting = storage.pending.waiting(PENDING_CLUSTER)
        ids = sorted(set(summary.new_ids + summary.updated_ids) | set(waiting))
        if len(waiting) > len(summary.new_ids) + len(summary.updated_ids):
            log.info("clustering %d article(s), some left waiting by earlier passes", len(ids))
        # Articles whose batch decided their copies before writing them are settled together (their
        # stored leaders written back, parallel batches joined); the others are clustered here.
        decided = storage.pending.decisions(ids, SCREENED)
        duplicates = settle_decided(storage.articles, decided)["duplicates"] if decided else 0
        storage.pending.clear(sorted(decided), PENDING_CLUSTER)
        rest = [i for i in ids if i not in decided]
        # In rounds of CLUSTER_ROUND articles, each cleared when done: memory stays that of one
        # round however large the pass, and a round finds the copies written by the rounds before
        # it through the index (clusters do not depend on arrival order; tests/stories/test_dedupe.py).
        for start in range(0, len(rest), CLUSTER_ROUND):
            chunk = rest[start : start + CLUSTER_ROUND]
            duplicates += cluster_stories(storage.articles, chunk, settings.dedupe_window_days)["duplicates"]
            storage.pending.clear(chunk, PENDING_CLUSTER)
            if len(rest) > CLUSTER_ROUND:
                log.info("clusters: %d/%d article(s) done", min(start + CLUSTER_ROUND, len(rest)), len(rest))
        # A later round may crown an earlier-published copy and demote a leader of an earlier round:
        # the pass's copies are counted once all rounds are written.
        rounds = (1 if decided else 0) + -(-len(rest) // CLUSTER_ROUND)
        summary.duplicates = duplicates if rounds <= 1 else storage.articles.count_duplicates(ids)
    return summary.to_dict()


def alert(settings: Settings, smtp: SmtpSettings | None = None) -> dict[str, Any]:
    """Match the stories waiting for it (`pending_alert`, already clustered) against the alert
    rules, and deliver instant alerts."""
    from newsmon.alerts.service import run_alerts

    with open_storage(settings) as storage, storage.answering():
        waiting = storage.pending.waiting(PENDING_ALERT, unless=PENDING_CLUSTER)
        result = run_alerts(storage, settings, waiting, smtp=smtp)
        storage.pending.clear(waiting, PENDING_ALERT)
        return result


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
    try:
        enabled = len(load_feeds(settings.feeds_path).enabled())
        summary.feeds_not_due = max(0, enabled - len(summary.per_feed))
    except Exception:  # the count is informative; a config broken since prepare fails elsewhere
        log.warning("could not count the feeds not due", exc_info=True)
    summary.alerts_fired = int(alerts.get("alerts_fired", 0))
    summary.alerts_delivered = int(alerts.get("delivered", 0))
    summary.alerts_failed = int(alerts.get("failed", 0))
    summary.errors.extend(alerts.get("rule_errors") or [])
    finished = now_iso()
    summary.duration_s = (parse_iso(finished) - parse_iso(started_at)).total_seconds()
    with open_storage(settings) as storage, storage.answering():
        storage.runs.record(
            summary.to_contract()
            | {"@timestamp": started_at, "finished_at": finished, "run_id": run_id, "mode": mode}
        )
    log.info("run summary:\n%s", summary.render(f"newsmon {mode} pass {run_id}"))
    return summary


def send_digests(settings: Settings, smtp: SmtpSettings | None = None) -> dict[str, Any]:
    """news_alert_digest: the digests of `mode: digest` rules whose own schedule has ticked."""
    from newsmon.alerts.service import run_digests

    with open_storage(settings) as storage, storage.answering():
        return run_digests(storage, settings, smtp=smtp)


def rollover(settings: Settings) -> dict[str, Any]:
    """news_maintenance: roll the articles alias over by age (newsmon's clock) and size."""
    from newsmon import maintenance

    return maintenance.rollover(settings)


def prune(settings: Settings, dry_run: bool = False) -> dict[str, Any]:
    """news_maintenance: retention by NEWSMON_RETENTION (newsmon.maintenance.prune)."""
    from newsmon import maintenance

    return maintenance.prune(settings, dry_run=dry_run)


def backup(settings: Settings) -> dict[str, Any]:
    """news_maintenance: the daily snapshot, then the oldest beyond NEWSMON_BACKUP_KEEP deleted."""
    from newsmon import maintenance

    return maintenance.backup(settings)


def run_pass(settings: Settings, mode: str = "cli", ignore_schedule: bool = False) -> RunSummary:
    """`newsmon run`: the whole pass in this process, all due feeds (or all) as one batch."""
    started = time.monotonic()
    started_at = now_iso()
    run_id = f"{mode}-{started_at}-{uuid.uuid4().hex[:6]}"
    batches = prepare(settings, ignore_schedule=ignore_schedule)
    results = [process_batch([i for b in batches for i in b], settings).to_dict()] if batches else []
    merged = cluster(settings, results)
    alerts = alert(settings)
    summary = summarize(settings, merged, alerts, mode, started_at, run_id)
    summary.duration_s = time.monotonic() - started
    return summary
