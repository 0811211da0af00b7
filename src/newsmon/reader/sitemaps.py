"""Sitemap documents into one shape: news sitemaps, plain urlsets, sitemap indexes, gzip'd ones.

Pure: bytes in, records out. The fetching (conditional GETs, children of an index, byte caps) is in
newsmon.reader.sources, through newsmon.fetching.

Why not ultimate-sitemap-parser: it can parse from content without fetching (its
XMLSitemapParser with a LocalWebClient and a recurse_list_callback that returns no children), but
every release of it requires python-dateutil<3, and the locked dependencies (Airflow's among them)
have python-dateutil 4: the two cannot be installed together. A sitemap is a small, flat format, so
it is read here with lxml (already a dependency), behind the project's DOCTYPE guard (xmlguard) and
an XML parser that loads no DTD, resolves no entity and reaches no network.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import lxml.etree

from newsmon.errors import FetchError
from newsmon.reader.formats import ParsedEntry
from newsmon.reader.xmlguard import UnsafeXml, defuse

GZIP_MAGIC = b"\x1f\x8b"
# One sitemap document lists at most 50,000 URLs (sitemaps.org); more are not read.
MAX_URLS = 50_000
_SITEMAP_LINE = re.compile(r"^\s*site-?map\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class SitemapRejected(FetchError):
    """Not a sitemap we can read. `kind`: too_large, not_sitemap, unsafe or empty."""

    def __init__(self, url: str, kind: str, reason: str):
        super().__init__(url, reason)
        self.kind = kind


@dataclass
class ParsedSitemap:
    format: str  # sitemap-news, sitemap (a urlset without news entries) or sitemap-index
    entries: list[ParsedEntry] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # child sitemaps of an index, in order
    warnings: list[str] = field(default_factory=list)


def inflate(content: bytes, url: str, max_bytes: int) -> bytes:
    """A gzip'd body (by its magic bytes, whatever the headers say) inflated to at most
    `max_bytes`; past it a SitemapRejected (a gzip bomb stops at the cap, never in memory)."""
    if not content.startswith(GZIP_MAGIC):
        return content
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(content, max_bytes + 1)
    except zlib.error as exc:
        raise SitemapRejected(url, "not_sitemap", f"broken gzip body: {exc}") from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise SitemapRejected(
            url, "too_large", f"gzip'd sitemap inflates past {max_bytes} bytes (the cap); refused"
        )
    return out


def _named(tag: object) -> tuple[str, str]:
    """(local name, namespace) of an element's tag; empty for comments and processing instructions."""
    if not isinstance(tag, str):
        return "", ""
    name = lxml.etree.QName(tag)
    return name.localname, name.namespace or ""


def _local(tag: object) -> str:
    return _named(tag)[0]


def _child(element: lxml.etree._Element, name: str, namespace_part: str = "") -> lxml.etree._Element | None:
    """The first child named `name` whose namespace contains `namespace_part` (sitemaps in the wild
    use http and https, with and without a trailing slash, for the news namespace)."""
    for child in element:
        local, namespace = _named(child.tag)
        if local == name and namespace_part in namespace:
            return child
    return None


def _text(element: lxml.etree._Element | None) -> str | None:
    if element is None:
        return None
    value = " ".join("".join(element.itertext()).split())
    return value or None


def w3c_date(value: str | None) -> datetime | None:
    """A W3C datetime (2026-12-07, 2026-12-07T10:00Z, 2026-12-07T10:00:00.5+01:00) in UTC, or None."""
    if not value:
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _absolute(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        parts = urlsplit(raw)
    except ValueError:
        return None
    return raw if parts.scheme in ("http", "https") and parts.hostname else None


def parse_sitemap(content: bytes, url: str, max_bytes: int) -> ParsedSitemap:
    """One sitemap document (gzip'd or not). Raises SitemapRejected with a reason otherwise."""
    body = inflate(content, url, max_bytes)
    warnings = ["gzip'd sitemap (inflated)"] if body is not content else []
    if not body.strip():
        raise SitemapRejected(url, "empty", "empty body")
    try:
        safe, removed = defuse(body)
    except UnsafeXml as exc:
        raise SitemapRejected(url, "unsafe", f"unsafe XML: {exc}") from None
    warnings += removed
    parser = lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )
    try:
        root = lxml.etree.fromstring(safe, parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise SitemapRejected(url, "not_sitemap", f"not a readable sitemap: {exc}") from None
    kind = _local(root.tag)
    if kind == "sitemapindex":
        return _index(root, warnings)
    if kind == "urlset":
        return _urlset(root, warnings)
    raise SitemapRejected(url, "not_sitemap", f"not a sitemap (root element <{kind or '?'}>)")


def _index(root: lxml.etree._Element, warnings: list[str]) -> ParsedSitemap:
    out = ParsedSitemap("sitemap-index", warnings=warnings)
    seen: set[str] = set()
    bad = 0
    for item in root:
        if _local(item.tag) != "sitemap":
            continue
        loc = _absolute(_text(_child(item, "loc")))
        if loc is None:
            bad += 1
        elif loc not in seen:
            seen.add(loc)
            out.children.append(loc)
    if bad:
        warnings.append(f"{bad} child sitemap(s) without an http(s) <loc> (skipped)")
    return out


def _urlset(root: lxml.etree._Element, warnings: list[str]) -> ParsedSitemap:
    out = ParsedSitemap("sitemap", warnings=warnings)
    seen: set[str] = set()
    bad = total = 0
    for item in root:
        if _local(item.tag) != "url":
            continue
        total += 1
        if total > MAX_URLS:
            continue
        loc = _absolute(_text(_child(item, "loc")))
        if loc is None:
            bad += 1
            continue
        if loc in seen:
            continue
        seen.add(loc)
        entry = ParsedEntry(link=loc, updated=w3c_date(_text(_child(item, "lastmod"))))
        news = _child(item, "news", "sitemap-news")
        if news is not None:
            out.format = "sitemap-news"
            entry.title = _text(_child(news, "title", "sitemap-news"))
            entry.published = w3c_date(_text(_child(news, "publication_date", "sitemap-news")))
            publication = _child(news, "publication", "sitemap-news")
            if publication is not None:
                entry.language = _text(_child(publication, "language", "sitemap-news"))
        out.entries.append(entry)
    if total > MAX_URLS:
        warnings.append(f"the sitemap lists {total} URLs; only the first {MAX_URLS} are read")
    if bad:
        warnings.append(f"{bad} of {total} URLs without an http(s) <loc> (skipped)")
    return out


def robots_sitemaps(robots_txt: str) -> list[str]:
    """The `Sitemap:` URLs of a robots.txt, in order, once each (http(s) only)."""
    found: list[str] = []
    for match in _SITEMAP_LINE.finditer(robots_txt):
        url = _absolute(match.group(1))
        if url and url not in found:
            found.append(url)
    return found
