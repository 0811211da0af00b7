"""Feed discovery from an HTML page."""

from __future__ import annotations

from newsmon.reader.discover import USUAL_PATHS, FeedLink, discover

PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/rss+xml" title="All posts" href="/feed/">
<link rel="alternate" type="application/atom+xml" href="https://blog.example.org/atom.xml">
<link rel="alternate" type="application/feed+json" title="JSON" href="feed.json">
<link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts">
<link rel="alternate" hreflang="fr" href="/fr/">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="home" type="application/rss+xml" href="/not-a-feed-rel">
</head><body><a href="/comments.rss" type="application/rss+xml">comments</a></body></html>"""


def test_declared_links_first_then_candidates() -> None:
    links = discover(PAGE, "https://blog.example.org/2024/06/post.html")
    declared = [link for link in links if link.declared]
    assert declared == [
        FeedLink("https://blog.example.org/feed/", "rss", "All posts"),
        FeedLink("https://blog.example.org/atom.xml", "atom"),
        FeedLink("https://blog.example.org/2024/06/feed.json", "json", "JSON"),
        FeedLink("https://blog.example.org/wp-json/wp/v2/posts", "json"),
        FeedLink("https://blog.example.org/comments.rss", "rss"),
    ]
    guesses = [link.url for link in links if not link.declared]
    assert "https://blog.example.org/atom.xml" not in guesses  # already declared: listed once
    assert guesses == [f"https://blog.example.org{p}" for p in USUAL_PATHS if p != "/atom.xml"]
    assert all(link.kind == "unknown" for link in links if not link.declared)


def test_base_element_is_honoured() -> None:
    html = '<html><head><base href="https://cdn.example.net/site/"><link rel="alternate" type="application/rss+xml" href="rss.xml"></head></html>'
    assert discover(html, "https://example.net/")[0].url == "https://cdn.example.net/site/rss.xml"


def test_no_html_gives_only_candidates() -> None:
    links = discover("", "http://example.com/a/b?c=d")
    assert [link.url for link in links] == [f"http://example.com{p}" for p in USUAL_PATHS]
    assert "http://example.com/?feed=rss2" in [link.url for link in links]
