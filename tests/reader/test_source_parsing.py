"""Source types in the configuration, sitemap documents, robots.txt lines and a page's seen set:
the pure parts, no network."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsmon.config import load_feeds
from newsmon.errors import ConfigError
from newsmon.reader.pages import PageLink, page_links, take
from newsmon.reader.sitemaps import SitemapRejected, parse_sitemap, robots_sitemaps, w3c_date


def load(tmp_path: Path, text: str):
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return load_feeds(path)


def test_type_defaults_to_feed_and_sources_keep_their_settings(tmp_path):
    config = load(
        tmp_path,
        "feeds:\n  - {id: f, url: 'https://a.example/rss'}\n"
        "  - {id: s, url: 'https://a.example/sitemap.xml', type: sitemap, max_age_days: 1}\n"
        "  - {id: p, url: 'https://a.example/press', type: page, pattern: '*/press/2026/*'}\n",
    )
    types = {f.id: (f.type, f.max_age_days, f.first_poll_max) for f in config.feeds}
    assert types == {"f": ("feed", 2.0, 10), "s": ("sitemap", 1.0, 10), "p": ("page", 2.0, 10)}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{id: p, url: 'https://a.example/', type: page}",
            "source 'p' (type page): a page source needs a `pattern`",
        ),
        (
            "{id: p, url: 'https://a.example/', type: page, pattern: 're:(['}",
            "is not a valid regular expression",
        ),
        (
            "{id: p, url: 'https://a.example/', type: page, pattern: 'press/*'}",
            "is a glob on the absolute URL",
        ),
        (
            "{id: f, url: 'https://a.example/', pattern: '*'}",
            "source 'f' (type feed): `pattern` applies only to type: page",
        ),
        (
            "{id: s, url: 'https://a.example/', type: sitemap, first_poll_max: 3}",
            "`first_poll_max` applies only to type: page",
        ),
        (
            "{id: p, url: 'https://a.example/', type: page, pattern: '*', max_age_days: 3}",
            "`max_age_days` applies only to type: sitemap",
        ),
        (
            "{id: x, url: 'https://a.example/', type: atom}",
            "feeds[0].type: Input should be 'feed', 'sitemap' or 'page'",
        ),
    ],
)
def test_source_settings_are_validated_naming_the_source(tmp_path, entry, message):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, f"feeds:\n  - {entry}\n")
    assert message in str(err.value)
    assert "feeds.yaml: feeds[0]" in str(err.value)


NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <!-- a comment -->
  <url><loc>https://news.example/a</loc>
    <news:news><news:publication><news:name>Wire</news:name><news:language>de</news:language></news:publication>
      <news:publication_date>2026-12-07T10:00:00+01:00</news:publication_date>
      <news:title>Abr&#252;stung &amp; Kontrolle</news:title></news:news></url>
  <url><loc>https://news.example/a</loc></url>
  <url><loc>/relative</loc></url>
  <url><loc>https://news.example/b</loc><lastmod>2026-12-06</lastmod></url>
</urlset>"""


def test_news_sitemap_entries_have_title_date_and_language():
    parsed = parse_sitemap(gzip.compress(NEWS), "https://news.example/s.xml.gz", 1_000_000)
    assert parsed.format == "sitemap-news"
    a, b = parsed.entries
    assert (a.link, a.title, a.language) == ("https://news.example/a", "Abrüstung & Kontrolle", "de")
    assert a.published == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert (b.title, b.published, b.updated) == (None, None, datetime(2026, 12, 6, tzinfo=UTC))
    assert parsed.warnings == ["gzip'd sitemap (inflated)", "1 of 4 URLs without an http(s) <loc> (skipped)"]


def test_sitemap_index_children_and_refusals():
    index = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://x.example/1.xml</loc></sitemap><sitemap><loc>https://x.example/1.xml</loc>"
        b"</sitemap><sitemap><loc>ftp://x/2</loc></sitemap></sitemapindex>"
    )
    parsed = parse_sitemap(index, "https://x.example/i.xml", 100_000)
    assert parsed.format == "sitemap-index" and parsed.children == ["https://x.example/1.xml"]
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><urlset>&b;</urlset>'
    )
    assert parse_sitemap(laughs, "u", 100_000).entries == []  # the nested entity is dropped, not expanded
    for body, kind in ((b"", "empty"), (b"<urlset><url>", "not_sitemap"), (b"<html/>", "not_sitemap")):
        with pytest.raises(SitemapRejected) as err:
            parse_sitemap(body, "u", 100_000)
        assert err.value.kind == kind
    with pytest.raises(SitemapRejected, match="inflates past 1000 bytes") as err:
        parse_sitemap(gzip.compress(b" " * 5000), "u", 1000)
    assert err.value.kind == "too_large"


def test_w3c_dates_and_robots_lines():
    assert w3c_date("2026-12-07") == datetime(2026, 12, 7, tzinfo=UTC)
    assert w3c_date("2026-12-07T10:00Z") == datetime(2026, 12, 7, 10, tzinfo=UTC)
    assert w3c_date("yesterday") is None
    robots = "User-agent: *\nDisallow: /x\nSitemap: https://a.example/news.xml\nsitemap:https://a.example/s.xml.gz\n"
    robots += "Sitemap: /relative.xml\nSitemap: https://a.example/news.xml\n"
    assert robots_sitemaps(robots) == ["https://a.example/news.xml", "https://a.example/s.xml.gz"]


def test_page_seen_set_is_bounded_and_keeps_the_links_on_the_page():
    links = [PageLink(f"https://a.example/p/{i}", f"https://a.example/p/{i}", None) for i in range(5)]
    first = take(links, None, first_poll_max=2, max_entries=100, keep=10)
    assert first.baseline and [x.url for x in first.links] == [links[0].url, links[1].url]
    assert first.seen == [x.canonical for x in links]
    new = [PageLink("https://a.example/p/new", "https://a.example/p/new", "N"), *links]
    later = take(new, first.seen, first_poll_max=2, max_entries=100, keep=3)
    assert [x.url for x in later.links] == ["https://a.example/p/new"]
    assert len(later.seen) == 6  # never fewer than the links on the page
    capped = take(new, first.seen[:3], first_poll_max=2, max_entries=1, keep=100)
    assert [x.url for x in capped.links] == ["https://a.example/p/new"]
    assert "https://a.example/p/4" not in capped.seen  # past the cap: still unseen, taken later


def test_page_links_resolve_against_base_and_skip_the_page_itself():
    html = (
        b'<html><head><base href="https://cdn.example/site/"></head><body><a href="a/1">One</a>'
        b'<a href="https://a.example/list">self</a><a href="mailto:x@y">m</a><a href="a/1#c">dup</a>'
        b'<a href="a/2"><img alt="Two"></a></body></html>'
    )
    import re

    got = page_links(html, "https://a.example/list", re.compile(".*"))
    assert [(x.url, x.title) for x in got] == [
        ("https://cdn.example/site/a/1", "One"),
        ("https://cdn.example/site/a/2", "Two"),
    ]
