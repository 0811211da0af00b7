"""The adaptive interval and feed health: pure functions, so every rule is a small table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsmon.reader.hints import FeedHints, HttpHints
from newsmon.reader.schedule import (
    CEILING,
    FLOOR,
    PollOutcome,
    ScheduleState,
    duration,
    health,
    next_poll,
)

NOW = datetime(2024, 6, 4, 12, 0, tzinfo=UTC)
HOUR = 3600


def mid() -> float:  # the jitter source at its middle: no jitter
    return 0.5


def poll(state: ScheduleState, outcome: PollOutcome, **kw: object):  # type: ignore[no-untyped-def]
    kw.setdefault("rng", mid)
    return next_poll(state, outcome, NOW, **kw)  # type: ignore[arg-type]


def test_mostly_seen_slows_down() -> None:
    result = poll(ScheduleState(interval=HOUR, recent_yield=(0, 0)), PollOutcome("new_content", 1, 10))
    assert result.interval == result.delay == int(1.5 * HOUR)
    assert result.next_due == NOW + timedelta(seconds=1.5 * HOUR)
    assert result.reason == "yield 1/3 polls, 90% seen: slower"
    assert result.state.recent_yield == (0, 0, 1)


def test_mostly_new_speeds_up() -> None:
    result = poll(ScheduleState(interval=3 * HOUR), PollOutcome("new_content", 9, 10))
    assert result.interval == 2 * HOUR and result.reason.endswith(": faster")


def test_middle_share_keeps_the_interval() -> None:
    result = poll(ScheduleState(interval=HOUR), PollOutcome("new_content", 5, 10))
    assert result.interval == HOUR and result.reason.endswith(": steady")


@pytest.mark.parametrize("kind", ["not_modified", "unchanged"])
def test_nothing_new_slows_down(kind: str) -> None:
    result = poll(ScheduleState(interval=HOUR, recent_yield=(0, 0)), PollOutcome(kind))
    assert result.interval == int(1.5 * HOUR)
    assert result.reason == "yield 0/3 polls, 100% seen: slower"
    assert result.state.recent_yield == (0, 0, 0)


def test_recent_yield_window_is_bounded() -> None:
    state = ScheduleState(recent_yield=tuple(range(1, 11)))
    assert poll(state, PollOutcome("new_content", 3, 3)).state.recent_yield == (*range(2, 11), 3)


def test_floor_and_ceiling() -> None:
    fast = poll(ScheduleState(interval=FLOOR), PollOutcome("new_content", 10, 10))
    assert fast.interval == FLOOR and fast.reason.endswith("(at the floor 15 min)")
    slow = poll(ScheduleState(interval=20 * HOUR), PollOutcome("not_modified"))
    assert slow.interval == CEILING and "ceiling" in slow.reason
    custom = poll(ScheduleState(interval=HOUR), PollOutcome("new_content", 10, 10), floor=3000, ceiling=4000)
    assert custom.interval == 3000


def test_publisher_ttl_is_a_lower_bound() -> None:
    result = poll(
        ScheduleState(interval=FLOOR),
        PollOutcome("new_content", 10, 10),
        feed_hints=FeedHints(ttl_minutes=60),
    )
    assert result.interval == HOUR and result.reason == "ttl 60 min (publisher hint)"


def test_max_age_and_sy_hints() -> None:
    state = ScheduleState(interval=FLOOR)
    outcome = PollOutcome("new_content", 10, 10)
    by_age = poll(state, outcome, http_hints=HttpHints(fresh_for=2 * HOUR, source="max-age"))
    assert by_age.interval == 2 * HOUR and by_age.reason == "max-age 2 h (publisher hint)"
    by_sy = poll(
        state,
        outcome,
        feed_hints=FeedHints(update_period="daily", update_frequency=2),
        http_hints=HttpHints(fresh_for=600, source="max-age"),
    )
    assert by_sy.interval == 12 * HOUR and by_sy.reason.startswith("sy:updatePeriod daily/2")


def test_hint_clamped_to_ceiling() -> None:
    result = poll(
        ScheduleState(interval=HOUR),
        PollOutcome("new_content", 5, 10),
        feed_hints=FeedHints(update_period="weekly"),
    )
    assert result.interval == CEILING


def test_hint_below_interval_changes_nothing() -> None:
    result = poll(
        ScheduleState(interval=4 * HOUR),
        PollOutcome("new_content", 5, 10),
        feed_hints=FeedHints(ttl_minutes=30),
    )
    assert result.interval == 4 * HOUR and "steady" in result.reason


def test_no_cache_is_no_bound() -> None:
    result = poll(
        ScheduleState(interval=FLOOR),
        PollOutcome("new_content", 10, 10),
        http_hints=HttpHints(fresh_for=0, source="no-cache"),
    )
    assert result.interval == FLOOR


@pytest.mark.parametrize(
    ("failures", "backoff"), [(1, 1800), (2, 3600), (3, 7200), (4, 14400), (7, CEILING), (20, CEILING)]
)
def test_failures_back_off_exponentially(failures: int, backoff: int) -> None:
    state = ScheduleState(interval=FLOOR, consecutive_failures=failures - 1)
    result = poll(state, PollOutcome("failed", error_class="timeout"))
    assert result.delay == backoff
    assert result.state.consecutive_failures == failures
    assert result.state.interval == FLOOR  # the regular interval is kept for the recovery
    assert result.reason == f"failure {failures}: backoff {duration(backoff)} ± jitter"


def test_backoff_never_faster_than_the_regular_interval() -> None:
    assert poll(ScheduleState(interval=6 * HOUR), PollOutcome("failed")).delay == 6 * HOUR


@pytest.mark.parametrize(("r", "delay"), [(0.0, 0.9 * 7200), (1.0, 1.1 * 7200), (0.25, 0.95 * 7200)])
def test_jitter_from_the_injected_source(r: float, delay: float) -> None:
    result = next_poll(ScheduleState(consecutive_failures=2), PollOutcome("failed"), NOW, rng=lambda: r)
    assert result.delay == pytest.approx(delay, abs=1)


def test_jitter_stays_within_floor_and_ceiling() -> None:
    high = next_poll(ScheduleState(consecutive_failures=10), PollOutcome("failed"), NOW, rng=lambda: 0.999)
    assert high.delay == CEILING


def test_failing_since_set_once() -> None:
    first = poll(ScheduleState(), PollOutcome("failed"))
    assert first.state.failing_since == NOW
    later = next_poll(first.state, PollOutcome("failed"), NOW + timedelta(hours=1), rng=mid)
    assert later.state.failing_since == NOW


def test_success_after_failure_returns_to_the_regular_interval() -> None:
    state = ScheduleState(interval=2 * HOUR, consecutive_failures=3, failing_since=NOW - timedelta(hours=5))
    result = poll(state, PollOutcome("new_content", 1, 10))
    assert result.interval == result.delay == 2 * HOUR
    assert result.reason == "recovered after 3 failures: back to 2 h"
    assert result.state.consecutive_failures == 0 and result.state.failing_since is None


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_honoured(status: int) -> None:
    result = poll(
        ScheduleState(), PollOutcome("failed", status=status, error_class=f"http_{status}", retry_after=HOUR)
    )
    assert result.delay == HOUR and result.reason == "Retry-After 3600 s; failure 1"


def test_retry_after_beyond_the_ceiling_is_honoured_up_to_a_day() -> None:
    result = poll(ScheduleState(), PollOutcome("failed", status=429, retry_after=2 * HOUR), ceiling=HOUR)
    assert result.delay == 2 * HOUR
    capped = poll(ScheduleState(), PollOutcome("failed", status=503, retry_after=3 * 86_400))
    assert capped.delay == 86_400 and "capped from 259200 s" in capped.reason


def test_retry_after_shorter_than_backoff_keeps_the_backoff() -> None:
    result = poll(ScheduleState(consecutive_failures=3), PollOutcome("failed", status=503, retry_after=60))
    assert result.delay == 4 * HOUR and result.reason.startswith("failure 4: backoff")


def test_retry_after_from_http_hints() -> None:
    result = poll(ScheduleState(), PollOutcome("failed", status=429), http_hints=HttpHints(retry_after=5000))
    assert result.delay == 5000


def test_gone_polled_at_the_ceiling() -> None:
    result = poll(ScheduleState(), PollOutcome("failed", status=410, error_class="http_410"))
    assert result.delay == CEILING and "410" in result.reason


def test_deferred_keeps_the_state() -> None:
    state = ScheduleState(interval=HOUR, consecutive_failures=1, recent_yield=(1,))
    result = poll(state, PollOutcome("deferred"))
    assert result.state == state and result.delay == 0 and result.next_due == NOW
    later = poll(state, PollOutcome("deferred", retry_after=600))
    assert later.delay == 600 and "Retry-After" in later.reason


def test_unknown_outcome_refused() -> None:
    with pytest.raises(ValueError, match="one of"):
        PollOutcome("maybe")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "ok"),
        ({"enabled": False, "consecutive_failures": 3}, "disabled"),
        ({"warnings": ["malformed XML, 3 entries salvaged"]}, "warning"),
        ({"warnings": 2}, "warning"),
        ({"moved_to": "https://new.example/feed"}, "warning"),
        ({"consecutive_failures": 1, "last_status": 500, "failing_since": NOW}, "failing"),
        ({"consecutive_failures": 1, "last_status": 410, "failing_since": NOW}, "gone"),
        ({"consecutive_failures": 9, "failing_since": NOW - timedelta(days=8)}, "gone"),
        ({"consecutive_failures": 9, "failing_since": NOW - timedelta(days=2)}, "failing"),
        (
            {
                "consecutive_failures": 9,
                "failing_since": NOW - timedelta(days=2),
                "gone_after": timedelta(days=1),
            },
            "gone",
        ),
        ({"consecutive_failures": 1, "warnings": 3}, "failing"),
        ({"last_status": 410}, "ok"),  # a 410 long ago, polled fine since
    ],
)
def test_health(kwargs: dict[str, object], expected: str) -> None:
    assert health(now=NOW, **kwargs) == expected  # type: ignore[arg-type]


def test_duration() -> None:
    assert [duration(s) for s in (45, 900, 5400, 7200, 86_400, 3 * 86_400)] == [
        "45 s",
        "15 min",
        "90 min",
        "2 h",
        "24 h",
        "3 d",
    ]
