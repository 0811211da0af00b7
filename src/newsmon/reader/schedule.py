"""The adaptive polling schedule and feed health, as pure functions of a feed's state and one poll.

Policy:
- yield, as Media Cloud: more than 67% of the entries already seen -> slower x1.5; under 33% -> faster;
- publisher hints (ttl, sy:updatePeriod, Cache-Control max-age, Expires) are a lower bound, clamped
  to the ceiling: never poll faster than the publisher asks;
- Retry-After (429, 503) is always honoured, capped at a day (hints.MAX_WAIT_S);
- failures back off exponentially from the floor with jitter, never faster than the regular
  interval, up to the ceiling; the regular interval is kept, so a success returns to it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from newsmon.reader.hints import MAX_WAIT_S, FeedHints, HttpHints, feed_hint_seconds

FLOOR = 15 * 60  # the DAG's schedule
CEILING = 24 * 3600
RETRY_AFTER_CAP = MAX_WAIT_S  # one constant: the longest wait any header can ask for
SLOWER, FASTER = 1.5, 1 / 1.5
MOSTLY_SEEN, MOSTLY_NEW = 0.67, 0.33  # Media Cloud's thresholds on the share of already-seen items
JITTER = 0.1  # +-10% on backoff delays, so feeds that failed together do not retry together
RECENT = 10  # polls kept in recent_yield
GONE_AFTER = timedelta(days=7)

OUTCOMES = ("new_content", "not_modified", "unchanged", "failed", "deferred")


@dataclass(frozen=True)
class ScheduleState:
    interval: int = FLOOR  # the regular interval, seconds; failures do not change it
    consecutive_failures: int = 0
    recent_yield: tuple[int, ...] = ()  # new entries per successful poll, oldest first
    failing_since: datetime | None = None


@dataclass(frozen=True)
class PollOutcome:
    kind: str  # one of OUTCOMES
    new_entries: int = 0
    total_entries: int = 0
    error_class: str | None = None  # "http_429", "http_410", "timeout", "not_feed", ...
    status: int | None = None
    retry_after: int | None = None  # seconds, from the response's Retry-After

    def __post_init__(self) -> None:
        if self.kind not in OUTCOMES:
            raise ValueError(f"outcome {self.kind!r} is not one of {', '.join(OUTCOMES)}")


@dataclass(frozen=True)
class NextPoll:
    delay: int  # seconds from now to next_due
    next_due: datetime
    reason: str
    state: ScheduleState = field(default_factory=ScheduleState)

    @property
    def interval(self) -> int:
        return self.state.interval


def duration(seconds: float) -> str:
    """'45 s', '15 min', '1.5 h', '2 d': for reasons a person reads."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86_400:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86_400:.3g} d"


def hint_floor(feed: FeedHints | None, http: HttpHints | None, ceiling: int) -> tuple[int, str | None]:
    """The publisher's minimum interval (clamped to the ceiling) and what it came from."""
    best, label = 0, None
    seconds, what = feed_hint_seconds(feed) if feed else (None, None)
    if seconds:
        best, label = seconds, what
    if http and http.fresh_for and http.fresh_for > best:
        best, label = http.fresh_for, f"{http.source} {duration(http.fresh_for)}"
    return min(best, ceiling), label


def next_poll(
    state: ScheduleState,
    outcome: PollOutcome,
    now: datetime,
    *,
    feed_hints: FeedHints | None = None,
    http_hints: HttpHints | None = None,
    floor: int = FLOOR,
    ceiling: int = CEILING,
    rng: Callable[[], float] = random.random,
) -> NextPoll:
    """When to poll the feed next, why, and its new state."""
    retry_after = outcome.retry_after
    if retry_after is None and http_hints is not None:
        retry_after = http_hints.retry_after
    if outcome.kind == "deferred":
        delay, reason = (
            (min(retry_after, RETRY_AFTER_CAP), f"deferred; Retry-After {retry_after} s")
            if retry_after
            else (0, "deferred: due at the next run")
        )
        return _result(now, delay, reason, state)
    if outcome.kind == "failed":
        return _failed(state, outcome, now, retry_after, floor, ceiling, rng)
    return _succeeded(state, outcome, now, feed_hints, http_hints, floor, ceiling)


def _clamp(seconds: float, floor: int, ceiling: int) -> int:
    return int(min(max(seconds, floor), ceiling))


def _result(now: datetime, delay: float, reason: str, state: ScheduleState) -> NextPoll:
    delay = int(delay)
    return NextPoll(delay=delay, next_due=now + timedelta(seconds=delay), reason=reason, state=state)


def _failed(
    state: ScheduleState,
    outcome: PollOutcome,
    now: datetime,
    retry_after: int | None,
    floor: int,
    ceiling: int,
    rng: Callable[[], float],
) -> NextPoll:
    failures = state.consecutive_failures + 1
    new_state = replace(state, consecutive_failures=failures, failing_since=state.failing_since or now)
    if outcome.status == 410 or outcome.error_class == "http_410":
        return _result(now, ceiling, f"HTTP 410 gone: polled every {duration(ceiling)}", new_state)
    backoff = min(ceiling, max(state.interval, floor * 2.0**failures))
    jittered = _clamp(backoff * (1 + JITTER * (2 * rng() - 1)), floor, ceiling)
    reason = f"failure {failures}: backoff {duration(backoff)} ± jitter"
    if retry_after is not None and outcome.status in (429, 503, None):
        capped = min(retry_after, RETRY_AFTER_CAP)
        if capped >= jittered:
            # Retry-After wins even over the ceiling (up to its own cap): the server said when.
            note = f" (capped from {retry_after} s)" if capped < retry_after else ""
            return _result(now, capped, f"Retry-After {capped} s{note}; failure {failures}", new_state)
    return _result(now, jittered, reason, new_state)


def _succeeded(
    state: ScheduleState,
    outcome: PollOutcome,
    now: datetime,
    feed_hints: FeedHints | None,
    http_hints: HttpHints | None,
    floor: int,
    ceiling: int,
) -> NextPoll:
    new = outcome.new_entries if outcome.kind == "new_content" else 0
    recent = (*state.recent_yield, new)[-RECENT:]
    window = recent[-3:]
    productive = sum(1 for n in window if n > 0)
    wanted: float  # before the clamp: the slower and faster steps give fractions of a second
    if state.consecutive_failures:
        wanted = state.interval
        reason = f"recovered after {state.consecutive_failures} failures: back to {duration(wanted)}"
    else:
        total = outcome.total_entries if outcome.kind == "new_content" else 0
        seen = 1.0 if total <= 0 else max(0.0, (total - new) / total)
        tally = f"yield {productive}/{len(window)} polls, {seen:.0%} seen"
        if seen > MOSTLY_SEEN:
            wanted, reason = state.interval * SLOWER, f"{tally}: slower"
        elif seen < MOSTLY_NEW:
            wanted, reason = state.interval * FASTER, f"{tally}: faster"
        else:
            wanted, reason = state.interval, f"{tally}: steady"
    interval = _clamp(wanted, floor, ceiling)
    lower, label = hint_floor(feed_hints, http_hints, ceiling)
    if lower > interval:
        interval, reason = lower, f"{label} (publisher hint)"
    elif interval in (floor, ceiling) and not state.consecutive_failures:
        reason += f" (at the {'floor' if interval == floor else 'ceiling'} {duration(interval)})"
    new_state = ScheduleState(
        interval=interval, consecutive_failures=0, recent_yield=recent, failing_since=None
    )
    return _result(now, interval, reason, new_state)


HEALTH = ("ok", "warning", "failing", "gone", "disabled")


def health(
    *,
    enabled: bool = True,
    consecutive_failures: int = 0,
    last_status: int | None = None,
    failing_since: datetime | None = None,
    warnings: int | list[str] | tuple[str, ...] = 0,
    moved_to: str | None = None,
    now: datetime | None = None,
    gone_after: timedelta = GONE_AFTER,
) -> str:
    """One of HEALTH, from the feed's state and its last poll.

    gone: the last poll answered 410, or the feed has failed for at least `gone_after`;
    failing: the last poll failed; warning: parsed with problems (malformed XML salvaged, entries
    without links, ...) or a permanent redirect (`moved_to`) not yet copied into the config.
    """
    if not enabled:
        return "disabled"
    if consecutive_failures > 0:
        if last_status == 410:
            return "gone"
        if failing_since is not None and now is not None and now - failing_since >= gone_after:
            return "gone"
        return "failing"
    count = warnings if isinstance(warnings, int) else len(warnings)
    if count or moved_to:
        return "warning"
    return "ok"
