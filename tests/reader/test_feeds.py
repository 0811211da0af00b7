"""Feed parsing: entries, bad entries, and documents that are not feeds."""

import pytest

from newsmon.config import FeedConfig
from newsmon.errors import FetchError
from newsmon.reader.entries import parse_feed

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


def test_feed_language_hint_wins_only_when_the_page_declares_none_and_detection_is_unsure():
    from types import SimpleNamespace

    from newsmon.articles import _language
    from newsmon.reader.entries import entries_of
    from newsmon.reader.formats import parse_any

    feed = FeedConfig(id="t", url="https://feeds.example/rss.xml", language="ru-RU")
    [entry, *_] = entries_of(parse_any(RSS, {}, "https://news.example/feed"), feed)
    assert entry.language_hint == "ru"
    unsure = SimpleNamespace(language="en", declared_language=None, language_score=0.2)
    sure = SimpleNamespace(language="en", declared_language=None, language_score=0.99)
    declared = SimpleNamespace(language="de", declared_language="de", language_score=0.2)
    assert _language(unsure, entry) == "ru"
    assert _language(sure, entry) == "en"
    assert _language(declared, entry) == "de"


def test_host_queues_cap_concurrency_and_space_requests_per_host():
    import threading
    import time

    from newsmon.politeness import HostQueues, host_of

    pages = [f"http://news.example/{i}" for i in range(6)]
    queues = HostQueues(pages, host_of, concurrency=2, min_gap=0.05)
    stopping = threading.Event()
    active, peak, starts = [0], [0], []
    lock = threading.Lock()

    def worker() -> None:
        while (page := queues.take(stopping)) is not None:
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
                starts.append(time.monotonic())
            time.sleep(0.05)
            with lock:
                active[0] -= 1
            queues.release(page)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert len(starts) == 6 and peak[0] <= 2
    # Six starts, each at least the gap after the one before (recorded late at worst, never early).
    assert starts[-1] - starts[0] >= 5 * 0.05 * 0.95
