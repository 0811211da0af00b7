"""`newsmon feeds discover|check|export|status` with sitemap and page sources (loopback server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_feed_commands import cli
from tests.helpers.servers import FeedServer

URLSET = (
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://n.example/a</loc>'
    b"<news:news><news:publication><news:language>en</news:language></news:publication>"
    b"<news:publication_date>2026-12-01T08:00:00Z</news:publication_date><news:title>A</news:title>"
    b"</news:news></url></urlset>"
)


@pytest.fixture
def server():
    s = FeedServer()
    yield s
    s.close()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "feeds.yaml").write_text(
        "feeds:\n  - {id: f, url: 'https://a.example/rss'}\n"
        "  - {id: s, url: 'https://a.example/sitemap.xml', type: sitemap}\n"
        "  - {id: p, url: 'https://a.example/press', type: page, pattern: '*/press/*'}\n",
        encoding="utf-8",
    )
    return {"NEWSMON_FEEDS_FILE": str(tmp_path / "feeds.yaml"), "NEWSMON_ALLOW_PRIVATE_NETWORKS": "1"}


def test_discover_names_the_sitemaps_of_robots_txt(server, env):
    server.routes["/"] = (
        200,
        {"Content-Type": "text/html"},
        b"<html><head></head><body>no feed</body></html>",
    )
    robots = f"User-agent: *\nDisallow:\nSitemap: {server.base}/news-sitemap.xml\nSitemap: {server.base}/s.xml.gz\n"
    server.routes["/robots.txt"] = (200, {"Content-Type": "text/plain"}, robots.encode())
    out = cli("feeds", "discover", f"{server.base}/", "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [
        {
            "url": f"{server.base}/news-sitemap.xml",
            "kind": "sitemap",
            "title": None,
            "declared": True,
            "via": "robots.txt",
        },
        {
            "url": f"{server.base}/s.xml.gz",
            "kind": "sitemap",
            "title": None,
            "declared": True,
            "via": "robots.txt",
        },
    ]
    text = cli("feeds", "discover", f"{server.base}/", env=env)
    assert f"{server.base}/news-sitemap.xml  sitemap    (named in robots.txt)" in text.stdout


def test_check_a_sitemap_and_a_page(server, env):
    server.routes["/s.xml"] = (200, {"Content-Type": "text/xml"}, URLSET)
    out = cli("feeds", "check", f"{server.base}/s.xml", "--type", "sitemap", "--json", env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["format"] == "sitemap-news"
    assert data["entries"] == [
        {
            "link": "https://n.example/a",
            "title": "A",
            "published_at": "2026-12-01T08:00:00Z",
            "language": "en",
        }
    ]
    server.routes["/press"] = (
        200,
        {"Content-Type": "text/html"},
        b'<a href="/press/1">One</a><a href="/x">X</a>',
    )
    out = cli("feeds", "check", f"{server.base}/press", "--pattern", "*/press/*", "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert [(e["link"], e["title"]) for e in json.loads(out.stdout)["entries"]] == [
        (f"{server.base}/press/1", "One")
    ]
    bad = cli("feeds", "check", f"{server.base}/press", "--pattern", "re:(", env=env)
    assert bad.returncode != 0 and "not a valid regular expression" in bad.stderr
    broken = cli("feeds", "check", f"{server.base}/press", "--type", "sitemap", env=env)
    assert broken.returncode != 0 and "not a readable sitemap" in broken.stderr


def test_export_leaves_sitemaps_and_pages_out_with_a_note(env):
    out = cli("feeds", "export", env=env)
    assert out.returncode == 0, out.stderr
    assert 'xmlUrl="https://a.example/rss"' in out.stdout
    assert "sitemap.xml" not in out.stdout.replace("not exported", "")
    assert "not exported: sitemap and page sources are not OPML feeds: s (sitemap), p (page)" in out.stdout
    assert "2 source(s) not exported (not OPML feeds): s (sitemap), p (page)" in out.stderr
