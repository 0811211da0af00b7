"""Feed links of an HTML page: what it declares, then the usual paths as unverified candidates."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/rdf+xml": "rdf",
    "application/feed+json": "json",
    "application/json": "json",
    "text/xml": "rss",
    "application/xml": "rss",
}
# Paths where CMSs put feeds (WordPress, Ghost, Hugo, Jekyll, Blogger, Drupal); the caller fetches
# them to know which exist.
USUAL_PATHS = (
    "/feed",
    "/rss",
    "/rss.xml",
    "/atom.xml",
    "/feed.xml",
    "/index.xml",
    "/feeds/posts/default",
    "/?feed=rss2",
)


@dataclass(frozen=True)
class FeedLink:
    url: str
    kind: str  # rss, atom, rdf, json, or "unknown" for a usual-path guess
    title: str | None = None
    declared: bool = True  # False: a usual path, to be verified by fetching it


def html_document(content: str | bytes, base_url: str) -> tuple[lxml.html.HtmlElement, str] | None:
    """The page's tree and the URL its links are relative to (its `<base href>`, else `base_url`);
    None for a body lxml cannot read as HTML."""
    try:
        tree = lxml.html.document_fromstring(content)
    except (lxml.etree.ParserError, ValueError):
        return None
    base = base_url
    for href in tree.xpath("//base/@href")[:1]:
        base = urljoin(base_url, str(href).strip())
    return tree, base


def _declared(html: str, base_url: str) -> list[FeedLink]:
    document = html_document(html, base_url)
    if document is None:
        return []
    tree, base = document
    links: list[FeedLink] = []
    for element in tree.xpath("//link[@href]|//a[@href][@type]"):
        rel = (element.get("rel") or "").lower().split()
        kind = FEED_TYPES.get((element.get("type") or "").split(";")[0].strip().lower())
        if kind is None or (element.tag == "link" and "alternate" not in rel and "feed" not in rel):
            continue
        if (
            kind == "json"
            and (element.get("type") or "").lower().startswith("application/json")
            and element.tag != "link"
        ):
            continue
        url = urljoin(base, element.get("href").strip())
        if urlsplit(url).scheme in ("http", "https"):
            title = (element.get("title") or "").strip() or None
            links.append(FeedLink(url=url, kind=kind, title=title))
    return links


def candidates(base_url: str) -> list[FeedLink]:
    """The usual feed paths on the page's site, unverified."""
    parts = urlsplit(base_url)
    root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return [FeedLink(url=root + path, kind="unknown", declared=False) for path in USUAL_PATHS]


def discover(html: str, base_url: str) -> list[FeedLink]:
    """Declared feeds first (document order, relative links resolved), then usual-path candidates."""
    found: list[FeedLink] = []
    seen: set[str] = set()
    for link in [*_declared(html, base_url), *candidates(base_url)]:
        if link.url not in seen:
            seen.add(link.url)
            found.append(link)
    return found
