"""One page in, one `Extraction` out: article text and metadata, plus language.

The body is chosen and cleaned in `body` (trafilatura, the JSON-LD articleBody, joined sections,
fallbacks, the line rules of `cleanup`) and `Extraction.method` records which source won. What the
page declares about itself (canonical link, publication time with its hour, paywall) comes from
`page_facts`, read from the markup directly: trafilatura's date finder keeps only the day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import trafilatura
from trafilatura.settings import Document

from newsmon import clock
from newsmon.extraction.body import (
    MIN_ARTICLE_CHARS,
    article_text,
    prose_chars,
    teaser_reasons,
    title_only,
)
from newsmon.extraction.cleanup import Cleaned, clean_text, strip_markers
from newsmon.extraction.language import LANGUAGE_SURE, detect_language_scored
from newsmon.extraction.page_facts import (
    canonical_url,
    page_metadata,
    published_at,
    read_page,
    split_authors,
)
from newsmon.extraction.parsing import parse_html


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
    content_type: str = "html"  # html, or pdf (newsmon.extraction.pdf)
    page_count: int | None = None  # a PDF's pages (all of them, not only those read)


def _not_article(note: str) -> Extraction:
    return Extraction(None, "", [], None, None, None, chars=0, is_article=False, notes=[note])


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
    now = now or clock.now()
    tree = parse_html(html)
    if tree is None:
        return _not_article("no HTML found")
    facts = read_page(tree)
    # fast: trafilatura's own cascade without the readability/jusText comparison, which runs below
    # as a named fallback when this finds too little (on the evaluation it never changed a page).
    # Metadata is read once, by `page_metadata`, not again inside this call.
    doc = trafilatura.bare_extraction(tree, url=url, fast=True, include_comments=False)
    meta = page_metadata(tree, url, facts)
    title = meta.title or (facts.titles[0] if facts.titles else None)
    titles = [t for t in (title, *facts.titles) if t]

    def tidy(text: str) -> Cleaned:
        return clean_text(text, titles=titles, link_texts=facts.links) if clean else title_only(text, title)

    extracted = ((doc.text if isinstance(doc, Document) else "") or "").strip()
    text = article_text(tree, url, facts, extracted, tidy)
    body = text.cleaned.text
    notes = list(text.notes)
    if cleanup_note := text.cleaned.note():
        notes.append(cleanup_note)
    published, date_notes = published_at(facts, tree, meta.url or url, now)
    notes += date_notes
    canonical, canonical_note = canonical_url(facts, meta.url, url)
    if canonical_note:
        notes.append(canonical_note)
    teaser, teaser_notes = teaser_reasons(facts, text, feed_summary)
    notes += teaser_notes
    # Lines that are only a link (navigation, headline lists) do not make a page an article.
    prose = prose_chars(body, facts.links)
    if prose < MIN_ARTICLE_CHARS:
        notes.append(
            f"not an article: {prose} characters of text outside links (minimum {MIN_ARTICLE_CHARS})"
        )
    description = meta.description
    detected, score = detect_language_scored(f"{title or ''}\n{body}")
    return Extraction(
        title=title,
        body=body,
        authors=split_authors(meta.author),
        published_at=published,
        # The page's declared language wins when detection is unsure (a short page, a mixed one).
        language=detected if detected and (score >= LANGUAGE_SURE or not facts.lang) else facts.lang,
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
