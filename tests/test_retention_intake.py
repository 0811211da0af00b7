"""With NEWSMON_RETENTION set, a story older than the retention is not stored: retention would
remove it again, and a feed that still lists it would bring it back (and alert on it) at every
turn. Undated stories and stories already stored are not affected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from newsmon import clock, run
from newsmon.storage import Storage
from tests.helpers.servers import FeedServer

pytestmark = pytest.mark.integration

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def page(n: int, dated: datetime | None) -> bytes:
    meta = f"<meta property='article:published_time' content='{dated.isoformat()}'>" if dated else ""
    text = "".join(
        f"<p>Report {n}, paragraph {i}: delegates discussed verification of missile limits and the "
        f"exchange of data on launchers at the meeting in Vienna, officials said.</p>"
        for i in range(6)
    )
    return f"<html><head><title>Report {n}</title>{meta}</head><body><article><h1>Report {n}</h1>{text}</article></body></html>".encode()


def test_a_pass_skips_stories_older_than_the_retention(settings_for) -> None:
    server = FeedServer()
    try:
        base = server.base
        old, fresh = NOW - timedelta(days=400), NOW - timedelta(days=1)
        items = [
            ("old-in-feed", old, None),  # the feed dates it: skipped before fetching
            ("old-on-page", None, old),  # only the page dates it: fetched, then not stored
            ("fresh", fresh, fresh),
            ("undated", None, None),
        ]
        feed_items = ""
        for name, feed_date, page_date in items:
            server.routes[f"/{name}.html"] = (
                200,
                {"Content-Type": "text/html"},
                page(len(feed_items), page_date),
            )
            pub = f"<pubDate>{format_datetime(feed_date)}</pubDate>" if feed_date else ""
            feed_items += f"<item><title>{name}</title><link>{base}/{name}.html</link>{pub}</item>"
        feed = f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title><link>{base}/</link>{feed_items}</channel></rss>"
        server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, feed.encode())
        settings = settings_for(f"feeds:\n  - {{id: f, url: '{base}/feed.xml'}}\n", retention="30d")
        with clock.use(lambda: NOW):
            summary = run.run_pass(settings)
        with Storage.from_settings(settings) as storage:
            storage.refresh_articles()
            urls = sorted(
                h["_source"]["url"] for h in storage.articles.scan({"match_all": {}}, source=["url"])
            )
        assert urls == [f"{base}/fresh.html", f"{base}/undated.html"]
        assert summary.past_retention == 2
        assert server.hits("/old-in-feed.html") == 0 and server.hits("/old-on-page.html") == 1
    finally:
        server.close()
