"""Publisher hints: how often a feed asks to be polled, from HTTP headers and from the feed itself.

Header values come from whoever answers the request, so they are parsed here, at the edge, into
bounded numbers: ASCII digits only (`str.isdigit` also accepts `²`, which `int` refuses), at most
a few digits converted (`int` refuses 5,000 digits, and a huge value overflows a date), every
number of seconds clamped to MAX_WAIT_S, HTTP dates outside years 1990..9998 read as unreadable.
What was clamped or unreadable comes back as a warning for the feed, never as an exception.
"""

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
# The longest any server's header makes newsmon wait for a feed: Retry-After, max-age and Expires
# are clamped to it (a day, as the documentation of polling promises).
MAX_WAIT_S = 24 * 3600
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?([^\s,\"]*)\"?", re.IGNORECASE)
_SHOWN = 40  # characters of a bad header value quoted in a warning


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
    warnings: tuple[str, ...] = ()  # header values clamped to MAX_WAIT_S or unreadable


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def http_date(value: str | None) -> datetime | None:
    """An HTTP-date (RFC 9110, incl. the obsolete forms) as an aware UTC datetime, or None."""
    if not value:
        return None
    if len(value) > 64:  # an HTTP-date is 29 characters
        return None
    try:
        when = parsedate_to_datetime(value.strip())
        if when.tzinfo is None:  # "-0000" and the obsolete forms: HTTP dates are always GMT
            when = when.replace(tzinfo=UTC)
        when = when.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # Years 1 or 9999 are no one's clock: read as unreadable, and far from datetime's limits.
    return when if 1990 <= when.year <= 9998 else None


def _shown(value: str) -> str:
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "...")


def header_seconds(value: str, name: str, cap: int = MAX_WAIT_S) -> tuple[int | None, str | None]:
    """A header's delta-seconds as (seconds clamped to `cap`, warning or None); (None, warning)
    when it is not ASCII digits. Never converts more than a few digits."""
    digits = value.strip()
    if not _DIGITS.fullmatch(digits):
        return None, f"{name} {_shown(value)} is not a number of seconds (ignored)"
    if len(digits) > 12 or int(digits) > cap:
        return cap, f"{name} {_shown(digits)} s is longer than {cap} s (clamped to {cap} s)"
    return int(digits), None


def seconds_until(
    when: datetime, since: datetime, name: str, cap: int = MAX_WAIT_S
) -> tuple[int, str | None]:
    """Whole seconds from `since` to `when` (0 when past), clamped to `cap` with a warning."""
    seconds = max(0.0, (when - since).total_seconds())
    if seconds > cap:
        return cap, f"{name} is {seconds:.0f} s ahead, longer than {cap} s (clamped to {cap} s)"
    return int(seconds), None


def retry_after_value(value: str | None, now: datetime) -> tuple[int | None, str | None]:
    """Retry-After as (seconds from `now`, warning): delta-seconds or an HTTP-date, clamped to
    MAX_WAIT_S; (None, None) when absent, (None, warning) when unreadable."""
    if value is None:
        return None, None
    if _DIGITS.fullmatch(value.strip()) or not value.strip():
        return header_seconds(value, "Retry-After")
    when = http_date(value)
    if when is None:
        return None, f"Retry-After {_shown(value)} is neither seconds nor an HTTP date (ignored)"
    return seconds_until(when, now, "Retry-After")


def retry_after_seconds(value: str | None, now: datetime) -> int | None:
    """Retry-After as seconds from `now` (clamped to MAX_WAIT_S); None when absent or unreadable."""
    return retry_after_value(value, now)[0]


def from_headers(headers: dict[str, str], now: datetime) -> HttpHints:
    """Freshness and Retry-After of one response. `now` stands in for a missing Date header.
    Never raises: what cannot be read or is out of range is a warning in the result."""
    retry, retry_warning = retry_after_value(_header(headers, "retry-after"), now)
    notes = [retry_warning] if retry_warning else []
    cache_control = (_header(headers, "cache-control") or "").lower()
    match = _MAX_AGE.search(cache_control)
    if match:
        fresh, warning = header_seconds(match.group(1), "Cache-Control max-age")
        notes += [warning] if warning else []
        if fresh is not None:
            return HttpHints(fresh_for=fresh, retry_after=retry, source="max-age", warnings=tuple(notes))
    directives = {part.strip().split("=")[0] for part in cache_control.split(",")}
    if directives & {"no-cache", "no-store"}:
        source = "no-cache" if "no-cache" in directives else "no-store"
        return HttpHints(fresh_for=0, retry_after=retry, source=source, warnings=tuple(notes))
    expires_raw = _header(headers, "expires")
    if expires_raw is not None:
        expires = http_date(expires_raw)
        # RFC 9111: an invalid Expires ("0", "-1") means already expired.
        date = http_date(_header(headers, "date")) or now
        fresh, warning = seconds_until(expires, date, "Expires") if expires else (0, None)
        notes += [warning] if warning else []
        return HttpHints(fresh_for=fresh, retry_after=retry, source="Expires", warnings=tuple(notes))
    return HttpHints(retry_after=retry, warnings=tuple(notes))


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
        match = re.match(r"\s*([0-9]{1,9})", value)
        if match:
            return int(match.group(1))
    return None
