"""Which feeds a pass polls, in which batches, and what a batch's polls leave behind.

The poll floor from the DAG's schedule, the feeds that are due, their batches, the polls' outcomes
counted into the run summary, and the new per-feed states. Pure: the states come in and go out as
records; the run's tasks read and write them through newsmon.storage.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from newsmon.config import FeedsConfig
from newsmon.reader.state import FeedState, Poll, apply_poll
from newsmon.redaction import for_log
from newsmon.settings import Settings
from newsmon.summary import RunSummary

if TYPE_CHECKING:
    from newsmon.reader.request import Polled

# The per-feed lines are part of the run's log, under the name they have always had.
log = logging.getLogger("newsmon.run")


def poll_floor(settings: Settings, schedule: str) -> int:
    """The shortest poll interval: NEWSMON_FEED_MIN_INTERVAL, else the DAG's schedule (`*/N` minutes)."""
    if settings.feed_min_interval:
        return settings.feed_min_interval
    match = re.fullmatch(r"\*/(\d+) \* \* \* \*", schedule.strip())
    if match:
        return int(match.group(1)) * 60
    return 3600 if schedule.strip() in ("@hourly", "0 * * * *") else 15 * 60


def due_feeds(
    feeds: FeedsConfig, states: Mapping[str, FeedState], settings: Settings, now: datetime
) -> list[str]:
    """Enabled feeds whose next_due has come, given the stored states of the enabled feeds.

    A pass that starts on the schedule finds feeds due a few seconds after it (they were polled a
    few seconds into the last pass), so "due" allows a fifth of the floor of slack.
    """
    enabled = [f.id for f in feeds.enabled()]
    slack = timedelta(seconds=poll_floor(settings, feeds.schedule) / 5)
    return [i for i in enabled if i not in states or states[i].is_due(now, slack)]


def plan_batches(feeds: FeedsConfig, max_batches: int, only: list[str] | None = None) -> list[list[str]]:
    """Enabled feed ids (or `only` these) dealt round-robin into at most `max_batches` batches."""
    ids = [f.id for f in feeds.enabled()] if only is None else only
    n = max(1, min(max_batches, len(ids)))
    batches = [ids[i::n] for i in range(n)]
    return [b for b in batches if b]


def record_polls(summary: RunSummary, polled: list[Polled], todo_ids: set[str]) -> None:
    """Outcome and counts of each polled feed into the summary; `new` = entries not yet indexed."""
    for p in polled:
        poll, feed_id = p.poll, p.feed.id
        poll.new = sum(1 for e in p.entries if e.id in todo_ids)
        summary.feeds_total += 1
        if poll.outcome == "failed":
            summary.feeds_failed += 1
            summary.errors.append({"feed": feed_id, "error": poll.error or "failed"})
            log.warning("feed %s: FAILED: %s", feed_id, for_log(poll.error or ""))
        elif poll.outcome == "deferred":
            summary.feeds_deferred += 1
            log.info("feed %s: deferred: %s", feed_id, poll.error)
        else:
            summary.feeds_ok += 1
            summary.entries_seen += len(p.entries)
            log.info("feed %s: %s, %d entries", feed_id, poll.outcome, len(p.entries))
            for problem in poll.part_errors:  # a sitemap read in part: each child that failed is named
                summary.errors.append({"feed": feed_id, "error": problem})
                log.warning("feed %s: %s", feed_id, for_log(problem))
        summary.per_feed[feed_id] = {
            "ok": poll.outcome != "failed",
            "outcome": poll.outcome,
            "status": poll.status,
            "entries": len(p.entries),
            "new": 0,  # counted by indexing: articles created
            "error": poll.error,
            "warnings": list(poll.warnings),
            "moved_to": poll.moved_to,
            "type": p.feed.type,
        }
        if poll.notes:
            summary.per_feed[feed_id]["notes"] = list(poll.notes)


def new_states(
    polled: list[Polled],
    states: Mapping[str, FeedState],
    now: datetime,
    floor: int,
    settings: Settings,
    errors: list[dict[str, str]] | None = None,
) -> list[FeedState]:
    """Each polled feed's state after its poll (a first state for a feed never polled).

    One feed's poll that cannot be applied costs that feed only: it gets the state of a failed
    poll naming the problem (and an entry in `errors`), and every other feed its own new state.
    """
    out = []
    for p in polled:
        old = states.get(p.feed.id) or FeedState(id=p.feed.id, url=p.feed.shown_url)
        old.enabled, old.conditional = p.feed.enabled, p.feed.conditional
        applied = partial(
            apply_poll,
            old,
            now=now,
            floor=floor,
            ceiling=max(floor, settings.feed_max_interval),
            gone_after=timedelta(days=settings.feed_gone_after_days),
            configured_url=p.feed.shown_url,
        )
        try:
            new = applied(p.poll)
        except Exception as exc:  # a value no bound foresaw: this feed fails, the batch goes on
            reason = f"state not updated: {type(exc).__name__}: {str(exc)[:200]}"
            log.exception("feed %s: %s", p.feed.id, for_log(reason))
            if errors is not None:
                errors.append({"feed": p.feed.id, "error": reason})
            new = applied(Poll("failed", status=p.poll.status, error_class="error", error=reason))
        out.append(new)
    return out
