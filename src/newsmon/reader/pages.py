"""The links of a listing page that match a source's pattern, and what a poll of it takes.

Pure: an HTML body in, links out; newsmon.reader.sources fetches the page and keeps the state.
A page source's first poll records the links present as its baseline and takes at most
`first_poll_max` of them (adding a source never floods the index); later polls take the links not
seen before. The seen set lives in the source's state, newest first, bounded.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html

from newsmon.reader.discover import html_document
from newsmon.urls import canonicalize

MAX_TITLE = 300


@dataclass(frozen=True)
class PageLink:
    url: str  # absolute, without fragment
    canonical: str
    title: str | None


def _title(element: lxml.html.HtmlElement) -> str | None:
    text = " ".join(element.text_content().split())
    if not text:
        text = " ".join((element.get("title") or "").split())
    if not text:
        alts = (img.get("alt") or "" for img in element.iter("img"))
        text = " ".join(" ".join(alts).split())
    return text[:MAX_TITLE] or None


def page_links(content: bytes, base_url: str, matcher: re.Pattern[str]) -> list[PageLink]:
    """Links of the page (document order, each once) whose absolute URL matches; the page itself
    is never one of them. An empty list for a body lxml cannot read as HTML."""
    document = html_document(content, base_url)
    if document is None:
        return []
    tree, base = document
    page = urldefrag(base_url)[0]
    out: list[PageLink] = []
    seen: set[str] = set()
    for element in tree.iter("a"):
        href = (element.get("href") or "").strip()
        if not href:
            continue
        try:
            url = urldefrag(urljoin(base, href))[0]
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname or url == page:
                continue
            canonical = canonicalize(url)
        except ValueError:
            continue
        if canonical in seen or not matcher.search(url):
            continue
        seen.add(canonical)
        out.append(PageLink(url=url, canonical=canonical, title=_title(element)))
    return out


def baseline_key(url: str, pattern: str | None) -> str:
    """What a page source's seen set was recorded under: a new URL or pattern takes a new baseline."""
    return hashlib.sha256(f"{url}\n{pattern or ''}".encode()).hexdigest()[:16]


@dataclass
class Taken:
    links: list[PageLink]  # to offer as entries now
    seen: list[str]  # the new seen set (canonical URLs, newest first)
    baseline: bool  # this poll took the baseline
    matching: int  # links on the page that match


def take(
    links: list[PageLink], seen: list[str] | None, *, first_poll_max: int, max_entries: int, keep: int
) -> Taken:
    """The links a poll takes and the seen set after it.

    `seen` None: the first poll (or a new URL/pattern): every link present becomes the baseline,
    the first `first_poll_max` of them are taken. Otherwise the links not seen before, at most
    `max_entries`; those past the cap stay unseen and come with the next changed page. The seen
    set keeps the links on the page first, then the older ones, `keep` at most (never fewer than
    the links on the page)."""
    if seen is None:
        taken = links[:first_poll_max]
        return Taken(taken, _bounded([link.canonical for link in links], [], keep), True, len(links))
    known = set(seen)
    fresh = [link for link in links if link.canonical not in known]
    taken = fresh[:max_entries]
    taken_ids = {link.canonical for link in taken}
    present = [link.canonical for link in links if link.canonical in known or link.canonical in taken_ids]
    return Taken(taken, _bounded(present, seen, keep), False, len(links))


def _bounded(present: list[str], older: list[str], keep: int) -> list[str]:
    out = list(dict.fromkeys(present))
    have = set(out)
    room = max(keep, len(out)) - len(out)
    out += [c for c in older if c not in have][:room]
    return out
