"""Any feed document into one shape: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed by us.

`parse_any` rejects with a reason an empty body, JSON that is not a JSON Feed, an HTML page (a site's
front page, a captive portal or a login wall answering 200) and a document so broken that no usable
entry comes out of it. Markup goes through the DOCTYPE guard (see xmlguard) before any XML parser
sees it; a body that looks like HTML is refused only once feedparser has found no feed in it, so an
Atom feed wrapped in an XHTML page is still read.
"""

from __future__ import annotations

import calendar
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html

from newsmon.errors import FetchError
from newsmon.reader.aggregators import unwrap
from newsmon.reader.hints import FeedHints, parse_int
from newsmon.reader.xmlguard import UnsafeXml, defuse
from newsmon.records import FeedEntry
from newsmon.urls import canonicalize, doc_id

MAX_INFLATED = 20_000_000
# Entries read from one feed document at most (a feed's own `max_entries` is at most this too).
MAX_ENTRIES = 10_000

# feedparser's version names, grouped as the state and the CLI report them.
_VERSIONS = {
    "rss090": "rss09x",
    "rss091n": "rss09x",
    "rss091u": "rss09x",
    "rss092": "rss09x",
    "rss093": "rss09x",
    "rss094": "rss09x",
    "rss20": "rss20",
    "rss10": "rss10",
    "rss": "rss",
    "atom01": "atom03",
    "atom02": "atom03",
    "atom03": "atom03",
    "atom10": "atom10",
    "atom": "atom",
    "cdf": "cdf",
}
_JSONFEED_VERSION = re.compile(r"https?://jsonfeed\.org/version/(\d+(?:\.\d+)?)/?\Z")
_HTML_START = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|title|script|div|p)\b", re.IGNORECASE)
_FEED_ROOT = re.compile(rb"<(?:[\w-]+:)?(?:rss|feed|rdf|channel)\b", re.IGNORECASE)
_DOCTYPE_DECL = re.compile(rb"<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>", re.IGNORECASE | re.S)
_TITLE = re.compile(rb"<title[^>]*>(.{0,200}?)</title>", re.IGNORECASE | re.S)
_PORTAL = re.compile(rb"captive|hotspot|wi-?fi|log ?in|sign ?in|password|http-equiv=.?refresh", re.IGNORECASE)
_BLOCKS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "blockquote", "figure")
# bozo exceptions that are about the HTTP envelope, not about broken XML.
_MINOR_BOZO = ("CharacterEncodingOverride", "NonXMLContentType")


class FeedRejected(FetchError):
    """The body is not a feed we can read. `kind`: empty, html, json, not_feed or unsafe."""

    def __init__(self, url: str, kind: str, reason: str):
        super().__init__(url, reason)
        self.kind = kind


@dataclass
class ParsedEntry:
    link: str  # absolute http(s), aggregator redirects unwrapped
    title: str | None = None
    summary: str | None = None
    published: datetime | None = None  # aware, UTC
    updated: datetime | None = None
    guid: str | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    original_link: str | None = None  # the aggregator link, when `link` was unwrapped from it

    def to_feed_entry(self, feed_id: str) -> FeedEntry:
        canonical = canonicalize(self.link)
        return FeedEntry(
            feed_id=feed_id,
            link=self.link,
            canonical_url=canonical,
            id=doc_id(canonical),
            title=self.title,
            summary=self.summary,
            published_at=self.published or self.updated,
            updated_at=self.updated,
            guid=self.guid,
        )


@dataclass
class ParsedFeed:
    format: str  # rss20, rss10, rss09x, atom10, atom03, jsonfeed1.0, jsonfeed1.1, ...
    title: str | None
    entries: list[ParsedEntry]
    hints: FeedHints = field(default_factory=FeedHints)
    warnings: list[str] = field(default_factory=list)
    language: str | None = None
    home_url: str | None = None
    entries_without_link: int = 0


def parse_any(
    content: bytes,
    headers: dict[str, str],
    base_url: str,
    *,
    unwrap_links: bool = True,
    max_entries: int = MAX_ENTRIES,
) -> ParsedFeed:
    """Parse a feed body of any supported format. Raises FeedRejected with a reason otherwise.
    Only the first `max_entries` entries are read (with a warning when there are more)."""
    headers = {k.lower(): v for k, v in headers.items()}
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    warnings: list[str] = []
    if content[:2] == b"\x1f\x8b":
        content = _gunzip(content, base_url)
        warnings.append("gzip-compressed body without Content-Encoding (decompressed)")
    start = content.lstrip(b"\xef\xbb\xbf \t\r\n\f")
    if not start:
        raise FeedRejected(base_url, "empty", "empty body")
    if start[:1] in (b"{", b"[") or (content_type.endswith("json") and not start.startswith(b"<")):
        return _parse_json_feed(content, base_url, unwrap_links, max_entries)
    html = _html_refusal(start, content_type)
    try:
        safe, removed = defuse(content)
    except UnsafeXml as exc:
        if html is not None:  # a page whose markup the guard cannot make safe is still a page
            raise FeedRejected(base_url, "html", html) from None
        raise FeedRejected(base_url, "unsafe", f"unsafe XML: {exc}") from None
    parsed = _feedparse(safe, headers, base_url)
    if html is not None and not _reads_as_feed(parsed):
        raise FeedRejected(base_url, "html", html)
    return _read_xml(parsed, headers, base_url, warnings + removed, unwrap_links, max_entries)


def _gunzip(content: bytes, base_url: str) -> bytes:
    # Bounded: a small gzip body may inflate to gigabytes.
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(content, MAX_INFLATED)
    except zlib.error as exc:
        raise FeedRejected(base_url, "not_feed", f"not a feed (broken gzip body: {exc})") from None
    if inflater.unconsumed_tail:
        raise FeedRejected(base_url, "unsafe", f"gzip body inflates past {MAX_INFLATED} bytes")
    return out


def _html_refusal(start: bytes, content_type: str) -> str | None:
    """Why the body looks like an HTML page rather than a feed, or None when it does not.

    Only a presumption: parse_any refuses the body with this reason when feedparser finds no feed in
    it either (see _reads_as_feed).
    """
    head = _skip_prolog(start[:4096])
    if _FEED_ROOT.match(head):
        return None  # a feed served as text/html is still a feed
    if _HTML_START.match(head) or (
        content_type in ("text/html", "application/xhtml+xml") and not head.startswith(b"<?xml")
    ):
        title = _TITLE.search(start[:65536])
        named = f" (title {title.group(1).decode('utf-8', 'replace').strip()!r})" if title else ""
        portal = " — looks like a captive portal or login page" if _PORTAL.search(start[:65536]) else ""
        return f"HTML page instead of a feed{named}{portal}"
    return None


def _reads_as_feed(parsed: Any) -> bool:
    """feedparser met an RSS, RDF or Atom element and found entries or a feed title in it.

    A real HTML page gives no version; an XHTML page wrapping an Atom feed gives `atom10` and the
    feed's entries.
    """
    return bool(parsed.version) and (bool(parsed.entries) or bool(parsed.feed.get("title")))


def _skip_prolog(data: bytes) -> bytes:
    """The document from its first element on, past the XML declaration, comments and a DOCTYPE.

    An HTML DOCTYPE before an <rss> root happens (a CMS template): the root element decides.
    """
    data = data.lstrip()
    while True:
        if data.startswith(b"<?"):
            end, skip = data.find(b"?>"), 2
        elif data.startswith(b"<!--"):
            end, skip = data.find(b"-->"), 3
        elif (doctype := _DOCTYPE_DECL.match(data)) is not None:
            end, skip = doctype.end(), 0
        else:
            return data
        if end < 0:
            return data
        data = data[end + skip :].lstrip()


def _when_struct(item: Any, key: str) -> datetime | None:
    parsed = dict.get(item, f"{key}_parsed")  # not .get: see feeds._when
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError):
        return None


def _feedparse(content: bytes, headers: dict[str, str], base_url: str) -> Any:
    """feedparser's result for a defused document (a FeedParserDict)."""
    response_headers = {k: v for k, v in headers.items() if k == "content-type"}
    response_headers["content-location"] = base_url
    # feedparser's HTML sanitizer is most of its time on big feeds (1.5 of 1.7 s on an 800 KB one);
    # summaries become plain text here instead, which is what the pipeline uses anyway.
    return feedparser.parse(
        io.BytesIO(content),
        response_headers=response_headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def _read_xml(
    parsed: Any,
    headers: dict[str, str],
    base_url: str,
    warnings: list[str],
    unwrap_links: bool,
    max_entries: int,
) -> ParsedFeed:
    problem = parsed.get("bozo_exception")
    name = type(problem).__name__ if parsed.bozo and problem is not None else None
    minor = name in _MINOR_BOZO
    # An RSS/Atom root with no items is an empty feed, even when salvaged from broken XML; without
    # a recognised root and without entries it is not a feed at all.
    if not parsed.entries and not parsed.version:
        detail = f"{name}: {problem}" if name and not minor else "no RSS, RDF or Atom root element"
        raise FeedRejected(base_url, "not_feed", f"not a feed ({detail})")
    if name == "NonXMLContentType" and "content-type" not in headers:
        pass  # nothing declared, nothing wrong: feedparser complains about the missing header
    elif minor:
        warnings.append(f"{name}: {problem}")
    elif name:
        warnings.append(f"malformed XML, {len(parsed.entries)} entries salvaged ({name}: {problem})")
    meta = parsed.feed
    result = ParsedFeed(
        format=_VERSIONS.get(parsed.version, parsed.version or "unknown"),
        title=_detail_text(meta, "title"),
        entries=[],
        hints=FeedHints(
            ttl_minutes=parse_int(meta.get("ttl")),
            update_period=(meta.get("sy_updateperiod") or "").strip().lower() or None,
            update_frequency=parse_int(meta.get("sy_updatefrequency")),
        ),
        warnings=warnings,
        language=meta.get("language"),
        home_url=meta.get("link"),
    )
    _note_cut(warnings, len(parsed.entries), max_entries)
    for item in parsed.entries[:max_entries]:
        raw = item.get("link") or ""
        guid = item.get("id")
        if not raw and isinstance(guid, str) and guid.startswith(("http://", "https://")):
            raw = guid
        authors = [a.get("name") for a in item.get("authors", []) if isinstance(a, dict) and a.get("name")]
        _add_entry(
            result,
            base_url,
            raw,
            unwrap_links,
            title=_detail_text(item, "title"),
            summary=_detail_text(item, "summary"),
            published=_when_struct(item, "published"),
            updated=_when_struct(item, "updated"),
            guid=guid,
            authors=authors,
            language=(item.get("title_detail") or {}).get("language"),
        )
    if name and not minor and not result.entries:
        # Broken XML out of which no entry with a usable link came: a feed that has broken, not an
        # empty one. Entries salvaged from a document with recoverable errors stay a warning.
        one_line = " ".join(str(problem).split())
        raise FeedRejected(base_url, "not_feed", f"not a readable feed: {name}: {one_line}")
    _note_missing_links(result)
    return result


def _detail_text(item: Any, key: str) -> str | None:
    value = item.get(key)
    if not isinstance(value, str):
        return None
    kind = (item.get(f"{key}_detail") or {}).get("type", "")
    return html_to_text(value) if "html" in kind else (" ".join(value.split()) or None)


def html_to_text(html: str) -> str | None:
    """Plain text of an HTML fragment (scripts and styles dropped), whitespace collapsed."""
    if "<" not in html and "&" not in html:
        return " ".join(html.split()) or None
    try:
        tree = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return None
    for bad in tree.xpath("//script|//style"):
        bad.drop_tree()
    for block in tree.iter(_BLOCKS):  # "<p>one</p><p>two</p>" reads "one two", not "onetwo"
        block.tail = " " + (block.tail or "")
    return " ".join(tree.text_content().split()) or None


def _add_entry(result: ParsedFeed, base_url: str, raw: object, unwrap_links: bool, **fields: Any) -> None:
    link = _absolute(base_url, raw)
    if link is None:
        result.entries_without_link += 1
        return
    original = None
    if unwrap_links:
        target = unwrap(link)
        if target != link:
            link, original = target, link
    result.entries.append(ParsedEntry(link=link, original_link=original, **fields))


def _absolute(base_url: str, raw: object) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        link = urljoin(base_url, raw.strip())
        parts = urlsplit(link)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return link


def _note_cut(warnings: list[str], total: int, max_entries: int) -> None:
    if total > max_entries:
        warnings.append(f"the feed lists {total} entries; only the first {max_entries} are read")


def _note_missing_links(result: ParsedFeed) -> None:
    missing = result.entries_without_link
    if missing:
        total = missing + len(result.entries)
        result.warnings.append(f"{missing} of {total} entries have no usable http(s) link (skipped)")


def _parse_json_feed(content: bytes, base_url: str, unwrap_links: bool, max_entries: int) -> ParsedFeed:
    try:
        data = json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise FeedRejected(base_url, "json", f"not a feed (invalid JSON: {str(exc)[:120]})") from None
    version = data.get("version") if isinstance(data, dict) else None
    match = _JSONFEED_VERSION.match(version) if isinstance(version, str) else None
    if not match:
        raise FeedRejected(base_url, "json", "JSON that is not a JSON Feed (no jsonfeed.org version)")
    warnings: list[str] = []
    number = match.group(1)
    if number == "1":
        number = "1.0"
    if number not in ("1.0", "1.1"):
        warnings.append(f"unknown JSON Feed version {number}; read as 1.1")
        number = "1.1"
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedRejected(base_url, "json", "JSON Feed without an items list")
    feed_authors = _json_authors(data)
    result = ParsedFeed(
        format=f"jsonfeed{number}",
        title=_text(data.get("title")),
        entries=[],
        warnings=warnings,
        language=_text(data.get("language")),
        home_url=_absolute(base_url, data.get("home_page_url")),
    )
    bad_dates = 0
    _note_cut(result.warnings, len(items), max_entries)
    for item in items[:max_entries]:
        if not isinstance(item, dict):
            result.entries_without_link += 1
            continue
        guid = item.get("id")
        guid = str(guid) if isinstance(guid, (str, int)) and not isinstance(guid, bool) else None
        raw = item.get("url") or item.get("external_url")
        if not raw and guid and guid.startswith(("http://", "https://")):
            raw = guid
        published, bad1 = _rfc3339(item.get("date_published"))
        updated, bad2 = _rfc3339(item.get("date_modified"))
        bad_dates += bad1 + bad2
        _add_entry(
            result,
            base_url,
            raw,
            unwrap_links,
            title=_text(item.get("title")),
            summary=_json_summary(item),
            published=published,
            updated=updated,
            guid=guid,
            authors=_json_authors(item) or feed_authors,
            language=_text(item.get("language")) or result.language,
        )
    if bad_dates:
        result.warnings.append(f"{bad_dates} dates not in RFC 3339 form (ignored)")
    _note_missing_links(result)
    return result


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _json_authors(obj: dict[str, Any]) -> list[str]:
    # 1.1 has `authors` (a list); 1.0 had one `author` object.
    people = obj.get("authors")
    if not isinstance(people, list):
        people = [obj.get("author")]
    return [
        p["name"].strip()
        for p in people
        if isinstance(p, dict) and isinstance(p.get("name"), str) and p["name"].strip()
    ]


def _json_summary(item: dict[str, Any]) -> str | None:
    for key in ("summary", "content_text"):
        text = _text(item.get(key))
        if text:
            return text
    html = _text(item.get("content_html"))
    return html_to_text(html) if html else None


def _rfc3339(value: Any) -> tuple[datetime | None, int]:
    """(aware UTC datetime, 0), or (None, 1) for a value that is present but unreadable."""
    if value is None:
        return None, 0
    if not isinstance(value, str):
        return None, 1
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text.replace("t", "T", 1) if "t" in text[8:12] else text)
    except ValueError:
        return None, 1
    if when.tzinfo is None:  # RFC 3339 requires an offset; a bare time is read as UTC
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC), 0
