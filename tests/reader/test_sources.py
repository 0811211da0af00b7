"""Sitemap and page sources polled through the real pass (process_batch) against a loopback server
that counts requests, with the state and the articles in the real Elasticsearch: a news sitemap
index with a gzip'd child, a listing page that gains links between polls, and the failures named."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import timedelta

import pytest

from newsmon import clock
from newsmon.reader.state import states_from
from newsmon.run import process_batch
from newsmon.storage import Storage
from tests.helpers.servers import FeedServer, Reply

pytestmark = pytest.mark.integration

WORDS = (
    "Inspectors of the agency reported on the verification of enrichment activities and the state "
    "of safeguards at the declared sites, and the board discussed the next steps of the review. "
)
PAGE = (
    "<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    + "".join(f"<p>{WORDS} Paragraph {{title}} {i}.</p>" for i in range(6))
    + "</article></body></html>"
)
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
NEWS_NS = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'


@pytest.fixture
def server() -> Iterator[FeedServer]:
    s = FeedServer()
    yield s
    s.close()


def article(title: str) -> Reply:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE.format(title=title).encode()


def conditional(body: bytes, content_type: str, etag: str) -> object:
    def reply(headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"Content-Type": content_type, "ETag": etag}, body

    return reply


def news_urlset(base: str, items: list[tuple[str, str, timedelta]]) -> bytes:
    now = clock.now()
    rows = "".join(
        f"<url><loc>{base}{path}</loc><news:news><news:publication><news:name>Wire</news:name>"
        f"<news:language>fr</news:language></news:publication>"
        f"<news:publication_date>{(now - age).strftime('%Y-%m-%dT%H:%M:%SZ')}</news:publication_date>"
        f"<news:title>{title}</news:title></news:news></url>"
        for path, title, age in items
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS} {NEWS_NS}>{rows}</urlset>'.encode()


def plain_urlset(base: str, items: list[tuple[str, timedelta]]) -> bytes:
    now = clock.now()
    rows = "".join(
        f"<url><loc>{base}{path}</loc><lastmod>{(now - age).date().isoformat()}</lastmod></url>"
        for path, age in items
    )
    return f'<?xml version="1.0"?><urlset {NS}>{rows}</urlset>'.encode()


def index(base: str, children: list[str]) -> bytes:
    rows = "".join(f"<sitemap><loc>{base}{c}</loc></sitemap>" for c in children)
    return f'<?xml version="1.0"?><sitemapindex {NS}>{rows}</sitemapindex>'.encode()


def asked_since(server: FeedServer, before: int) -> list[str]:
    """Paths requested since request number `before`, robots.txt (asked for article pages) aside."""
    return [p for p, _ in server.requests[before:] if p != "/robots.txt"]


def state_of(settings, source_id: str):
    with Storage.from_settings(settings) as storage:
        return states_from(storage.feed_states.get_many([source_id])).get(source_id)


def stored(settings) -> dict[str, dict]:
    with Storage.from_settings(settings) as storage:
        storage.articles.refresh()
        result = storage.es.search(index=storage.articles.alias, size=100, query={"match_all": {}})
        return {hit["_source"]["url"]: hit["_source"] for hit in result["hits"]["hits"]}


def test_news_sitemap_index_with_gzipped_child_indexes_each_url_once(server, settings_for, storage):
    b = server.base
    news = news_urlset(
        b,
        [
            ("/n/1", "Board report on safeguards", timedelta(hours=2)),
            ("/n/2", "Enrichment update", timedelta(hours=5)),
            ("/n/old", "Last month's story", timedelta(days=30)),  # past max_age_days: left out
        ],
    )
    server.routes["/sitemap-index.xml"] = conditional(
        index(b, ["/news.xml.gz", "/pages.xml"]), "application/xml", '"i1"'
    )
    # The gzip'd child comes as application/gzip without Content-Encoding: read by its magic bytes.
    server.routes["/news.xml.gz"] = conditional(gzip.compress(news), "application/gzip", '"n1"')
    server.routes["/pages.xml"] = conditional(
        plain_urlset(b, [("/p/1", timedelta(hours=1)), ("/p/old", timedelta(days=40))]), "text/xml", '"p1"'
    )
    for path in ("/n/1", "/n/2", "/n/old", "/p/1", "/p/old", "/n/3"):
        server.routes[path] = article(f"Story {path}")
    settings = settings_for(f"feeds:\n  - id: wire\n    type: sitemap\n    url: {b}/sitemap-index.xml\n")

    first = process_batch(["wire"], settings)
    row = first.per_feed["wire"]
    assert row["outcome"] == "new_content" and row["type"] == "sitemap", row
    assert row["entries"] == 3
    assert first.articles_new == 3 and first.errors == [], first.errors
    assert any("dated more than 2 days ago" in w for w in row["warnings"])
    for path in ("/n/1", "/n/2", "/p/1"):
        assert server.hits(path) == 1, path
    assert server.hits("/n/old") == server.hits("/p/old") == 0
    docs = stored(settings)
    assert set(docs) == {f"{b}/n/1", f"{b}/n/2", f"{b}/p/1"}
    assert docs[f"{b}/n/1"]["source"] == "wire"
    state = state_of(settings, "wire")
    assert state.etag == '"i1"' and set(state.parts) == {f"{b}/news.xml.gz", f"{b}/pages.xml"}
    assert state.format == "sitemap-index/news"

    # Next poll: the index answers 304; no child and no article is asked for again.
    before = len(server.requests)
    second = process_batch(["wire"], settings)
    assert second.per_feed["wire"]["outcome"] == "not_modified"
    assert second.articles_new == 0
    assert asked_since(server, before) == ["/sitemap-index.xml"]

    # The news child gains a story and the index changes: the unchanged child answers 304 to its
    # own validators, and only the new story is fetched.
    news2 = news + b""
    news2 = news2.replace(
        b"</urlset>", news_urlset(b, [("/n/3", "New", timedelta(minutes=5))]).split(b">", 2)[2]
    )
    server.routes["/news.xml.gz"] = conditional(gzip.compress(news2), "application/gzip", '"n2"')
    server.routes["/sitemap-index.xml"] = conditional(
        index(b, ["/news.xml.gz", "/pages.xml"]) + b"\n", "application/xml", '"i2"'
    )
    before = len(server.requests)
    third = process_batch(["wire"], settings)
    assert third.per_feed["wire"]["outcome"] == "new_content"
    assert third.articles_new == 1, third.to_dict()
    asked = asked_since(server, before)
    assert sorted(asked) == ["/n/3", "/news.xml.gz", "/pages.xml", "/sitemap-index.xml"], asked
    pages_headers = server.headers_of("/pages.xml")[-1]
    assert pages_headers.get("if-none-match") == '"p1"'
    assert server.hits("/n/1") == 1 and server.hits("/n/3") == 1


def test_sitemap_failures_are_named_and_a_bomb_stops_at_the_cap(server, settings_for, storage):
    b = server.base
    server.routes["/broken.xml"] = (
        200,
        {"Content-Type": "text/xml"},
        b'<?xml version="1.0"?><urlset><url><loc>',
    )
    server.routes["/idx.xml"] = (200, {"Content-Type": "text/xml"}, index(b, ["/ok.xml", "/missing.xml"]))
    server.routes["/ok.xml"] = (
        200,
        {"Content-Type": "text/xml"},
        plain_urlset(b, [("/a", timedelta(hours=1))]),
    )
    server.routes["/a"] = article("A")
    bomb = gzip.compress(b"<" + b" " * 3_000_000, compresslevel=9)
    assert len(bomb) < 10_000
    server.routes["/bomb.xml.gz"] = (200, {"Content-Type": "application/gzip"}, bomb)
    server.routes["/allbad.xml"] = (200, {"Content-Type": "text/xml"}, index(b, ["/gone1.xml", "/gone2.xml"]))
    server.routes["/notsitemap.xml"] = (200, {"Content-Type": "text/xml"}, b"<rss><channel/></rss>")
    feeds = "feeds:\n" + "".join(
        f"  - id: {name}\n    type: sitemap\n    url: {b}/{path}\n"
        for name, path in (
            ("broken", "broken.xml"),
            ("idx", "idx.xml"),
            ("bomb", "bomb.xml.gz"),
            ("allbad", "allbad.xml"),
            ("other", "notsitemap.xml"),
        )
    )
    settings = settings_for(feeds, max_feed_bytes=1_000_000)
    summary = process_batch(["broken", "idx", "bomb", "allbad", "other"], settings)
    per = summary.per_feed
    errors = [e["error"] for e in summary.errors]

    assert per["broken"]["outcome"] == "failed"
    assert "not a readable sitemap" in per["broken"]["error"]
    assert per["bomb"]["outcome"] == "failed"
    assert "inflates past 1000000 bytes" in per["bomb"]["error"]
    assert per["other"]["outcome"] == "failed" and "root element <rss>" in per["other"]["error"]
    # One child 404: the source is read in part, the child named in its warnings and the errors.
    assert per["idx"]["outcome"] == "new_content" and per["idx"]["entries"] == 1
    assert f"child sitemap {b}/missing.xml: HTTP 404" in errors
    assert any("missing.xml: HTTP 404" in w for w in per["idx"]["warnings"])
    assert per["allbad"]["outcome"] == "failed"
    assert per["allbad"]["error"].startswith(
        f"every child sitemap failed: child sitemap {b}/gone1.xml: HTTP 404"
    )
    assert summary.articles_new == 1
    state = state_of(settings, "idx")
    assert state.health == "warning" and state.etag is None and state.body_hash is None
    failed = state_of(settings, "bomb")
    assert failed.consecutive_failures == 1 and failed.error_class == "too_large"

    # The index whose child failed is asked for in full again: the failed child is retried, the
    # good one answers to its validators (its body hash: the server sends no ETag) and is not re-read.
    before = len(server.requests)
    process_batch(["idx"], settings)
    asked = asked_since(server, before)
    assert sorted(asked) == ["/idx.xml", "/missing.xml", "/ok.xml"], asked
    assert server.hits("/a") == 1


LISTING = """<html><head><title>Press releases</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a> <a href="#top">top</a></nav>
<ul>{items}</ul>
<a href="/press/archive.pdf.html?page=2">Older</a>
</body></html>"""


def listing(paths: list[str]) -> Reply:
    items = "".join(
        f'<li><a href="{p}#x">  Statement {p.rsplit("/", 1)[-1]}\n on talks </a></li>' for p in paths
    )
    return 200, {"Content-Type": "text/html"}, LISTING.format(items=items).encode()


def test_listing_page_baseline_then_only_the_new_links(server, settings_for, storage):
    b = server.base
    paths = [f"/press/2026/{i}" for i in range(12)]
    server.routes["/press"] = listing(paths)
    for path in [*paths, "/press/2026/new1", "/press/2026/new2"]:
        server.routes[path] = article(f"Statement {path}")
    settings = settings_for(
        f"feeds:\n  - id: mfa\n    type: page\n    url: {b}/press\n"
        f"    pattern: '{b}/press/2026/*'\n    first_poll_max: 3\n"
    )

    first = process_batch(["mfa"], settings)
    row = first.per_feed["mfa"]
    assert row["outcome"] == "new_content" and row["type"] == "page"
    assert row["entries"] == 3 and first.articles_new == 3
    assert row["notes"] == [
        "first poll: 12 matching link(s) recorded as the baseline, 3 taken (first_poll_max=3)"
    ]
    assert row["warnings"] == []
    assert [server.hits(p) for p in paths] == [1, 1, 1] + [0] * 9
    assert server.hits("/about") == 0
    state = state_of(settings, "mfa")
    assert len(state.seen) == 12 and state.health == "ok"

    # The page gains two links at the top: only those two are fetched.
    server.routes["/press"] = listing(["/press/2026/new1", "/press/2026/new2", *paths])
    second = process_batch(["mfa"], settings)
    assert second.per_feed["mfa"]["entries"] == 2 and second.articles_new == 2
    assert "notes" not in second.per_feed["mfa"]
    assert server.hits("/press/2026/new1") == server.hits("/press/2026/new2") == 1
    assert [server.hits(p) for p in paths] == [1, 1, 1] + [0] * 9
    assert len(state_of(settings, "mfa").seen) == 14

    # The same page again: unchanged (same body), nothing taken, nothing fetched but the page.
    before = len(server.requests)
    third = process_batch(["mfa"], settings)
    assert third.per_feed["mfa"]["outcome"] == "unchanged" and third.articles_new == 0
    assert asked_since(server, before) == ["/press"]
    docs = stored(settings)
    assert len(docs) == 5 and all(d["source"] == "mfa" for d in docs.values())


def test_page_links_titles_from_link_text_and_pattern(server, settings_for, storage):
    from newsmon.config import FeedConfig
    from newsmon.fetching import Fetcher
    from newsmon.reader.sources import poll_source

    b = server.base
    server.routes["/press"] = listing(["/press/2026/7", "/elsewhere/8"])
    settings = settings_for("feeds: []\n")
    source = FeedConfig(id="p", url=f"{b}/press", type="page", pattern=r"re:/press/\d{4}/\d+$")
    with Fetcher(settings) as fetcher:
        polled = poll_source(fetcher, source, None, clock.now())
    assert [(e.link, e.title) for e in polled.entries] == [(f"{b}/press/2026/7", "Statement 7 on talks")]
    assert polled.poll.seen_key and len(polled.poll.seen or []) == 1


def test_a_listing_page_obeys_robots_txt_unless_switched_off(server, settings_for):
    from newsmon.config import FeedConfig
    from newsmon.fetching import Fetcher
    from newsmon.reader.sources import poll_source

    b = server.base
    server.routes["/robots.txt"] = (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /press\n")
    server.routes["/press"] = listing(["/press/2026/7"])
    settings = settings_for("feeds: []\n")
    polite = FeedConfig(id="p", url=f"{b}/press", type="page", pattern="*/press/2026/*")
    with Fetcher(settings) as fetcher:
        refused = poll_source(fetcher, polite, None, clock.now())
        assert refused.poll.outcome == "failed" and refused.poll.error_class == "robots"
        assert refused.poll.error.startswith("disallowed by robots.txt")
        assert server.hits("/press") == 0
        told = polite.model_copy(update={"robots": False})
        allowed = poll_source(fetcher, told, None, clock.now())
    assert allowed.poll.outcome == "new_content" and len(allowed.entries) == 1
