"""Dates before 1990 or after tomorrow are not publication dates: a page or a feed entry dated
0001-01-01 (or 2999) has no publication date, cannot lead its story cluster, and a stored outlier
does not stretch the search page's chart over two thousand years."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsmon.clock import publication_problem
from newsmon.config import FeedConfig
from newsmon.extraction import extract_page
from newsmon.reader.entries import entries_of
from newsmon.reader.formats import parse_any
from newsmon.stories.stored import cluster_stories
from newsmon.web.chart import regroup
from newsmon.web.page import Filters, search_page
from tests.stories.test_dedupe import WIRE, _article

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
WORDS = (
    "Negotiators from both delegations met in Geneva on Tuesday to discuss verification measures, "
    "data exchanges and the future of strategic arms limits after the treaty expires. "
)


def page_dated(value: str) -> bytes:
    paragraphs = "".join(f"<p>{WORDS} Paragraph {i}.</p>" for i in range(6))
    return (
        f"<html lang='en'><head><title>Talks</title>"
        f"<meta property='article:published_time' content='{value}'></head>"
        f"<body><article><h1>Talks resume</h1>{paragraphs}</article></body></html>"
    ).encode()


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2999-05-01T00:00:00Z"])
def test_page_dated_0001_01_01_has_no_publication_date(value):
    ext = extract_page(page_dated(value), "https://news.example/talks", now=NOW)
    assert ext.published_at is None or ext.published_at.startswith(("2026", "2025"))
    assert any("before 1990" in n or "in the future" in n for n in ext.notes)


def test_page_date_of_yesterday_is_kept():
    ext = extract_page(page_dated("2026-11-29T08:00:00Z"), "https://news.example/talks", now=NOW)
    assert ext.published_at == "2026-11-29T08:00:00Z"


def test_feed_entry_dated_0001_or_2999_is_not_a_publication_date():
    items = "".join(
        f"<item><link>https://news.example/{i}</link><pubDate>{d}</pubDate></item>"
        for i, d in enumerate(
            [
                "Mon, 01 Jan 1001 00:00:00 GMT",
                "Tue, 01 Jan 2999 00:00:00 GMT",
                "Mon, 30 Nov 2026 08:00:00 GMT",
            ]
        )
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    parsed = parse_any(body.encode(), {}, "https://news.example/rss")
    entries = entries_of(parsed, FeedConfig(id="f", url="https://news.example/rss"), NOW)
    assert [e.published_at for e in entries[:2]] == [None, None]
    assert entries[2].published_at == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert "2 entry date(s) before 1990 or after tomorrow (ignored)" in parsed.warnings


def test_publication_bounds_are_1990_to_tomorrow():
    assert publication_problem(datetime(1989, 12, 31, tzinfo=UTC), NOW) is not None
    assert publication_problem(datetime(1990, 1, 1, tzinfo=UTC), NOW) is None
    assert publication_problem(datetime(2026, 12, 1, 9, tzinfo=UTC), NOW) is None
    assert publication_problem(datetime(2026, 12, 1, 11, tzinfo=UTC), NOW) is not None


# -- what is already stored ----------------------------------------------------------------------


@pytest.mark.integration
def test_copy_dated_0001_01_01_cannot_lead_its_story_cluster(storage):
    real = _article("real", WIRE, "wire.example", "2026-11-20T08:00:00Z")
    outlier = _article("outlier", "Photo: agency file\n" + WIRE, "scraper.example", "0001-01-01T00:00:00Z")
    storage.articles.write([real, outlier], {})
    cluster_stories(storage.articles, ["real", "outlier"])
    storage.articles.refresh()
    got = {h["_id"]: h["_source"] for h in storage.es.search(index=storage.articles.alias)["hits"]["hits"]}
    assert got["real"].get("duplicate_of") is None and got["outlier"]["duplicate_of"] == "real"


@pytest.mark.integration
def test_stored_page_dated_0001_01_01_does_not_fill_the_chart_with_24000_rows(storage):
    storage.articles.write(
        [
            _article("real", WIRE, "wire.example", "2026-11-20T08:00:00Z"),
            _article(
                "outlier", "An unrelated story about something else.", "x.example", "0001-01-01T00:00:00Z"
            ),
        ],
        {},
    )
    storage.articles.refresh()
    result = search_page(storage, Filters())
    assert result.total == 2  # the outlier is still found ...
    rows, unit = regroup(result.per_day)  # ... but the chart spans the real dates only
    assert len(result.per_day) == 1 and len(rows) == 1 and unit == "day"
