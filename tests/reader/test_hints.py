"""Publisher hints from HTTP headers and from the feed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsmon.reader.hints import (
    FeedHints,
    feed_hint_seconds,
    from_headers,
    http_date,
    parse_int,
    retry_after_seconds,
)

NOW = datetime(2024, 6, 4, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "fresh", "source"),
    [
        ({"Cache-Control": "public, max-age=1800"}, 1800, "max-age"),
        ({"cache-control": "s-maxage=600, max-age=60"}, 600, "max-age"),
        ({"Cache-Control": 'max-age="300"'}, 300, "max-age"),
        ({"Cache-Control": "no-cache"}, 0, "no-cache"),
        ({"Cache-Control": "private, no-store"}, 0, "no-store"),
        ({"Cache-Control": "max-age=120", "Expires": "Tue, 04 Jun 2024 18:00:00 GMT"}, 120, "max-age"),
        (
            {"Expires": "Tue, 04 Jun 2024 13:00:00 GMT", "Date": "Tue, 04 Jun 2024 12:30:00 GMT"},
            1800,
            "Expires",
        ),
        ({"Expires": "Tue, 04 Jun 2024 13:00:00 GMT"}, 3600, "Expires"),  # no Date: relative to now
        ({"Expires": "0"}, 0, "Expires"),
        ({"Expires": "Mon, 03 Jun 2024 12:00:00 GMT"}, 0, "Expires"),
        ({}, None, None),
    ],
)
def test_freshness(headers: dict[str, str], fresh: int | None, source: str | None) -> None:
    hints = from_headers(headers, NOW)
    assert (hints.fresh_for, hints.source) == (fresh, source)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120),
        (" 3600 ", 3600),
        ("Tue, 04 Jun 2024 13:00:00 GMT", 3600),
        ("Tuesday, 04-Jun-24 12:30:00 GMT", 1800),  # RFC 850 form
        ("Tue Jun  4 12:10:00 2024", 600),  # asctime form
        ("Mon, 03 Jun 2024 12:00:00 GMT", 0),  # in the past
        ("soon", None),
        ("-5", None),
        (None, None),
    ],
)
def test_retry_after(value: str | None, seconds: int | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def test_retry_after_in_headers() -> None:
    assert from_headers({"Retry-After": "90", "Cache-Control": "max-age=10"}, NOW).retry_after == 90


def test_http_date() -> None:
    assert http_date("Tue, 04 Jun 2024 13:00:00 GMT") == datetime(2024, 6, 4, 13, tzinfo=UTC)
    assert http_date("garbage") is None and http_date("") is None


@pytest.mark.parametrize(
    ("hints", "seconds", "label"),
    [
        (FeedHints(ttl_minutes=60), 3600, "ttl 60 min"),
        (FeedHints(update_period="hourly", update_frequency=2), 1800, "sy:updatePeriod hourly/2"),
        (FeedHints(update_period="daily"), 86_400, "sy:updatePeriod daily/1"),
        (FeedHints(update_period="Weekly", update_frequency=0), 604_800, "sy:updatePeriod weekly/1"),
        (
            FeedHints(ttl_minutes=60, update_period="daily", update_frequency=4),
            21_600,
            "sy:updatePeriod daily/4",
        ),
        (FeedHints(ttl_minutes=0), None, None),
        (FeedHints(update_period="fortnightly"), None, None),
        (FeedHints(), None, None),
    ],
)
def test_feed_hints(hints: FeedHints, seconds: int | None, label: str | None) -> None:
    assert feed_hint_seconds(hints) == (seconds, label)


def test_parse_int() -> None:
    assert [parse_int(v) for v in ("60", " 15 minutes", "x", None, 7)] == [60, 15, None, None, 7]
