"""Time stamps as newsmon stores them: UTC, ISO 8601 to the second, with a `Z`."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(when: datetime | None) -> str | None:
    """`when` in UTC as ``2026-11-30T10:49:50Z``; None stays None."""
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if when else None


def now_iso() -> str:
    return iso(datetime.now(UTC)) or ""


def parse_iso(value: str) -> datetime:
    """The inverse of `iso` (also takes an explicit offset)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
