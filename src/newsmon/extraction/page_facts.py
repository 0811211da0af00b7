"""What a page declares about itself: canonical link, titles, publication time, language, JSON-LD,
paywall, authors and site name.

Read from the markup directly where trafilatura would lose something (its date finder keeps only
the day, not the hour); the title, author, URL, site name and description by trafilatura's own
metadata readers (`page_metadata`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from copy import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from htmldate import find_date
from lxml import html as lxml_html
from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura import metadata as tmeta
from trafilatura.json_metadata import extract_json, extract_json_parse_error, normalize_json
from trafilatura.settings import Document

from newsmon.clock import publication_problem
from newsmon.extraction.byline import find_author
from newsmon.extraction.cleanup import link_keys
from newsmon.urls import canonicalize, domain, same_site

_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

# Page-declared publication time, most specific first (Open Graph, then the usual CMS metas).
_DATE_METAS = (
    "article:published_time", "og:article:published_time", "article:published", "datepublished",
    "parsely-pub-date", "sailthru.date", "publish-date", "publish_date", "publishdate", "pubdate",
    "dc.date.issued", "dcterms.issued", "dcterms.created", "dc.date", "date",
)  # fmt: skip
# JSON-LD objects that are the story itself (NewsArticle, BlogPosting, Report, ...).
ARTICLE_TYPE = re.compile(r"article|posting|report", re.IGNORECASE)
_PAYWALL_BOX = re.compile(
    r"(?:pay|reg|meter|sub)[-_]?wall|subscriber[-_]only|premium[-_](?:gate|lock)", re.IGNORECASE
)
_PAYWALL_BOX_TEXT = re.compile(r"subscri|sign in|log in", re.IGNORECASE)


def text_of(el: HtmlElement) -> str:
    """`el.text_content()`. An element without children (most links, many paragraphs) holds only
    its text, read without text_content's XPath evaluation."""
    return el.text_content() if len(el) else el.text or ""


def squeeze(text: str) -> str:
    """The text with every run of white space made one space, and none at its ends. (`str.split`
    splits at the characters `\\s` matches; a regular expression replacing each run of a long
    paragraph costs ten times more.)"""
    return " ".join(text.split())


@dataclass
class PageFacts:
    """Metadata read straight from the page's markup."""

    canonical: str | None = None
    titles: list[str] = field(default_factory=list)
    site_name: str | None = None
    published: list[str] = field(default_factory=list)  # candidate values, most specific first
    lang: str | None = None
    json_ld: list[dict[str, Any]] = field(default_factory=list)
    paywall: str | None = None  # why the page says it is behind a paywall
    links: set[str] = field(default_factory=set)  # line keys of the page's link texts
    # (type, text) of <script type=application/ld+json or application/settings+json>: trafilatura's
    # metadata reads both kinds. The text is read once: each read copies it (tens of kB with a body).
    json_scripts: list[tuple[str, str | None]] = field(default_factory=list)
    head_metas: list[HtmlElement] = field(default_factory=list)  # <head><meta>, in document order


def read_page(tree: HtmlElement) -> PageFacts:
    facts = PageFacts()
    markup = _gather(tree)
    metas = markup.metas
    facts.canonical = markup.canonical or metas.get("og:url")
    facts.site_name = metas.get("og:site_name")
    facts.titles = [t.strip() for t in (metas.get("og:title"), markup.title) if t and t.strip()]
    facts.lang = (tree.get("lang") or metas.get("og:locale") or "").replace("_", "-").split("-")[
        0
    ].lower() or None

    facts.json_scripts = markup.json_scripts
    facts.head_metas = markup.head_metas
    facts.json_ld = list(_json_ld(text for kind, text in markup.json_scripts if kind == _JSON_LD))
    articles = [o for o in facts.json_ld if ARTICLE_TYPE.search(str(o.get("@type", "")))]
    published = [metas[k] for k in _DATE_METAS[:1] if k in metas]
    published += [str(o["datePublished"]) for o in articles if o.get("datePublished")]
    published += [metas[k] for k in _DATE_METAS[1:] if k in metas]
    published += markup.times
    facts.published = published

    if any(str(o.get("isAccessibleForFree", "")).strip().lower() == "false" for o in facts.json_ld):
        facts.paywall = "JSON-LD isAccessibleForFree is false"
    elif metas.get("article:content_tier", "").lower() == "locked":
        facts.paywall = "article:content_tier is locked"
    else:
        facts.paywall = _paywall_box(tree)
    facts.links = link_keys(set(markup.link_texts))  # many links repeat (menus, teasers)
    return facts


@dataclass
class _Markup:
    metas: dict[str, str] = field(default_factory=dict)  # the first content of each meta key
    canonical: str | None = None  # the first <link rel=canonical href>
    title: str | None = None  # the first <title>'s text
    json_scripts: list[tuple[str, str | None]] = field(default_factory=list)  # PageFacts.json_scripts
    head_metas: list[HtmlElement] = field(default_factory=list)  # PageFacts.head_metas
    times: list[str] = field(default_factory=list)  # datetime of <time>s that mark the publication
    link_texts: list[str] = field(default_factory=list)


_GATHERED = ("meta", "link", "title", "script", "time", "a")
_JSON_LD = "application/ld+json"
_JSON_TYPES = frozenset({_JSON_LD, "application/settings+json"})


def _gather(tree: HtmlElement) -> _Markup:
    """The elements `read_page` reads, in one pass over the tree (lxml picks them by tag)."""
    got = _Markup()
    for el in tree.iter(*_GATHERED):
        tag = el.tag
        if tag == "a":
            got.link_texts.append(text_of(el))
        elif tag == "meta":
            _read_meta(el, tree, got)
        elif tag == "link":
            if (
                got.canonical is None
                and "canonical" in (el.get("rel") or "").lower().split()
                and el.get("href")
            ):
                got.canonical = el.get("href", "").strip()
        elif tag == "title":
            if got.title is None and el is not tree:
                got.title = el.text or ""
        elif tag == "script":
            if (kind := el.get("type")) in _JSON_TYPES and el is not tree:
                got.json_scripts.append((kind, el.text))
        elif el.get("datetime") is not None and (
            el.get("itemprop") == "datePublished"
            or el.get("pubdate") is not None
            or "publish" in el.get("class", "")
        ):
            got.times.append(str(el.get("datetime")))
    return got


def _read_meta(el: HtmlElement, tree: HtmlElement, got: _Markup) -> None:
    parent = el.getparent()
    if parent is not None and parent.tag == "head" and parent is not tree:
        got.head_metas.append(el)
    key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
    value = (el.get("content") or "").strip()
    if key and value:
        got.metas.setdefault(key, value)


# Elements whose class or id can name a paywall box: read from the attributes (one pass over the
# attributes that exist, not an attribute test on every element).
_PAYWALL_BOXES = XPath(
    "//@class[contains(., 'wall') or contains(., 'only')]/.. | //@id[contains(., 'wall')]/.."
)


def _paywall_box(tree: HtmlElement) -> str | None:
    for box in _PAYWALL_BOXES(tree):
        marks = f"{box.get('class', '')} {box.get('id', '')}"
        if _hidden(box):  # a template the page's scripts show only to readers over their limit
            continue
        if _PAYWALL_BOX.search(marks) and _PAYWALL_BOX_TEXT.search(box.text_content()):
            return f"paywall box ({squeeze(marks)})"
    return None


def _hidden(el: HtmlElement) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return el.get("hidden") is not None or el.get("aria-hidden") == "true" or "display:none" in style


def _json_ld(scripts: Iterable[str | None]) -> Iterator[dict[str, Any]]:
    """Every object in the page's JSON-LD blocks (graphs and nested parts flattened)."""
    for text in scripts:
        try:
            data = json.loads(text or "", strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                stack.extend(v for v in item.values() if isinstance(v, dict | list))


# -- publication time -----------------------------------------------------------------------------


def _parse_when(value: str) -> datetime | None:
    """An aware UTC time of a page's date string, or None when it cannot be read."""
    value = value.strip()[:100]
    when: datetime | None = None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)  # RFC 2822, as some CMSs print it
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset, year 9999 with a negative one
        return None


def _published(facts: PageFacts, found: str | None, now: datetime) -> tuple[str | None, list[str]]:
    """The page-declared publication time when the page gives one (it keeps the hour), else the
    date trafilatura found; a date before 1990 or more than a day ahead
    (clock.publication_problem) is not a publication date and is ignored with a note."""
    notes, unparseable = [], []
    for value in [*facts.published, *([found] if found else [])]:
        when = _parse_when(value)
        if when is None:
            unparseable.append(value[:100])
            continue
        problem = publication_problem(when, now)
        if problem is not None:
            notes.append(f"page {problem}; ignored")
            continue
        return when.isoformat().replace("+00:00", "Z"), notes
    return None, notes + [f"unparseable page date {v!r}" for v in unparseable]


def published_at(
    facts: PageFacts, tree: HtmlElement, url: str | None, now: datetime
) -> tuple[str | None, list[str]]:
    """Publication time (ISO 8601, UTC, "Z") and notes. The markup's declared times first; only
    when none is usable does htmldate search the page (`url` helps it read dates in paths)."""
    published, notes = _published(facts, None, now)
    if published is None:  # nothing usable declared in the markup: htmldate searches the page
        found = find_date(tree, extensive_search=True, original_date=True, outputformat=_DATE_FORMAT, url=url)
        published, notes = _published(facts, found, now)
    return published, notes


# -- canonical link, authors, trafilatura's metadata ----------------------------------------------


def canonical_url(
    facts: PageFacts, declared_by_trafilatura: str | None, url: str | None
) -> tuple[str | None, str | None]:
    """The declared canonical URL, resolved against `url` and canonicalized, and a note when the
    declared one was ignored (not absolute http(s), or on another site)."""
    declared = facts.canonical or declared_by_trafilatura
    if not declared:
        return None, None
    resolved = urljoin(url, declared) if url else declared
    if not resolved.startswith(("http://", "https://")):
        return None, f"declared canonical {declared!r} is not an absolute http(s) URL; ignored"
    if url is not None and not same_site(resolved, url):
        return None, f"declared canonical {resolved} is on another site; ignored"
    return canonicalize(resolved), None


def split_authors(raw: str | None) -> list[str]:
    """The names in an author field ("A and B; C")."""
    if not raw:
        return []
    return [a.strip() for a in re.split(r";|\band\b", raw) if a.strip()]


def page_metadata(tree: HtmlElement, url: str | None, facts: PageFacts) -> Document:
    """Title, author, URL, site name and description, by trafilatura's own readers, each run only
    when the ones before found nothing (as `trafilatura.extract_metadata` does). Left out of
    extract_metadata's work: the date (`extract_page` asks htmldate only when the markup declares
    none) and categories, tags and licence, which newsmon does not store (about 7 ms a page, a
    fifth of trafilatura's extraction, on the evaluation pages)."""
    meta = tmeta.examine_meta(_meta_head(facts))
    if meta.author and " " not in meta.author:  # a handle, not a name (trafilatura's rule too)
        meta.author = None
    try:
        meta = _meta_json(facts.json_scripts, meta)
    except Exception:  # noqa: BLE001 - broken JSON-LD leaves the meta tags' values
        pass
    meta.title = meta.title or tmeta.extract_title(tree)
    meta.author = meta.author or find_author(tree)
    meta.url = meta.url or tmeta.extract_url(tree, url)
    sitename = (meta.sitename or tmeta.extract_sitename(tree) or "").lstrip("@")
    if sitename and "." not in sitename and not sitename[0].isupper():
        sitename = sitename.title()
    meta.sitename = sitename or (domain(meta.url) if meta.url else None) or None
    meta.clean_and_trim()
    return meta


# A JSON string, as trafilatura's JSON_MINIFY finds it (its first group).
_JSON_STRING = re.compile(r'("(?:\\.|[^"\\])*")')


def minify_json(text: str) -> str:
    """`trafilatura.metadata.JSON_MINIFY.sub(r"\\1", text)`: the white space outside JSON strings
    removed. JSON_MINIFY matches each white-space character alone and expands a template for it (a
    third of a page's metadata reading); splitting at the strings finds the same strings, and
    `str.split` drops the characters `\\s` matches."""
    parts = _JSON_STRING.split(text)
    parts[::2] = ["".join(between.split()) for between in parts[::2]]
    return "".join(parts)


def _meta_head(facts: PageFacts) -> HtmlElement:
    """<html><head> with copies of the page's <head><meta> elements, all that trafilatura's
    `examine_meta` reads (`.//head/meta`): its two searches then walk these few elements instead of
    the whole page."""
    root = lxml_html.Element("html")
    head = lxml_html.Element("head")
    root.append(head)
    head.extend(copy(meta) for meta in facts.head_metas)
    return root


def _meta_json(scripts: list[tuple[str, str | None]], meta: Document) -> Document:
    """`trafilatura.metadata.extract_meta_json`, on the scripts `read_page` found and with
    `minify_json`: the same author, title, site name and page type from the page's JSON."""
    for _kind, raw in scripts:
        if not raw:
            continue
        text = normalize_json(minify_json(raw))
        try:
            meta = extract_json(json.loads(text, strict=False), meta)
        except json.JSONDecodeError:
            meta = extract_json_parse_error(text, meta)
    return meta
