"""The current time as newsmon sees it, and time stamps as it stores them: UTC, ISO 8601 to the
second, with a `Z`.

Every part of newsmon asks `now()` rather than the system clock, so that a whole deployment can be
run through simulated days (the soak) or a test can stand at a chosen instant, without sleeping:
`use(source)` replaces the clock for the duration of a `with` block. Work handed to another process
(page extraction) receives the time from here instead of reading its own clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta


def _system() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system


def now() -> datetime:
    """The current time, aware, in UTC."""
    return _source().astimezone(UTC)


@contextmanager
def use(source: Callable[[], datetime]) -> Iterator[None]:
    """Let `source` (returning aware datetimes) be the clock inside the block."""
    global _source
    before, _source = _source, source
    try:
        yield
    finally:
        _source = before


def iso(when: datetime | None) -> str | None:
    """`when` in UTC as ``2026-11-30T10:49:50Z``; None stays None."""
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if when else None


def now_iso() -> str:
    return iso(now()) or ""


def parse_iso(value: str) -> datetime:
    """The inverse of `iso` (also takes an explicit offset)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# A publication date before this, or more than PUBLICATION_AHEAD after now, is a wrong date (a
# template's "0001-01-01", a typo'd year), not a publication date: it would fill the search page's
# chart with empty days and make the page the first copy of its story.
EARLIEST_PUBLICATION = datetime(1990, 1, 1, tzinfo=UTC)
PUBLICATION_AHEAD = timedelta(days=1)


def publication_bounds(at: datetime | None = None) -> tuple[datetime, datetime]:
    """The range a publication date must fall in: 1990-01-01 to one day after `at` (now)."""
    return EARLIEST_PUBLICATION, (at or now()) + PUBLICATION_AHEAD


def publication_problem(when: datetime, at: datetime | None = None) -> str | None:
    """Why `when` (aware) is not a publication date, or None when it can be one."""
    earliest, latest = publication_bounds(at)
    if when < earliest:
        return f"date {iso(when)} is before {earliest.year}"
    if when > latest:
        return f"date {iso(when)} is in the future"
    return None
