"""Article text and metadata from an HTML page, plus language and content hash.

trafilatura first (its own cascade, comments off); the page's JSON-LD articleBody instead when it
is the same text or a much fuller one; a story split over several containers joined; then the line
rules of `newsmon.cleanup`. When too little prose is left, fallbacks run in order (the JSON-LD
body, trafilatura's readability/jusText rescue, trafilatura tuned for recall) and
`Extraction.method` records which source won. What the page declares about itself (canonical
link, publication time with its hour, paywall) is read from the markup directly: trafilatura's
date finder keeps only the day.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from copy import deepcopy
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import trafilatura
from htmldate import find_date
from lxml import html as lxml_html
from lxml.html import HtmlElement
from trafilatura import metadata as tmeta
from trafilatura.settings import Document
from trafilatura.utils import load_html

from newsmon.cleanup import Cleaned, clean_text, line_key, link_keys, strip_markers
from newsmon.text import words
from newsmon.urls import canonicalize, domain, same_site

MIN_ARTICLE_CHARS = 200  # below this the page is "not an article" (Media Cloud uses the same bound)
MAX_FUTURE = timedelta(days=1)  # a page date further ahead than this is a wrong date, not news
TEASER_RATIO = 0.5  # a body under half the feed's summary is a teaser of the story, not the story
SECTIONS_MIN_GAIN = 1.2  # joined sections must add a fifth to the text to replace it
SECTIONS_KEEP = 0.9  # ... and keep nearly all of what trafilatura had found
JSON_LD_FULLER = 1.5  # a JSON-LD articleBody this much longer than the visible text, and holding
JSON_LD_COVERS = 0.8  # ... this share of its word triples, is the whole story (paywalled pages)

_DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}
_SPACES = re.compile(r"\s+")

# Page-declared publication time, most specific first (Open Graph, then the usual CMS metas).
_DATE_METAS = (
    "article:published_time", "og:article:published_time", "article:published", "datepublished",
    "parsely-pub-date", "sailthru.date", "publish-date", "publish_date", "publishdate", "pubdate",
    "dc.date.issued", "dcterms.issued", "dcterms.created", "dc.date", "date",
)  # fmt: skip
_ARTICLE_TYPE = re.compile(r"article|posting|report", re.IGNORECASE)
_PAYWALL_BOX = re.compile(
    r"(?:pay|reg|meter|sub)[-_]?wall|subscriber[-_]only|premium[-_](?:gate|lock)", re.IGNORECASE
)
_PAYWALL_BOX_TEXT = re.compile(r"subscri|sign in|log in", re.IGNORECASE)
_OUTSIDE_STORY = {"aside", "nav", "footer", "header", "form"}


@dataclass
class Extraction:
    title: str | None
    body: str
    authors: list[str]
    published_at: str | None
    language: str | None
    canonical_url: str | None
    site_name: str | None = None
    description: str | None = None
    method: str = "trafilatura"
    chars: int = 0
    is_article: bool = True
    teaser: bool = False  # body much shorter than the feed summary, or a paywall marker
    notes: list[str] = field(default_factory=list)
    cleanup: dict[str, int] = field(default_factory=dict)  # cleanup rule -> lines removed
    declared_language: str | None = None  # <html lang> / meta, as the page gives it
    language_score: float = 0.0  # detection's probability; under LANGUAGE_SURE it is unsure

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def detect_language(text: str) -> str | None:
    return detect_language_scored(text)[0]


# Below this normalised probability detection is "unsure": a feed's `language:` hint may win then.
LANGUAGE_SURE = 0.5
_IDENTIFIER: Any = None


def detect_language_scored(text: str) -> tuple[str | None, float]:
    """(language, probability 0..1); (None, 0.0) for text too short to tell."""
    global _IDENTIFIER
    if len(text) < 20:
        return None, 0.0
    if _IDENTIFIER is None:
        from py3langid import langid

        _IDENTIFIER = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    # 1,500 characters name the language as well as 4,000 on the topics set (113 of 113) at half the cost.
    lang, score = _IDENTIFIER.classify(text[:1500])
    return lang, float(score)


def content_hash(body: str) -> str:
    """Hash of the body after case, accent-form and punctuation normalization: exact copies across URLs."""
    return hashlib.sha256(" ".join(words(body)).encode("utf-8")).hexdigest()


# -- what the page declares -----------------------------------------------------------------------


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


def read_page(tree: HtmlElement) -> PageFacts:
    facts = PageFacts()
    metas: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        value = (meta.get("content") or "").strip()
        if key and value:
            metas.setdefault(key, value)
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            facts.canonical = link.get("href", "").strip()
            break
    facts.canonical = facts.canonical or metas.get("og:url")
    facts.site_name = metas.get("og:site_name")
    head_title = tree.findtext(".//title")
    facts.titles = [t.strip() for t in (metas.get("og:title"), head_title) if t and t.strip()]
    facts.lang = (tree.get("lang") or metas.get("og:locale") or "").replace("_", "-").split("-")[
        0
    ].lower() or None

    facts.json_ld = list(_json_ld(tree))
    articles = [o for o in facts.json_ld if _ARTICLE_TYPE.search(str(o.get("@type", "")))]
    published = [metas[k] for k in _DATE_METAS[:1] if k in metas]
    published += [str(o["datePublished"]) for o in articles if o.get("datePublished")]
    published += [metas[k] for k in _DATE_METAS[1:] if k in metas]
    published += [
        str(t.get("datetime"))
        for t in tree.xpath(
            "//time[@datetime][@itemprop='datePublished' or @pubdate or contains(@class, 'publish')]"
        )
    ]
    facts.published = published

    if any(str(o.get("isAccessibleForFree", "")).strip().lower() == "false" for o in facts.json_ld):
        facts.paywall = "JSON-LD isAccessibleForFree is false"
    elif metas.get("article:content_tier", "").lower() == "locked":
        facts.paywall = "article:content_tier is locked"
    else:
        for box in tree.xpath(
            "//*[contains(@class, 'wall') or contains(@id, 'wall') or contains(@class, 'only')]"
        ):
            marks = f"{box.get('class', '')} {box.get('id', '')}"
            if _hidden(box):  # a template the page's scripts show only to readers over their limit
                continue
            if _PAYWALL_BOX.search(marks) and _PAYWALL_BOX_TEXT.search(box.text_content()):
                facts.paywall = f"paywall box ({_SPACES.sub(' ', marks).strip()})"
                break
    facts.links = link_keys(a.text_content() for a in tree.iter("a"))
    return facts


def _hidden(el: HtmlElement) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return el.get("hidden") is not None or el.get("aria-hidden") == "true" or "display:none" in style


def _json_ld(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every object in the page's JSON-LD blocks (graphs and nested parts flattened)."""
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "", strict=False)
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


def _parse_when(value: str) -> datetime | None:
    value = value.strip()
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)  # RFC 2822, as some CMSs print it
    except (TypeError, ValueError, IndexError):
        return None


def _published(facts: PageFacts, found: str | None, now: datetime) -> tuple[str | None, list[str]]:
    """The page-declared publication time when the page gives one (it keeps the hour), else the
    date trafilatura found; anything more than MAX_FUTURE ahead is ignored."""
    notes, unparseable = [], []
    for value in [*facts.published, *([found] if found else [])]:
        when = _parse_when(value)
        if when is None:
            unparseable.append(value)
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        when = when.astimezone(UTC)
        if when > now + MAX_FUTURE:
            notes.append(f"page date {when.isoformat()} is in the future; ignored")
            continue
        return when.isoformat().replace("+00:00", "Z"), notes
    return None, notes + [f"unparseable page date {v!r}" for v in unparseable]


def _canonical(
    facts: PageFacts, declared_by_trafilatura: str | None, url: str | None
) -> tuple[str | None, str | None]:
    declared = facts.canonical or declared_by_trafilatura
    if not declared:
        return None, None
    resolved = urljoin(url, declared) if url else declared
    if not resolved.startswith(("http://", "https://")):
        return None, f"declared canonical {declared!r} is not an absolute http(s) URL; ignored"
    if url is not None and not same_site(resolved, url):
        return None, f"declared canonical {resolved} is on another site; ignored"
    return canonicalize(resolved), None


def _authors(raw: str | None) -> list[str]:
    if not raw:
        return []
    return [a.strip() for a in re.split(r";|\band\b", raw) if a.strip()]


def page_metadata(tree: HtmlElement, url: str | None) -> Document:
    """Title, author, URL, site name and description, by trafilatura's own readers, each run only
    when the ones before found nothing (as `trafilatura.extract_metadata` does). Left out of
    extract_metadata's work: the date (`extract_page` asks htmldate only when the markup declares
    none) and categories, tags and licence, which newsmon does not store (about 7 ms a page, a
    fifth of trafilatura's extraction, on the evaluation pages)."""
    meta = tmeta.examine_meta(tree)
    if meta.author and " " not in meta.author:  # a handle, not a name (trafilatura's rule too)
        meta.author = None
    try:
        meta = tmeta.extract_meta_json(tree, meta)
    except Exception:  # noqa: BLE001 - broken JSON-LD leaves the meta tags' values
        pass
    meta.title = meta.title or tmeta.extract_title(tree)
    meta.author = meta.author or tmeta.extract_author(tree)
    meta.url = meta.url or tmeta.extract_url(tree, url)
    sitename = (meta.sitename or tmeta.extract_sitename(tree) or "").lstrip("@")
    if sitename and "." not in sitename and not sitename[0].isupper():
        sitename = sitename.title()
    meta.sitename = sitename or (domain(meta.url) if meta.url else None) or None
    meta.clean_and_trim()
    return meta


# -- text -----------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def join_split_body(tree: HtmlElement, text: str) -> str | None:
    """Some CMSs cut one story into several containers of the same kind with ads between them;
    trafilatura then keeps the first. Find the container of the paragraphs it kept, gather every
    container of that tag and class in the same story (same <article>, no <h1> between) and extract
    them together. None when the page has no such split."""
    found = {_norm(line) for line in text.splitlines() if len(line) > 40}
    if len(found) < 2:
        return None
    parents: Counter[HtmlElement] = Counter(
        p.getparent()
        for p in tree.iter("p")
        if p.getparent() is not None and _norm(p.text_content()) in found
    )
    if not parents:
        return None
    container, hits = parents.most_common(1)[0]
    cls = container.get("class")
    if hits < 2 or not cls:
        return None
    same = [e for e in tree.iter(container.tag) if e.get("class") == cls]
    if len(same) < 2:
        return None
    same_set = set(same)
    story = next(container.iterancestors("article"), None)
    order = {el: i for i, el in enumerate(tree.iter())}
    h1s = [order[h] for h in tree.iter("h1")]
    at = order[container]
    keep = []
    for el in same:
        ancestors = list(el.iterancestors())
        if any(a in same_set for a in ancestors) or any(a.tag in _OUTSIDE_STORY for a in ancestors):
            continue
        if next(el.iterancestors("article"), None) is not story:
            continue
        lo, hi = sorted((at, order[el]))
        if any(lo < h < hi for h in h1s):
            continue
        keep.append(el)
    if len(keep) < 2:
        return None
    page = lxml_html.fromstring("<html><body><article></article></body></html>")
    article = page.find(".//article")
    for el in keep:
        part = deepcopy(el)
        part.tail = None
        for attr in ("class", "id"):  # trafilatura would again pick one container by its class
            part.attrib.pop(attr, None)
        article.append(part)
    joined = trafilatura.extract(page, include_comments=False, fast=True) or ""
    kept = {_norm(line) for line in joined.splitlines()}
    if len(joined) < SECTIONS_MIN_GAIN * len(text) or len(found & kept) < SECTIONS_KEEP * len(found):
        return None
    return joined


def _json_ld_body(facts: PageFacts) -> str:
    bodies = [
        str(o["articleBody"]) for o in facts.json_ld
        if _ARTICLE_TYPE.search(str(o.get("@type", ""))) and isinstance(o.get("articleBody"), str)
    ]  # fmt: skip
    if not bodies:
        return ""
    body = max(bodies, key=len)
    if "<" in body:  # some CMSs put the HTML of the body there
        body = "\n".join(_norm(t) for t in lxml_html.fromstring(f"<div>{body}</div>").itertext() if t.strip())
    return body


def _triples(text: str) -> set[tuple[str, ...]]:
    w = words(text, underscores=False)
    return {tuple(w[i : i + 3]) for i in range(max(0, len(w) - 2))}


def _from_json_ld(text: str, json_body: str) -> str | None:
    """Why the JSON-LD articleBody should replace the extracted text, if it should: it is the same
    text (trafilatura read it from there, but flattened its paragraphs), or it holds the visible
    text and much more (a paywalled page that gives search engines the whole story)."""
    if not json_body or not text:
        return None
    if words(text, underscores=False) == words(json_body, underscores=False):
        return "the text is the page's JSON-LD articleBody"
    if len(json_body) >= JSON_LD_FULLER * len(text):
        seen = _triples(text)
        if seen and len(seen & _triples(json_body)) >= JSON_LD_COVERS * len(seen):
            return f"the page's JSON-LD articleBody holds the visible text and more ({len(json_body)} chars)"
    return None


def _trafilatura_text(tree: HtmlElement, url: str | None, **options: Any) -> str:
    doc = trafilatura.bare_extraction(tree, url=url, include_comments=False, **options)
    return (doc.text if doc is not None else "") or ""


def _prose_chars(text: str, links: set[str]) -> int:
    """Characters outside lines that are only a link: a fallback must find prose, not a link list."""
    return sum(len(line) for line in text.splitlines() if line_key(line) not in links)


def _summary_text(summary: str) -> str:
    if "<" in summary:
        try:
            summary = lxml_html.fromstring(f"<div>{summary}</div>").text_content()
        except Exception:  # noqa: BLE001 - a broken summary is just text
            pass
    return _norm(summary)


# -- the entry point ------------------------------------------------------------------------------


def _not_article(note: str) -> Extraction:
    return Extraction(None, "", [], None, None, None, chars=0, is_article=False, notes=[note])


@dataclass
class _Text:
    cleaned: Cleaned
    method: str
    notes: list[str]
    whole_from_json_ld: bool = False  # the JSON-LD gave more than the page shows (paywall)


def _article_text(
    tree: HtmlElement,
    url: str | None,
    facts: PageFacts,
    extracted: str,
    tidy: Callable[[str], Cleaned],
) -> _Text:
    """trafilatura's text, replaced by the JSON-LD body or the joined sections when they are the
    better source, cleaned; then, if too little prose is left, the first fallback that finds enough."""
    raw, method, notes = extracted, "trafilatura", []
    json_body = _json_ld_body(facts)
    if why := _from_json_ld(raw, json_body):
        raw, method = json_body, "json-ld"
        notes.append(why)
    elif raw and (joined := join_split_body(tree, raw)):
        raw, method = joined, "trafilatura+sections"
        notes.append("story split over several containers; joined")
    cleaned = tidy(raw)
    prose = _prose_chars(cleaned.text, facts.links)
    if prose < MIN_ARTICLE_CHARS:
        fallbacks: tuple[tuple[str, Callable[[], str]], ...] = (
            ("json-ld", lambda: json_body),
            ("trafilatura-fallbacks", lambda: _trafilatura_text(tree, url)),  # readability, jusText, baseline
            ("trafilatura-recall", lambda: _trafilatura_text(tree, url, favor_recall=True)),
        )
        for name, produce in fallbacks:
            candidate = tidy(produce())
            if _prose_chars(candidate.text, facts.links) >= MIN_ARTICLE_CHARS:
                notes.append(f"{method} found {prose} characters of text; {name} used instead")
                cleaned, method = candidate, name
                break
    whole = method == "json-ld" and len(json_body) >= JSON_LD_FULLER * len(extracted)
    return _Text(cleaned, method, notes, whole)


def _teaser(facts: PageFacts, text: _Text, feed_summary: str | None) -> tuple[list[str], list[str]]:
    """Why the stored body is a teaser of the story (empty: it is not), and notes."""
    reasons, notes = [], []
    if facts.paywall and text.whole_from_json_ld:
        notes.append(f"paywalled page ({facts.paywall}), but its JSON-LD gave the whole text")
    elif facts.paywall:
        reasons.append(facts.paywall)
    if text.cleaned.paywall:
        reasons.append("a subscription prompt in the text")
    body = text.cleaned.text
    summary = _summary_text(feed_summary or "")
    if summary and len(body) < TEASER_RATIO * len(summary):
        reasons.append(f"body ({len(body)} characters) much shorter than the feed summary ({len(summary)})")
    if reasons:
        notes.append("teaser: " + "; ".join(reasons))
    return reasons, notes


def extract_page(
    html: bytes | str,
    url: str | None,
    *,
    feed_summary: str | None = None,
    now: datetime | None = None,
    clean: bool = True,
) -> Extraction:
    """Text and metadata of one page. `clean=False` skips the line rules (for measuring them).

    The page is parsed once: trafilatura gets the tree (it works on its own copy), newsmon's own
    reading and the metadata use the same tree."""
    now = now or datetime.now(UTC)
    tree = load_html(html)
    if tree is None:
        return _not_article("no HTML found")
    facts = read_page(tree)
    # fast: trafilatura's own cascade without the readability/jusText comparison, which runs below
    # as a named fallback when this finds too little (on the evaluation it never changed a page).
    # Metadata is read once, by `page_metadata`, not again inside this call.
    doc = trafilatura.bare_extraction(tree, url=url, fast=True, include_comments=False)
    meta = page_metadata(tree, url)
    title = meta.title or (facts.titles[0] if facts.titles else None)
    titles = [t for t in (title, *facts.titles) if t]

    def tidy(text: str) -> Cleaned:
        return clean_text(text, titles=titles, link_texts=facts.links) if clean else _title_only(text, title)

    extracted = ((doc.text if doc is not None else "") or "").strip()
    text = _article_text(tree, url, facts, extracted, tidy)
    body = text.cleaned.text
    notes = list(text.notes)
    if text.cleaned.note():
        notes.append(text.cleaned.note())  # type: ignore[arg-type]
    published, date_notes = _published(facts, None, now)
    if published is None:  # nothing usable declared in the markup: htmldate searches the page
        published, date_notes = _published(facts, find_date(tree, **_DATE_PARAMS, url=meta.url or url), now)
    notes += date_notes
    canonical, canonical_note = _canonical(facts, meta.url, url)
    if canonical_note:
        notes.append(canonical_note)
    teaser, teaser_notes = _teaser(facts, text, feed_summary)
    notes += teaser_notes
    # Lines that are only a link (navigation, headline lists) do not make a page an article.
    prose = _prose_chars(body, facts.links)
    if prose < MIN_ARTICLE_CHARS:
        notes.append(
            f"not an article: {prose} characters of text outside links (minimum {MIN_ARTICLE_CHARS})"
        )
    description = meta.description
    detected, score = detect_language_scored(f"{title or ''}\n{body}")
    return Extraction(
        title=title,
        body=body,
        authors=_authors(meta.author),
        published_at=published,
        language=detected or facts.lang,
        canonical_url=canonical,
        site_name=meta.sitename or facts.site_name,
        description=strip_markers(description) if clean and description else description,
        method=text.method,
        chars=len(body),
        is_article=prose >= MIN_ARTICLE_CHARS,
        teaser=bool(teaser),
        notes=notes,
        cleanup=dict(text.cleaned.removed),
        declared_language=facts.lang,
        language_score=score,
    )


_WARM_UP_PAGE = (
    "<html lang='en'><head><title>Talks resume</title><meta name='author' content='A Writer'></head><body>"
    "<article><h1>Talks resume</h1><p class='byline'>Tuesday, 2 March 2021, 10:15 CET</p>"
    + "<p>Negotiators met in Geneva on Tuesday to discuss the future of strategic stability and the "
    "limits on deployed warheads, officials said after the session ended.</p>"
    * 4
    + "</article></body></html>"
)
_warm = False


def warm_up() -> None:
    """Load what extraction loads on its first page (language model, date parsers: seconds) in this
    process, so that forked workers start ready instead of paying for it out of a page's budget."""
    global _warm
    if not _warm:
        import dateparser  # htmldate's free-text dates: its time-zone tables are built on first use

        extract_page(_WARM_UP_PAGE, "http://example.org/warm-up")
        dateparser.parse("Tuesday, 2 March 2021, 10:15 CET")
        _warm = True


def _title_only(text: str, title: str | None) -> Cleaned:
    """Without cleanup: only the leading <h1> that repeats the stored title goes."""
    if title:
        first, _, rest = text.partition("\n")
        if first.strip() == title.strip():
            return Cleaned(rest.strip())
    return Cleaned(text)
