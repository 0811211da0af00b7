"""Stateful feed polling against a loopback server that counts requests and records their headers,
with the state in the real Elasticsearch: validators and 304s, unchanged bodies, Retry-After,
backoff and recovery, permanent redirects, JSON Feed, aggregator links, an all-failed pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from newsmon import clock
from newsmon.reader.state import states_from
from newsmon.run import prepare, process_batch
from newsmon.storage import Storage
from tests.helpers.servers import FeedServer, Reply, free_port, rss

pytestmark = pytest.mark.integration

WORDS = (
    "Negotiators from both delegations met in Geneva on Tuesday to discuss verification measures, "
    "data exchanges and the future of strategic arms limits after the treaty expires. "
)
PAGE = (
    "<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    + "".join(f"<p>{WORDS} Paragraph {{title}} {i}.</p>" for i in range(6))
    + "</article></body></html>"
)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    s = FeedServer()
    yield s
    s.close()


def page(title: str) -> Reply:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE.format(title=title).encode()


def conditional_feed(body: bytes, etag: str = '"v1"', modified: str = "Mon, 30 Nov 2026 08:00:00 GMT"):
    def reply(headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"Content-Type": "application/rss+xml", "ETag": etag, "Last-Modified": modified}, body

    return reply


def states(settings) -> dict:
    with Storage.from_settings(settings) as storage:
        return states_from(storage.feed_states.get_many(["a", "b", "c"]))


def one_feed(settings_for, url: str, extra: str = ""):
    settings = settings_for(f'feeds:\n  - {{id: a, url: "{url}"{extra}}}\n')
    prepare(settings)
    return settings


def test_validators_sent_304_honoured_and_no_page_fetched(server, settings_for):
    server.routes["/p1.html"] = page("Geneva talks resume")
    server.routes["/feed.xml"] = conditional_feed(rss(server.base, [f"{server.base}/p1.html"]))
    settings = one_feed(settings_for, f"{server.base}/feed.xml")
    first = process_batch(["a"], settings)
    assert first.per_feed["a"]["outcome"] == "new_content" and server.hits("/p1.html") == 1
    state = states(settings)["a"]
    assert state.etag == '"v1"' and state.last_modified.startswith("Mon, 30 Nov 2026")
    assert state.health == "ok" and state.next_due > datetime.now(UTC) + timedelta(minutes=10)

    second = process_batch(["a"], settings)
    sent = server.headers_of("/feed.xml")[-1]
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == state.last_modified
    assert second.per_feed["a"]["outcome"] == "not_modified" and second.entries_seen == 0
    assert server.hits("/p1.html") == 1  # no page fetched after a 304
    assert states(settings)["a"].etag == '"v1"'


def test_a_304_changes_only_what_a_poll_changes_and_the_next_pass_asks_the_same(server, settings_for):
    server.routes["/p1.html"] = page("Geneva talks resume")
    server.routes["/feed.xml"] = conditional_feed(rss(server.base, [f"{server.base}/p1.html"]))
    settings = one_feed(settings_for, f"{server.base}/feed.xml")
    process_batch(["a"], settings)
    with Storage.from_settings(settings) as storage:
        before = storage.feed_states.get_many(["a"])["a"]
    later = clock.now() + timedelta(hours=1)  # states keep whole seconds: the poll times must differ
    with clock.use(lambda: later):
        process_batch(["a"], settings)
    with Storage.from_settings(settings) as storage:
        after = storage.feed_states.get_many(["a"])["a"]
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    # What a poll that found nothing new changes: when it was, what it got, when the next is due.
    polled = {"last_poll_at", "@timestamp", "last_success_at", "last_status", "last_outcome", "next_due"}
    schedule = {"interval_s", "interval_reason", "recent_yield"}
    assert {"last_poll_at", "next_due", "last_outcome", "last_status"} <= changed <= polled | schedule
    assert after["last_outcome"] == "not_modified" and after["last_status"] == 304
    # The validators, the body hash and what the last body said are kept.
    for key in ("etag", "last_modified", "body_hash", "format", "last_entries", "health", "url"):
        assert after[key] == before[key], key
    with clock.use(lambda: later + timedelta(days=1)):
        process_batch(["a"], settings)
    sent = server.headers_of("/feed.xml")[-1]
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == before["last_modified"]


def test_conditional_off_sends_no_validators_and_unchanged_body_is_not_parsed(server, settings_for):
    server.routes["/p1.html"] = page("Geneva talks resume")
    server.routes["/feed.xml"] = conditional_feed(rss(server.base, [f"{server.base}/p1.html"]))
    settings = one_feed(settings_for, f"{server.base}/feed.xml", ", conditional: false")
    process_batch(["a"], settings)
    second = process_batch(["a"], settings)
    assert "if-none-match" not in server.headers_of("/feed.xml")[-1]
    assert second.per_feed["a"]["outcome"] == "unchanged" and second.entries_seen == 0
    assert server.hits("/p1.html") == 1


def test_retry_after_is_obeyed_even_when_the_schedule_is_ignored(server, settings_for):
    server.routes["/feed.xml"] = (429, {"Retry-After": "3600"}, b"slow down")
    settings = one_feed(settings_for, f"{server.base}/feed.xml")
    first = process_batch(["a"], settings)
    assert first.per_feed["a"]["outcome"] == "deferred" and first.feeds_failed == 0
    state = states(settings)["a"]
    assert state.retry_until > datetime.now(UTC) + timedelta(minutes=55)
    assert state.next_due >= state.retry_until - timedelta(seconds=5)
    assert prepare(settings) == []  # not due
    again = process_batch(["a"], settings)  # what --ignore-schedule would do
    assert again.per_feed["a"]["outcome"] == "deferred" and server.hits("/feed.xml") == 1
    kept = states(settings)["a"]
    assert abs((kept.retry_until - state.retry_until).total_seconds()) <= 2 and prepare(settings) == []


def test_backoff_after_failures_and_recovery(server, settings_for):
    server.routes["/feed.xml"] = (500, {}, b"boom")
    settings = one_feed(settings_for, f"{server.base}/feed.xml")
    process_batch(["a"], settings)
    one = states(settings)["a"]
    process_batch(["a"], settings)
    two = states(settings)["a"]
    assert one.consecutive_failures == 1 and two.consecutive_failures == 2
    assert one.health == two.health == "failing" and two.error_class == "http_500"
    delay_one = (one.next_due - one.last_poll_at).total_seconds()
    delay_two = (two.next_due - two.last_poll_at).total_seconds()
    assert delay_one >= 0.9 * 2 * 900 and delay_two >= 0.9 * 4 * 900 and delay_two > delay_one
    server.routes["/p1.html"] = page("Geneva talks resume")
    server.routes["/feed.xml"] = conditional_feed(rss(server.base, [f"{server.base}/p1.html"]))
    process_batch(["a"], settings)
    back = states(settings)["a"]
    assert back.consecutive_failures == 0 and back.health == "ok" and back.last_error is None
    assert (back.next_due - back.last_poll_at).total_seconds() <= 900 * 1.5 + 1


def test_permanent_redirect_is_stored_and_reported(server, settings_for):
    server.routes["/p1.html"] = page("Geneva talks resume")
    server.routes["/old.xml"] = (301, {"Location": "/new.xml"}, b"")
    server.routes["/new.xml"] = conditional_feed(rss(server.base, [f"{server.base}/p1.html"]))
    settings = one_feed(settings_for, f"{server.base}/old.xml")
    summary = process_batch(["a"], settings)
    state = states(settings)["a"]
    assert state.moved_to == f"{server.base}/new.xml" and state.health == "warning"
    assert summary.per_feed["a"]["moved_to"] == state.moved_to
    assert "moved permanently" in summary.render()


def test_json_feed_entries_are_indexed(server, settings_for):
    server.routes["/p1.html"] = page("Geneva talks resume")
    server.routes["/p2.html"] = page("Inspectors return to the site")
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [
            {"id": "1", "url": f"{server.base}/p1.html", "title": "Geneva talks resume"},
            {
                "id": "2",
                "url": "/p2.html",
                "title": "Inspectors return",
                "date_published": "2026-11-29T10:00:00Z",
            },
        ],
    }
    server.routes["/feed.json"] = (200, {"Content-Type": "application/feed+json"}, json.dumps(feed).encode())
    settings = one_feed(settings_for, f"{server.base}/feed.json")
    summary = process_batch(["a"], settings)
    assert summary.per_feed["a"]["outcome"] == "new_content" and summary.articles_new == 2
    assert states(settings)["a"].format == "jsonfeed1.1"


def test_aggregator_links_are_unwrapped_and_the_aggregator_never_requested(server, settings_for):
    target = f"{server.base}/p1.html?utm_source=alerts"
    links = [
        f"https://www.google.com/url?rct=j&sa=t&url={quote(target, safe='')}&ct=ga",
        f"https://www.bing.com/news/apiclick.aspx?ref=FexRss&url={quote(server.base + '/p1.html', safe='')}",
    ]
    server.routes["/p1.html"] = page("Geneva talks resume")
    server.routes["/alerts.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(server.base, links))
    settings = one_feed(settings_for, f"{server.base}/alerts.xml")
    summary = process_batch(["a"], settings)
    # Both links are one article after unwrapping and dedupe; google and bing were never asked.
    assert summary.articles_new == 1 and server.hits("/p1.html") == 1
    assert not any("google" in e.get("url", "") or "bing" in e.get("url", "") for e in summary.errors)


def test_bad_bodies_get_a_reason_and_the_other_feeds_go_on(server, settings_for):
    server.routes["/p1.html"] = page("Geneva talks resume")
    server.routes["/good.xml"] = conditional_feed(rss(server.base, [f"{server.base}/p1.html"]))
    portal = b"<html><head><title>Hotel WiFi login</title></head><body>Sign in</body></html>"
    server.routes["/portal.xml"] = (200, {"Content-Type": "text/html"}, portal)
    server.routes["/empty.xml"] = (200, {"Content-Type": "application/rss+xml"}, b"")
    server.routes["/loop.xml"] = (302, {"Location": "/loop.xml"}, b"")
    settings = settings_for(
        "feeds:\n"
        f'  - {{id: a, url: "{server.base}/portal.xml"}}\n'
        f'  - {{id: b, url: "{server.base}/empty.xml"}}\n'
        f'  - {{id: c, url: "{server.base}/loop.xml"}}\n'
        f'  - {{id: d, url: "{server.base}/good.xml"}}\n'
    )
    prepare(settings)
    summary = process_batch(["a", "b", "c", "d"], settings)
    assert summary.per_feed["d"]["outcome"] == "new_content" and summary.articles_new == 1
    got = states(settings)
    assert "captive portal" in got["a"].last_error and got["a"].error_class == "html"
    assert got["b"].last_error == "empty body" and got["b"].error_class == "empty"
    assert "redirect loop" in got["c"].last_error and got["c"].error_class == "redirect_loop"
    assert all(got[i].health == "failing" for i in "abc")


def test_entries_without_links_make_the_feed_warn(server, settings_for):
    body = rss(server.base, [f"{server.base}/p1.html"]).replace(
        b"</channel>", b"<item><title>x</title></item></channel>"
    )
    server.routes["/p1.html"] = page("Geneva talks resume")
    server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, body)
    settings = one_feed(settings_for, f"{server.base}/feed.xml")
    summary = process_batch(["a"], settings)
    state = states(settings)["a"]
    assert state.health == "warning" and "no usable http(s) link" in state.warnings[0]
    assert "problem feeds" in summary.render()


def test_all_failed_pass_exits_4_and_feeds_status_json(settings_for):
    dead = free_port()
    settings_for(
        f'feeds:\n  - {{id: a, url: "http://127.0.0.1:{dead}/a.xml"}}\n  - {{id: b, url: "http://127.0.0.1:{dead}/b.xml"}}\n'
    )
    run = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "-q", "run", "--json"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=300,
    )  # fmt: skip
    assert run.returncode == 4, run.stderr
    out = json.loads(run.stdout)
    assert out["feeds_failed"] == 2 and {v["outcome"] for v in out["per_feed"].values()} == {"failed"}
    status = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "-q", "feeds", "status", "--json"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=120,
    )  # fmt: skip
    assert status.returncode == 0, status.stderr
    rows = json.loads(status.stdout)
    keys = {"id", "url", "health", "consecutive_failures", "next_due", "last_status", "last_error", "etag"}
    assert {r["id"] for r in rows} == {"a", "b"} and all(keys | {"last_modified"} <= r.keys() for r in rows)
    assert all(r["health"] == "failing" and r["consecutive_failures"] == 1 for r in rows)
    assert all("connection failed" in r["last_error"] for r in rows)


def test_robots_txt_obeyed_for_pages_unless_switched_off(server, settings_for):
    server.routes["/robots.txt"] = (
        200,
        {"Content-Type": "text/plain"},
        b"User-agent: *\nDisallow: /private/\n",
    )
    server.routes["/p1.html"] = page("Geneva talks resume")
    server.routes["/private/p2.html"] = page("Inspectors return to the site")
    body = rss(server.base, [f"{server.base}/p1.html", f"{server.base}/private/p2.html"])
    server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, body)
    settings = one_feed(settings_for, f"{server.base}/feed.xml")
    summary = process_batch(["a"], settings)
    assert server.hits("/private/p2.html") == 0 and server.hits("/p1.html") == 1
    assert server.hits("/robots.txt") == 1
    assert any("robots.txt" in e["error"] for e in summary.errors)
    settings = settings_for(f'feeds:\n  - {{id: b, url: "{server.base}/feed.xml", robots: false}}\n')
    process_batch(["b"], settings)
    assert server.hits("/private/p2.html") == 1


def test_broken_feeds_fail_with_the_reason_and_a_salvaged_one_warns(server, settings_for):
    pages = [f"{server.base}/p{i}.html" for i in range(1, 4)]
    for i, title in enumerate(("Geneva talks resume", "Verification measures", "Data exchanges"), start=1):
        server.routes[f"/p{i}.html"] = page(title)
    whole = rss(server.base, pages)
    # Cut inside the first item: no complete item, nothing usable salvaged.
    truncated = whole[: whole.index(b"<item>") + len(b"<item><title>Story 0</title><link>http")]
    garbage = b'<?xml version="1.0"?>\n<rss version="2.0">\x00\x01\xff\xfe<<< &&& \x07garbage'
    # One item with a bare '&' among good ones: the XML is broken, every entry is still read.
    one_bad = whole.replace(b"<title>Story 1</title>", b"<title>Story & 1</title>")
    xml = {"Content-Type": "application/rss+xml"}
    server.routes["/truncated.xml"] = (200, xml, truncated)
    server.routes["/garbage.xml"] = (200, xml, garbage)
    server.routes["/one-bad.xml"] = (200, xml, one_bad)
    settings = settings_for(
        "feeds:\n"
        f'  - {{id: a, url: "{server.base}/truncated.xml"}}\n'
        f'  - {{id: b, url: "{server.base}/garbage.xml"}}\n'
        f'  - {{id: c, url: "{server.base}/one-bad.xml"}}\n'
    )
    prepare(settings)
    summary = process_batch(["a", "b", "c"], settings)
    got = states(settings)
    for feed_id in "ab":
        outcome = summary.per_feed[feed_id]
        assert outcome["outcome"] == "failed" and not outcome["ok"], outcome
        assert outcome["error"].startswith("not a readable feed: SAXParseException: "), outcome
        assert "\n" not in outcome["error"]
        assert {"feed": feed_id, "error": outcome["error"]} in summary.errors
        assert got[feed_id].health == "failing" and got[feed_id].consecutive_failures == 1
        assert got[feed_id].last_error == outcome["error"] and got[feed_id].error_class == "not_feed"
    assert summary.feeds_failed == 2 and summary.feeds_ok == 1
    assert summary.per_feed["c"]["outcome"] == "new_content" and summary.per_feed["c"]["entries"] == 3
    assert got["c"].health == "warning" and got["c"].consecutive_failures == 0
    assert any(w.startswith("malformed XML, 3 entries salvaged") for w in got["c"].warnings)
    assert summary.articles_new == 3


def test_atom_feed_wrapped_in_an_xhtml_page_is_read(server, settings_for):
    pages = [f"{server.base}/p{i}.html" for i in range(1, 3)]
    server.routes["/p1.html"] = page("Geneva talks resume")
    server.routes["/p2.html"] = page("Verification measures")
    entries = "".join(
        f'<entry><title>Story {i}</title><id>urn:story:{i}</id><link href="{link}"/>'
        "<updated>2026-11-30T08:00:00Z</updated></entry>"
        for i, link in enumerate(pages)
    )
    body = (
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Our feed</title></head><body>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Inner</title><id>urn:feed</id>'
        f"<updated>2026-11-30T08:00:00Z</updated>{entries}</feed></body></html>"
    ).encode()
    server.routes["/feed.xhtml"] = (200, {"Content-Type": "application/xhtml+xml"}, body)
    settings = one_feed(settings_for, f"{server.base}/feed.xhtml")
    summary = process_batch(["a"], settings)
    assert summary.per_feed["a"]["outcome"] == "new_content", summary.per_feed["a"]
    assert summary.per_feed["a"]["entries"] == 2 and summary.articles_new == 2
    state = states(settings)["a"]
    assert state.health == "ok" and state.format == "atom10"
