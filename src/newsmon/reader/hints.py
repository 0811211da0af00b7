"""Publisher hints: how often a feed asks to be polled, from HTTP headers and from the feed itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# sy:updatePeriod of the RSS 1.0 syndication module, in seconds.
UPDATE_PERIODS = {
    "hourly": 3600,
    "daily": 86_400,
    "weekly": 604_800,
    "monthly": 2_592_000,
    "yearly": 31_536_000,
}
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


@dataclass(frozen=True)
class FeedHints:
    """What the feed document says about its own update rate (raw values, as published)."""

    ttl_minutes: int | None = None
    update_period: str | None = None
    update_frequency: int | None = None


@dataclass(frozen=True)
class HttpHints:
    """What the HTTP response says: seconds the content stays fresh, and Retry-After in seconds."""

    fresh_for: int | None = None  # max-age, else Expires - Date; 0 for no-cache/no-store
    retry_after: int | None = None
    source: str | None = None  # "max-age", "Expires", "no-cache", ... for the schedule's reason


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def http_date(value: str | None) -> datetime | None:
    """An HTTP-date (RFC 9110, incl. the obsolete forms) as an aware UTC datetime, or None."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" and the obsolete forms: HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def retry_after_seconds(value: str | None, now: datetime) -> int | None:
    """Retry-After as seconds from `now`: delta-seconds or an HTTP-date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    when = http_date(value)
    if when is None:
        return None
    return max(0, int((when - now).total_seconds()))


def from_headers(headers: dict[str, str], now: datetime) -> HttpHints:
    """Freshness and Retry-After of one response. `now` stands in for a missing Date header."""
    retry = retry_after_seconds(_header(headers, "retry-after"), now)
    cache_control = (_header(headers, "cache-control") or "").lower()
    match = _MAX_AGE.search(cache_control)
    if match:
        return HttpHints(fresh_for=int(match.group(1)), retry_after=retry, source="max-age")
    directives = {part.strip().split("=")[0] for part in cache_control.split(",")}
    if directives & {"no-cache", "no-store"}:
        return HttpHints(
            fresh_for=0, retry_after=retry, source="no-cache" if "no-cache" in directives else "no-store"
        )
    expires_raw = _header(headers, "expires")
    if expires_raw is not None:
        expires = http_date(expires_raw)
        # RFC 9111: an invalid Expires ("0", "-1") means already expired.
        date = http_date(_header(headers, "date")) or now
        fresh = max(0, int((expires - date).total_seconds())) if expires else 0
        return HttpHints(fresh_for=fresh, retry_after=retry, source="Expires")
    return HttpHints(retry_after=retry)


def feed_hint_seconds(hints: FeedHints) -> tuple[int | None, str | None]:
    """The feed's own minimum interval in seconds and a label for it; the larger of ttl and sy:*."""
    candidates: list[tuple[int, str]] = []
    if hints.ttl_minutes and hints.ttl_minutes > 0:
        candidates.append((hints.ttl_minutes * 60, f"ttl {hints.ttl_minutes} min"))
    period = (hints.update_period or "").strip().lower()
    if period in UPDATE_PERIODS:
        frequency = hints.update_frequency if hints.update_frequency and hints.update_frequency > 0 else 1
        candidates.append((UPDATE_PERIODS[period] // frequency, f"sy:updatePeriod {period}/{frequency}"))
    if not candidates:
        return None, None
    return max(candidates)


def parse_int(value: object) -> int | None:
    """A hint's integer, tolerating whitespace; None for anything else (feeds write '60 minutes')."""
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = re.match(r"\s*(\d{1,9})", value)
        if match:
            return int(match.group(1))
    return None
