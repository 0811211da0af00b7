"""When a digest is due: after every cron tick since the last one sent, the tick's own second
included."""

from __future__ import annotations

from datetime import UTC, datetime

from newsmon.alerts.delivery import due

DAILY = "0 7 * * *"


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


def test_a_rule_never_sent_is_due() -> None:
    assert due(DAILY, None, at(2, 3))


def test_due_on_the_second_of_the_tick_and_after_it() -> None:
    last = at(1, 7).isoformat()
    assert due(DAILY, last, at(2, 7))
    assert due(DAILY, last, at(2, 7, 0, 30))
    assert due(DAILY, last, at(3, 6))


def test_not_due_again_before_the_next_tick() -> None:
    assert not due(DAILY, at(2, 7).isoformat(), at(2, 7))
    assert not due(DAILY, at(2, 7).isoformat(), at(3, 6, 59, 59))
    assert not due(DAILY, at(2, 7, 0, 5).isoformat(), at(2, 23))
