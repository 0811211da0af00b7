"""A time budget for parsing outside documents: a feed nested 400,000 deep (25 s of feedparser) fails
with "feed took longer than N s to parse" once NEWSMON_PARSE_TIMEOUT has passed, and the other
feeds of the batch go on; a feed of 140,000 items is read only up to the entry cap."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from newsmon.reader.budget import run_once
from newsmon.reader.formats import parse_any
from newsmon.reader.state import states_from
from newsmon.run import prepare, process_batch
from newsmon.storage import Storage
from tests.helpers.servers import FeedServer, rss

DEPTH = 400_000


def deep_xml() -> bytes:
    return b'<?xml version="1.0"?><rss version="2.0"><channel>' + b"<a>" * DEPTH + b"</channel></rss>"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    s = FeedServer()
    yield s
    s.close()


@pytest.mark.integration
def test_feed_nested_400000_deep_fails_past_the_parse_budget_and_the_others_go_on(server, settings_for):
    server.routes["/deep.xml"] = (200, {"Content-Type": "application/rss+xml"}, deep_xml())
    server.routes["/good.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(server.base, []))
    settings = settings_for(
        f'feeds:\n  - {{id: deep, url: "{server.base}/deep.xml"}}\n  - {{id: good, url: "{server.base}/good.xml"}}\n',
        parse_timeout=1,
    )
    prepare(settings)
    summary = process_batch(["deep", "good"], settings)
    assert summary.per_feed["deep"]["error"] == "feed took longer than 1 s to parse; stopped"
    assert summary.per_feed["good"]["outcome"] == "new_content"
    with Storage.from_settings(settings) as storage:
        states = states_from(storage.feed_states.get_many(["deep", "good"]))
    assert states["deep"].error_class == "parse_timeout" and states["deep"].body_hash is None
    assert states["good"].health == "ok"


def test_json_feed_of_140000_items_is_read_up_to_the_entry_cap():
    items = [{"id": str(i), "url": f"https://news.example/{i}"} for i in range(140_000)]
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": items})
    parsed = parse_any(body.encode(), {}, "https://news.example/feed.json", max_entries=100)
    assert len(parsed.entries) == 100
    assert "the feed lists 140000 entries; only the first 100 are read" in parsed.warnings


def _sleepy(seconds: float) -> str:
    import time

    time.sleep(seconds)
    return "done"


def test_run_once_stops_a_parse_past_its_budget():
    assert run_once(_sleepy, (0,), 5, "document") == "done"
    with pytest.raises(TimeoutError, match="document took longer than 0.5 s to parse"):
        run_once(_sleepy, (60,), 0.5, "document")


def test_a_hostile_feed_among_100_changed_ones_stops_at_the_budget_and_the_others_are_read(server):
    # Bodies are handed to the parsing processes by the fetching threads, and a worker holds the
    # next body while it parses one: the body waiting behind the hostile feed goes to the other
    # worker when that one is stopped, and every other feed is read.
    from newsmon.clock import now
    from newsmon.config import FeedConfig
    from newsmon.fetching import Fetcher
    from newsmon.reader.poll import poll_feeds
    from newsmon.settings import load_settings

    server.routes["/deep.xml"] = (200, {"Content-Type": "application/rss+xml"}, deep_xml())
    feeds = [FeedConfig(id="deep", url=f"{server.base}/deep.xml")]
    for i in range(100):
        server.routes[f"/{i}.xml"] = (
            200,
            {"Content-Type": "application/rss+xml"},
            rss(server.base, [f"{server.base}/{i}/{k}.html" for k in range(5)]),
        )
        feeds.insert(min(i, 3), FeedConfig(id=f"f{i}", url=f"{server.base}/{i}.xml"))
    settings = load_settings({"NEWSMON_ALLOW_PRIVATE_NETWORKS": "1"}, parse_timeout=1, workers=2)
    started = time.monotonic()
    with Fetcher(settings) as fetcher:
        polled = {p.feed.id: p for p in poll_feeds(fetcher, feeds, {}, now())}
    elapsed = time.monotonic() - started
    assert polled["deep"].poll.error == "feed took longer than 1 s to parse; stopped"
    assert polled["deep"].poll.error_class == "parse_timeout"
    others = [polled[f"f{i}"] for i in range(100)]
    assert all(p.poll.outcome == "new_content" and len(p.entries) == 5 for p in others)
    assert elapsed < 20, f"{elapsed:.1f} s for 101 feeds with a 1 s budget"
