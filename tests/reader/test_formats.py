"""parse_any: formats, rejections with reasons, and XML that tries to hurt the parser."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsmon.reader.formats import FeedRejected, ParsedFeed, parse_any

ROOT = Path(__file__).resolve().parents[2]
EVAL_FEEDS = ROOT.parent / "shared" / "eval" / "feeds"
BASE = "https://news.example.org/feeds/main.xml"
BUDGET = 2.0  # seconds per document: a hostile or broken feed must not stall a pass

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel><title>Example News</title><link>https://news.example.org/</link><language>en</language>
<ttl>60</ttl><sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>
<item><title>Treaty talks</title><link>/2024/treaty</link><guid isPermaLink="false">t-1</guid>
<description>&lt;p&gt;One&lt;/p&gt;&lt;p&gt;two &lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</description>
<pubDate>Tue, 04 Jun 2024 10:00:00 +0200</pubDate></item>
<item><title>No link here</title><guid isPermaLink="false">t-2</guid></item>
<item><title>Via Google</title>
<link>https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://publisher.example.com/story%3Fid%3D7&amp;ct=ga</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">A &lt;b&gt;bold&lt;/b&gt; feed</title>
<id>urn:x</id><updated>2024-06-04T08:00:00Z</updated>
<entry><title>Entry</title><link rel="alternate" href="https://atom.example.org/e1"/><id>urn:e1</id>
<updated>2024-06-04T08:00:00Z</updated><published>2024-06-03T08:00:00-05:00</published>
<author><name>Ann</name></author><summary>Short</summary></entry></feed>"""


def jsonfeed(version: str = "1.1", **extra: object) -> bytes:
    doc = {
        "version": f"https://jsonfeed.org/version/{version}",
        "title": "JSON News",
        "home_page_url": "https://json.example.org/",
        "language": "fr",
        "authors": [{"name": "Desk"}],
        "items": [
            {
                "id": "1",
                "url": "https://json.example.org/a",
                "title": "A",
                "content_html": "<p>Hello</p><p>world</p><script>x()</script>",
                "date_published": "2024-06-04T10:00:00+02:00",
                "date_modified": "2024-06-04T09:00:00Z",
            },
            {"id": "https://json.example.org/b", "content_text": "B text", "authors": [{"name": "Bo"}]},
            {"id": "3", "external_url": "/relative/c", "summary": "C", "date_published": "yesterday"},
            {"id": "4", "title": "no link at all"},
        ],
        **extra,
    }
    return json.dumps(doc).encode()


def test_rss20_entries_hints_and_warnings() -> None:
    feed = parse_any(RSS, {"Content-Type": "application/rss+xml; charset=utf-8"}, BASE)
    assert (feed.format, feed.title, feed.language) == ("rss20", "Example News", "en")
    assert (feed.hints.ttl_minutes, feed.hints.update_period, feed.hints.update_frequency) == (
        60,
        "hourly",
        2,
    )
    first, google = feed.entries
    assert first.link == "https://news.example.org/2024/treaty"  # relative link made absolute
    assert first.summary == "One two"  # plain text, scripts dropped
    assert first.published == datetime(2024, 6, 4, 8, 0, tzinfo=UTC)
    assert first.guid == "t-1"
    assert google.link == "https://publisher.example.com/story?id=7"
    assert google.original_link.startswith("https://www.google.com/url?")
    assert feed.entries_without_link == 1
    assert feed.warnings == ["1 of 3 entries have no usable http(s) link (skipped)"]


def test_to_feed_entry_uses_the_canonical_url() -> None:
    entry = parse_any(RSS, {}, BASE).entries[0].to_feed_entry("example")
    assert entry.feed_id == "example" and entry.canonical_url.startswith(
        "https://news.example.org/2024/treaty"
    )
    assert len(entry.id) == 32 and entry.published_at == datetime(2024, 6, 4, 8, 0, tzinfo=UTC)


def test_unwrapping_can_be_turned_off() -> None:
    entries = parse_any(RSS, {}, BASE, unwrap_links=False).entries
    assert entries[1].link.startswith("https://www.google.com/url?") and entries[1].original_link is None


def test_atom10() -> None:
    feed = parse_any(ATOM, {"content-type": "application/atom+xml"}, BASE)
    assert feed.format == "atom10" and feed.title == "A bold feed"
    (entry,) = feed.entries
    assert entry.authors == ["Ann"] and entry.summary == "Short"
    assert entry.published == datetime(2024, 6, 3, 13, 0, tzinfo=UTC)
    assert entry.updated == datetime(2024, 6, 4, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (b'<rss version="0.91"><channel><title>t</title></channel></rss>', "rss09x"),
        (
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
            b'<channel rdf:about="x"><title>t</title></channel>'
            b'<item rdf:about="https://r.example/1"><title>i</title><link>https://r.example/1</link></item></rdf:RDF>',
            "rss10",
        ),
        (b'<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>t</title></feed>', "atom03"),
    ],
)
def test_format_names(document: bytes, expected: str) -> None:
    assert parse_any(document, {}, BASE).format == expected


@pytest.mark.parametrize("version", ["1", "1.1"])
def test_json_feed(version: str) -> None:
    feed = parse_any(
        jsonfeed(version), {"content-type": "application/feed+json"}, "https://json.example.org/feed.json"
    )
    assert feed.format == ("jsonfeed1.0" if version == "1" else "jsonfeed1.1")
    assert (feed.title, feed.language, feed.home_url) == ("JSON News", "fr", "https://json.example.org/")
    a, b, c = feed.entries
    assert (a.link, a.title, a.summary, a.guid) == ("https://json.example.org/a", "A", "Hello world", "1")
    assert a.published == datetime(2024, 6, 4, 8, 0, tzinfo=UTC) and a.updated == datetime(
        2024, 6, 4, 9, 0, tzinfo=UTC
    )
    assert a.authors == ["Desk"] and a.language == "fr"  # feed-level fallbacks
    assert (b.link, b.summary, b.authors) == ("https://json.example.org/b", "B text", ["Bo"])
    assert c.link == "https://json.example.org/relative/c" and c.published is None
    assert feed.entries_without_link == 1
    assert "1 dates not in RFC 3339 form (ignored)" in feed.warnings


def test_json_feed_1_0_single_author() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1",
        "author": {"name": "Solo"},
        "items": [{"id": "x", "url": "https://j.example/x"}],
    }
    (entry,) = parse_any(json.dumps(doc).encode(), {}, BASE).entries
    assert entry.authors == ["Solo"]


@pytest.mark.parametrize(
    ("body", "headers", "kind", "words"),
    [
        (b"", {}, "empty", "empty body"),
        (b"  \r\n\t ", {"content-type": "application/rss+xml"}, "empty", "empty body"),
        (
            b"<!DOCTYPE html><html><head><title>Home</title></head><body>hi</body></html>",
            {},
            "html",
            "HTML page",
        ),
        (
            b"<html><head><title>Guest Wi-Fi</title></head><body><form>Log in to continue</form></body></html>",
            {"content-type": "text/html"},
            "html",
            "captive portal",
        ),
        (b"<p>just a fragment</p>", {"content-type": "text/html; charset=utf-8"}, "html", "HTML page"),
        (b'{"data": [1, 2, 3]}', {"content-type": "application/json"}, "json", "not a JSON Feed"),
        (b"[1, 2]", {}, "json", "not a JSON Feed"),
        (b"{not json", {"content-type": "application/json"}, "json", "invalid JSON"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', {}, "json", "items"),
        (b"<?xml version='1.0'?><config><a>1</a></config>", {}, "not_feed", "not a feed"),
        (b"plain text, no markup", {"content-type": "text/plain"}, "not_feed", "not a feed"),
    ],
)
def test_rejections_carry_a_reason(body: bytes, headers: dict[str, str], kind: str, words: str) -> None:
    with pytest.raises(FeedRejected) as caught:
        parse_any(body, headers, BASE)
    assert caught.value.kind == kind and words in caught.value.reason and caught.value.url == BASE


def test_rss_served_as_html_is_still_a_feed() -> None:
    assert parse_any(RSS, {"content-type": "text/html"}, BASE).format == "rss20"


def test_malformed_xml_salvaged_is_a_warning() -> None:
    broken = RSS.replace(b"<title>Via Google</title>", b"<title>Via & Google</title>")
    feed = parse_any(broken, {"content-type": "application/rss+xml"}, BASE)
    assert len(feed.entries) == 2
    assert any(w.startswith("malformed XML, 3 entries salvaged") for w in feed.warnings)


def test_truncated_feed_without_entries_is_not_a_readable_feed() -> None:
    # Broken XML with nothing salvaged is a feed that has broken, not an empty feed.
    with pytest.raises(FeedRejected) as caught:
        parse_any(b"<rss><channel><title>unclosed", {}, BASE)
    assert caught.value.kind == "not_feed"
    assert caught.value.reason.startswith("not a readable feed: SAXParseException: ")
    assert "\n" not in caught.value.reason


def test_broken_feed_whose_entries_have_no_usable_link_is_not_a_readable_feed() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>one</title><link>https://exa'
    with pytest.raises(FeedRejected) as caught:
        parse_any(body, {"content-type": "application/rss+xml"}, BASE)
    assert "not a readable feed" in caught.value.reason and "no element found" in caught.value.reason


def test_well_formed_empty_feed_is_still_empty() -> None:
    feed = parse_any(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>', {}, BASE
    )
    assert feed.format == "rss20" and feed.entries == [] and feed.warnings == []


def _xhtml_wrapped_atom(entries: int) -> bytes:
    items = "".join(
        f'<entry><title>Story {i}</title><id>urn:story:{i}</id><link href="https://news.example.org/s{i}.html"/>'
        f"<updated>2026-11-30T08:00:00Z</updated></entry>"
        for i in range(entries)
    )
    return (
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Feed page</title></head><body>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Inner</title><id>urn:feed</id>'
        f"<updated>2026-11-30T08:00:00Z</updated>{items}</feed></body></html>"
    ).encode()


@pytest.mark.parametrize("content_type", ["application/xhtml+xml", "text/html", "application/atom+xml", ""])
def test_atom_feed_wrapped_in_xhtml_is_read(content_type: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    feed = parse_any(_xhtml_wrapped_atom(10), headers, BASE)
    assert feed.format == "atom10" and len(feed.entries) == 10
    assert feed.entries[0].link == "https://news.example.org/s0.html"


def test_html_page_the_guard_cannot_defuse_is_still_refused_as_html() -> None:
    page = b'<!DOCTYPE html [<!ENTITY a "x"><html><head><title>Home</title></head></html>'  # unterminated
    with pytest.raises(FeedRejected) as caught:
        parse_any(page, {"content-type": "text/html"}, BASE)
    assert caught.value.kind == "html"


def test_gzip_body_without_content_encoding() -> None:
    feed = parse_any(gzip.compress(RSS), {}, BASE)
    assert (
        feed.format == "rss20"
        and "gzip-compressed body without Content-Encoding (decompressed)" in feed.warnings
    )


def test_gzip_bomb_refused() -> None:
    with pytest.raises(FeedRejected, match="inflates past"):
        parse_any(gzip.compress(b"<rss>" + b" " * 30_000_000), {}, BASE)


# --- entity expansion and external entities ------------------------------------------------------


def _laughs(levels: int, one_line: bool) -> bytes:
    sep = b"" if one_line else b"\n"
    decls = [b'<!ENTITY l0 "lol">']
    decls += [b'<!ENTITY l%d "%s">' % (i, (b"&l%d;" % (i - 1)) * 10) for i in range(1, levels)]
    return (
        b'<?xml version="1.0"?>'
        + sep
        + b"<!DOCTYPE rss ["
        + sep
        + sep.join(decls)
        + sep
        + b"]>"
        + sep
        + b'<rss version="2.0"><channel><title>&l%d;</title>' % (levels - 1)
        + b"<item><title>&l%d;</title><link>https://x.example/1</link></item></channel></rss>" % (levels - 1)
    )


def _quadratic(value_size: int, refs: int) -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + b"B" * value_size + b'">\n]>\n'
        b'<rss version="2.0"><channel><title>t</title><item><title>'
        + b"&a;" * refs
        + b"</title><link>https://x.example/1</link></item></channel></rss>"
    )


ATTACKS = {
    "billion-laughs-one-line": _laughs(10, one_line=True),
    "billion-laughs-multi-line": _laughs(10, one_line=False),
    "quadratic-50k-x20k": _quadratic(50_000, 20_000),
    "quadratic-small-value-many-refs": _quadratic(150, 200_000),
    "external-file": b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY ee SYSTEM "file:///etc/passwd">\n]>\n'
    b'<rss version="2.0"><channel><title>&ee;</title><item><title>x</title><link>https://x.example/1</link></item></channel></rss>',
    "external-parameter": b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY % pe SYSTEM "http://127.0.0.1:9/x.dtd"> %pe;]>'
    b'<rss version="2.0"><channel><title>t</title><item><title>x</title><link>https://x.example/1</link></item></channel></rss>',
}


def _text_of(feed: ParsedFeed) -> str:
    return " ".join(str(v) for e in feed.entries for v in (e.title, e.summary)) + str(feed.title)


@pytest.mark.parametrize("name", list(ATTACKS))
def test_entity_attacks_are_not_expanded_and_fast(name: str) -> None:
    start = time.perf_counter()
    try:
        feed = parse_any(ATTACKS[name], {"content-type": "application/rss+xml"}, BASE)
    except FeedRejected as exc:
        assert exc.reason
    else:
        text = _text_of(feed)
        assert "B" * 1000 not in text and text.count("lol") < 100, "an entity was expanded"
        assert "root:" not in text
        assert any("entities removed" in w for w in feed.warnings)
    assert time.perf_counter() - start < BUDGET


def test_short_literal_entities_still_work() -> None:
    doc = b'<!DOCTYPE rss [\n<!ENTITY org "Example Org">\n<!ENTITY nbsp "&#160;">\n]>\n<rss version="2.0"><channel><title>&org;&nbsp;news</title></channel></rss>'
    feed = parse_any(doc, {"content-type": "application/rss+xml"}, BASE)
    assert feed.title == "Example Org news" and feed.warnings == []


def test_utf16_with_internal_subset_refused() -> None:
    doc = '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE rss [<!ENTITY a "x">]><rss/>'.encode("utf-16")
    with pytest.raises(FeedRejected, match="unsafe XML"):
        parse_any(doc, {}, BASE)


def test_utf16_feed_without_doctype_parses() -> None:
    doc = RSS.decode().replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    assert parse_any(doc, {}, BASE).title == "Example News"


# --- the shared evaluation set ---------------------------------------------------------------------


def _manifest() -> list[dict[str, object]]:
    path = EVAL_FEEDS / "manifest.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.skipif(not EVAL_FEEDS.is_dir(), reason=f"evaluation feeds not found at {EVAL_FEEDS}")
def test_every_eval_feed_is_parsed_or_rejected_with_a_reason() -> None:
    records = _manifest()
    assert records, "manifest.jsonl is empty"
    slow, outcomes = [], {"parsed": 0, "rejected": 0}
    for record in records:
        body = (EVAL_FEEDS / str(record["file"])).read_bytes()
        headers = {str(k): str(v) for k, v in dict(record.get("http_headers") or {}).items()}
        start = time.perf_counter()
        try:
            feed = parse_any(body, headers, f"http://127.0.0.1:8000/{record['file']}")
        except FeedRejected as exc:
            assert exc.reason and exc.kind, record["file"]
            outcomes["rejected"] += 1
        else:
            assert feed.format, record["file"]
            assert all(e.link.startswith(("http://", "https://")) for e in feed.entries), record["file"]
            outcomes["parsed"] += 1
        elapsed = time.perf_counter() - start
        if elapsed >= BUDGET:
            slow.append(f"{record['file']}: {elapsed:.2f} s")
    assert not slow, slow
    assert outcomes["parsed"] > outcomes["rejected"]


@pytest.mark.skipif(not (EVAL_FEEDS / "xml-attacks").is_dir(), reason=f"no xml-attacks under {EVAL_FEEDS}")
@pytest.mark.parametrize("name", ["xmlbomb", "xmlbomb2", "quadratic", "cyclic", "external"])
def test_eval_xml_attacks_rejected_quickly(name: str) -> None:
    body = (EVAL_FEEDS / "xml-attacks" / f"defusedxml__{name}.xml").read_bytes()
    start = time.perf_counter()
    with pytest.raises(FeedRejected) as caught:  # none of them has a feed root element
        parse_any(body, {}, BASE)
    assert time.perf_counter() - start < BUDGET
    assert "not a feed" in caught.value.reason
