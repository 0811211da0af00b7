"""Which text is the article's body, and whether it is the whole story.

trafilatura first (its own cascade, comments off); the page's JSON-LD articleBody instead when it
is the same text or a much fuller one; a story split over several containers joined; then the line
rules of `newsmon.extraction.cleanup`. When too little prose is left, fallbacks run in order (the
JSON-LD body, trafilatura's readability/jusText rescue, trafilatura tuned for recall) and the
method records which source won. A body much shorter than the feed's summary, or behind a paywall,
is a teaser.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

import trafilatura
from lxml import html as lxml_html
from lxml.html import HtmlElement
from trafilatura.settings import Document

from newsmon.extraction.cleanup import Cleaned, line_key
from newsmon.extraction.page_facts import ARTICLE_TYPE, PageFacts, squeeze, text_of
from newsmon.text import words

MIN_ARTICLE_CHARS = 200  # below this the page is "not an article" (Media Cloud uses the same bound)
TEASER_RATIO = 0.5  # a body under half the feed's summary is a teaser of the story, not the story
SECTIONS_MIN_GAIN = 1.2  # joined sections must add a fifth to the text to replace it
SECTIONS_KEEP = 0.9  # ... and keep nearly all of what trafilatura had found
JSON_LD_FULLER = 1.5  # a JSON-LD articleBody this much longer than the visible text, and holding
JSON_LD_COVERS = 0.8  # ... this share of its word triples, is the whole story (paywalled pages)

_OUTSIDE_STORY = {"aside", "nav", "footer", "header", "form"}


def join_split_body(tree: HtmlElement, text: str) -> str | None:
    """Some CMSs cut one story into several containers of the same kind with ads between them;
    trafilatura then keeps the first. Find the container of the paragraphs it kept, gather every
    container of that tag and class in the same story (same <article>, no <h1> between) and extract
    them together. None when the page has no such split."""
    found = {squeeze(line) for line in text.splitlines() if len(line) > 40}
    if len(found) < 2:
        return None
    container = _kept_container(tree, found)
    if container is None:
        return None
    keep = _story_parts(tree, container)
    if len(keep) < 2:
        return None
    page = lxml_html.fromstring("<html><body><article></article></body></html>")
    article = page.find(".//article")
    assert article is not None  # the page was made just above with one
    for el in keep:
        part = deepcopy(el)
        part.tail = None
        for attr in ("class", "id"):  # trafilatura would again pick one container by its class
            part.attrib.pop(attr, None)
        article.append(part)
    joined = trafilatura.extract(page, include_comments=False, fast=True) or ""
    kept = {squeeze(line) for line in joined.splitlines()}
    if len(joined) < SECTIONS_MIN_GAIN * len(text) or len(found & kept) < SECTIONS_KEEP * len(found):
        return None
    return joined


def _kept_container(tree: HtmlElement, found: set[str]) -> HtmlElement | None:
    """The element holding most of the paragraphs trafilatura kept, when at least two and it has a class."""
    parents: Counter[HtmlElement] = Counter(
        parent
        for p in tree.iter("p")
        if squeeze(text_of(p)) in found and (parent := p.getparent()) is not None
    )
    if not parents:
        return None
    container, hits = parents.most_common(1)[0]
    return container if hits >= 2 and container.get("class") else None


def _story_parts(tree: HtmlElement, container: HtmlElement) -> list[HtmlElement]:
    """Every element of `container`'s tag and class in the same story: not nested in another, not in
    page furniture, inside the same <article>, with no <h1> between it and `container`."""
    cls = container.get("class")
    same = [e for e in tree.iter(str(container.tag)) if e.get("class") == cls]
    if len(same) < 2:
        return []
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
        if not any(lo < h < hi for h in h1s):
            keep.append(el)
    return keep


def _json_ld_body(facts: PageFacts) -> str:
    bodies = [
        str(o["articleBody"]) for o in facts.json_ld
        if ARTICLE_TYPE.search(str(o.get("@type", ""))) and isinstance(o.get("articleBody"), str)
    ]  # fmt: skip
    if not bodies:
        return ""
    body = max(bodies, key=len)
    if "<" in body:  # some CMSs put the HTML of the body there
        body = "\n".join(
            squeeze(t) for t in lxml_html.fromstring(f"<div>{body}</div>").itertext() if t.strip()
        )
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
    return (doc.text if isinstance(doc, Document) else "") or ""


def prose_chars(text: str, links: set[str]) -> int:
    """Characters outside lines that are only a link: a fallback must find prose, not a link list."""
    return sum(len(line) for line in text.splitlines() if line_key(line) not in links)


def _summary_text(summary: str) -> str:
    if "<" in summary:
        try:
            summary = lxml_html.fromstring(f"<div>{summary}</div>").text_content()
        except Exception:  # noqa: BLE001 - a broken summary is just text
            pass
    return squeeze(summary)


@dataclass
class ArticleText:
    cleaned: Cleaned
    method: str
    notes: list[str]
    whole_from_json_ld: bool = False  # the JSON-LD gave more than the page shows (paywall)


def article_text(
    tree: HtmlElement,
    url: str | None,
    facts: PageFacts,
    extracted: str,
    tidy: Callable[[str], Cleaned],
) -> ArticleText:
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
    prose = prose_chars(cleaned.text, facts.links)
    if prose < MIN_ARTICLE_CHARS:
        fallbacks: tuple[tuple[str, Callable[[], str]], ...] = (
            ("json-ld", lambda: json_body),
            ("trafilatura-fallbacks", lambda: _trafilatura_text(tree, url)),  # readability, jusText, baseline
            ("trafilatura-recall", lambda: _trafilatura_text(tree, url, favor_recall=True)),
        )
        for name, produce in fallbacks:
            candidate = tidy(produce())
            if prose_chars(candidate.text, facts.links) >= MIN_ARTICLE_CHARS:
                notes.append(f"{method} found {prose} characters of text; {name} used instead")
                cleaned, method = candidate, name
                break
    whole = method == "json-ld" and len(json_body) >= JSON_LD_FULLER * len(extracted)
    return ArticleText(cleaned, method, notes, whole)


def teaser_reasons(
    facts: PageFacts, text: ArticleText, feed_summary: str | None
) -> tuple[list[str], list[str]]:
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


def title_only(text: str, title: str | None) -> Cleaned:
    """Without cleanup: only the leading <h1> that repeats the stored title goes."""
    if title:
        first, _, rest = text.partition("\n")
        if first.strip() == title.strip():
            return Cleaned(rest.strip())
    return Cleaned(text)
