"""Feed parsing: entries, bad entries, and documents that are not feeds."""

import pytest

from newsmon.config import FeedConfig
from newsmon.errors import FetchError
from newsmon.feeds import parse_feed

FEED = FeedConfig(id="t", url="https://feeds.example/rss.xml")
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>Good</title><link>https://news.example/a.html?utm_source=rss</link></item>
<item><title>Broken</title><link>http://[broken/x</link></item>
<item><title>Relative</title><link>/b.html</link></item>
<item><title>No link</title></item>
</channel></rss>"""


def test_one_malformed_link_skips_that_entry_not_the_feed():
    entries = parse_feed(RSS, FEED, "https://news.example/feed", {"content-type": "application/rss+xml"})
    assert [e.title for e in entries] == ["Good", "Relative"]
    assert entries[0].canonical_url == "https://news.example/a.html"
    assert entries[1].link == "https://news.example/b.html"


def test_html_is_not_a_feed():
    with pytest.raises(FetchError, match="HTML page instead of a feed"):
        parse_feed(b"<html><body><p>hello</p></body></html>", FEED, FEED.url, {"content-type": "text/html"})
