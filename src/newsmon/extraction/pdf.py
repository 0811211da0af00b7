"""Text and metadata of a PDF document (pypdf), as an `Extraction` like a page's.

pypdf rather than pdfminer.six: on a 38-page text PDF it read the same text (the same words, in
the same order but for where the page footer falls) in a tenth of the CPU time (0.2 s against
2.0 s), which matters inside the extraction budget; pdfminer's layout analysis (columns, reading
order) is what it pays for, and news-type documents rarely need it.

What is read is bounded: at most NEWSMON_PDF_MAX_PAGES pages (the rest noted, the document's page
count kept), and the whole read runs in an extraction worker, inside NEWSMON_EXTRACT_TIMEOUT like
an HTML page. A document that cannot be read is a `PdfRefused` with its reason: encrypted (no
empty user password), broken (pypdf cannot parse it), or without text (scanned pages).

The body is the text with the page furniture lessened: lines repeated at the top or bottom of most
pages (running headers, footers, page numbers) dropped, words hyphenated at a line end joined, and
lines joined into paragraphs.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Imported with the module, so that extraction workers forked after it do not pay for it out of
# a document's budget.
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PdfStreamError

from newsmon.clock import iso, publication_problem
from newsmon.extraction.body import MIN_ARTICLE_CHARS
from newsmon.extraction.language import detect_language_scored
from newsmon.extraction.page import Extraction

# pypdf warns through logging about every repaired cross-reference table and missing EOF marker;
# what matters of that reaches the run summary as the document's failure reason.
logging.getLogger("pypdf").setLevel(logging.ERROR)

PDF_TYPES = ("application/pdf", "application/x-pdf", "application/acrobat")
# Types a server gives a file it does not describe: a PDF among them is known by its signature.
GENERIC_TYPES = (
    "",
    "application/octet-stream",
    "binary/octet-stream",
    "application/download",
    "application/x-download",
    "application/force-download",
    "application/unknown",
)
SIGNATURE = b"%PDF-"
EDGE_LINES = 3  # lines at the top and at the bottom of a page where running headers and footers sit
TITLE_MAX = 300
_PAGE_NUMBER = re.compile(
    r"^[\s\-–—]*(?:page|p\.|seite|página|pagina|страница|стр\.)?\s*\d{1,4}(?:\s*(?:/|of|de|из|von)\s*\d{1,4})?[\s\-–—]*$",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")
_SENTENCE_END = re.compile(r"[.!?:;\"”»)\]]$")
_LIST_ITEM = re.compile(r"^(?:[•▪◦●\-–*]\s|\(?\d{1,3}[.)]\s|\(?[a-z][.)]\s|[IVX]{1,5}\.\s)")
_MEANINGLESS_TITLE = re.compile(
    r"^(?:untitled|unknown|\(?anonymous\)?|\(?unspecified\)?|document\d*|title|none|microsoft word.*"
    r"|.*\.(?:docx?|pdf|indd|rtf|odt|tex|dvi|ps|xlsx?|pptx?))$",
    re.IGNORECASE,
)
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ]
    )
    for m in names
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\.?,?\s+(\d{{4}})\b", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE)
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


class PdfRefused(Exception):
    """A PDF that cannot be read: encrypted, broken, or without text. `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def is_pdf(content_type: str, content: bytes) -> bool:
    """A PDF by its type, or by its signature when the type is missing or generic."""
    if content_type in PDF_TYPES:
        return True
    return content_type in GENERIC_TYPES and content.lstrip(b"\xef\xbb\xbf\r\n\t ")[:5] == SIGNATURE


@dataclass
class _Read:
    pages: list[list[str]]  # the lines of each page read
    page_count: int
    meta_title: str | None
    meta_date: datetime | None
    notes: list[str]


def _reader(data: bytes) -> tuple[Any, int]:
    """pypdf's reader, decrypted when an empty password opens it, and the number of pages."""
    if SIGNATURE not in data[:1024]:
        raise PdfRefused("broken PDF: no %PDF- signature")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError) as exc:
                raise PdfRefused(f"encrypted PDF: {exc}") from None
            if not opened:
                raise PdfRefused("encrypted PDF")
        return reader, len(reader.pages)
    except PdfRefused:
        raise
    except FileNotDecryptedError:
        raise PdfRefused("encrypted PDF") from None
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            AssertionError, RecursionError, OSError) as exc:  # fmt: skip
        raise PdfRefused(f"broken PDF: {_error(exc)}") from None


def _open(data: bytes, max_pages: int) -> _Read:
    reader, page_count = _reader(data)
    if page_count == 0:
        raise PdfRefused("broken PDF: no pages")
    notes: list[str] = []
    pages: list[list[str]] = []
    failures: list[str] = []
    for number, page in enumerate(reader.pages[:max_pages], 1):
        try:
            text = page.extract_text() or ""
        except Exception as exc:  # one unreadable page; the others may be fine
            failures.append(f"page {number}: {_error(exc)}")
            text = ""
        pages.append([line.strip() for line in text.splitlines()])
    if failures and len(failures) == len(pages):
        raise PdfRefused(f"broken PDF: {failures[0]}")
    if failures:
        notes.append(f"pdf: {len(failures)} page(s) unreadable ({failures[0]})")
    if page_count > max_pages:
        notes.append(f"pdf: read {max_pages} of {page_count} pages (NEWSMON_PDF_MAX_PAGES)")
    title, date = _metadata(reader)
    return _Read(pages, page_count, title, date, notes)


def _error(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    return text or type(exc).__name__


def _metadata(reader: Any) -> tuple[str | None, datetime | None]:
    """/Title when it names the document, and /CreationDate (else /ModDate); a broken information
    dictionary gives neither."""
    try:
        meta = reader.metadata
        if meta is None:
            return None, None
        title = meta.title
        date: datetime | None = None
        for name in ("creation_date", "modification_date"):
            try:
                date = getattr(meta, name)
            except (ValueError, TypeError):
                date = None
            if date is not None:
                break
    except Exception:
        return None, None
    return (_meaningful_title(title) if isinstance(title, str) else None), date


def _meaningful_title(title: str) -> str | None:
    title = " ".join(title.split()).strip()
    if len(title) < 4 or not any(c.isalpha() for c in title) or _MEANINGLESS_TITLE.match(title):
        return None
    return title[:TITLE_MAX]


def _furniture_key(line: str) -> str:
    """A line as it repeats from page to page: a short one (a running head with its page number,
    "Page 3 of 12") with its numbers left out; a longer one as it is, so that body lines that differ
    only in a number (numbered paragraphs of the same pattern) are not taken for furniture."""
    line = line.lower().strip()
    return _DIGITS.sub("#", line) if len(line.split()) <= 6 else line


def strip_furniture(pages: list[list[str]]) -> tuple[list[list[str]], int]:
    """Pages without their running headers and footers: a line (digits aside) among the first or
    last EDGE_LINES lines of at least half the pages (two at least), and page-number lines there.
    Returns the pages and the number of lines removed."""
    edges: Counter[str] = Counter()
    for lines in pages:
        kept = [ln for ln in lines if ln]
        edges.update({_furniture_key(ln) for ln in kept[:EDGE_LINES] + kept[-EDGE_LINES:]})
    needed = max(2, (len(pages) + 1) // 2)
    repeated = {key for key, n in edges.items() if n >= needed}
    out, removed = [], 0
    for lines in pages:
        kept = [ln for ln in lines if ln]
        edge = set(range(min(EDGE_LINES, len(kept)))) | set(range(max(0, len(kept) - EDGE_LINES), len(kept)))
        page = []
        for i, line in enumerate(kept):
            if i in edge and (_furniture_key(line) in repeated or _PAGE_NUMBER.match(line)):
                removed += 1
                continue
            page.append(line)
        out.append(page)
    return out, removed


def paragraphs(lines: list[str]) -> list[str]:
    """Lines joined into paragraphs: a word hyphenated at a line end is joined; a paragraph ends at
    a line that ends a sentence and stops short of the usual line width, or before a list item."""
    widths = sorted(len(ln) for ln in lines if ln)
    usual = widths[len(widths) * 3 // 4] if widths else 0
    out: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        if not line:
            if current:
                out.append(current)
            current = ""
            continue
        if current and _LIST_ITEM.match(line):
            out.append(current)
            current = ""
        if current.endswith("-") and len(current) > 1 and current[-2].isalpha() and line[:1].islower():
            current = current[:-1] + line
        else:
            current = f"{current} {line}" if current else line
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        short = len(line) < 0.8 * usual
        # A line well short of the width, followed by a capital, ends its paragraph even without a
        # full stop: a heading, a title, a date line.
        heading = len(line) < 0.6 * usual and nxt[:1].isupper() and not line.endswith(("-", ","))
        if (_SENTENCE_END.search(line) and (short or not nxt)) or heading:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out


def _first_line_title(pages: list[list[str]]) -> str | None:
    """The first substantial line of the first page with text: letters, three words or more."""
    for lines in pages[:2]:
        for line in lines[:15]:
            if (
                len(line.split()) >= 3
                and sum(c.isalpha() for c in line) >= 12
                and not _PAGE_NUMBER.match(line)
            ):
                return line[:TITLE_MAX]
    return None


def _first_page_date(text: str, now: datetime) -> datetime | None:
    """A date written on the first page (12 March 2024, March 12, 2024, 2024-03-12): the first
    one that can be a publication date."""
    found: list[tuple[int, datetime]] = []
    for match in _DAY_MONTH_YEAR.finditer(text):
        day, month, year = match.groups()
        found.append((match.start(), _day(int(year), _MONTHS[month.lower()], int(day))))
    for match in _MONTH_DAY_YEAR.finditer(text):
        month, day, year = match.groups()
        found.append((match.start(), _day(int(year), _MONTHS[month.lower()], int(day))))
    for match in _ISO_DAY.finditer(text):
        year, month, day = match.groups()
        found.append((match.start(), _day(int(year), int(month), int(day))))
    for _, when in sorted(found, key=lambda f: f[0]):
        if when != _NO_DAY and publication_problem(when, now) is None:
            return when
    return None


_NO_DAY = datetime(1, 1, 1, tzinfo=UTC)


def _day(year: int, month: int, day: int) -> datetime:
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return _NO_DAY


def extract_pdf(data: bytes, *, now: datetime, max_pages: int) -> Extraction:
    """Text and metadata of one PDF. PdfRefused when it cannot be read (encrypted, broken, scanned).
    A PDF with a little text only is "not an article", as a short HTML page is."""
    read = _open(data, max_pages)
    pages, removed = strip_furniture(read.pages)
    notes = list(read.notes)
    if removed:
        notes.append(f"pdf: {removed} header/footer line(s) removed")
    body = "\n\n".join(p for lines in pages for p in paragraphs(lines))
    if len("".join(body.split())) < 20:
        raise PdfRefused("no text in PDF: scanned pages?")
    title = read.meta_title
    notes.append("pdf title: metadata" if title else "pdf title: first line")
    title = title or _first_line_title(pages)
    published: datetime | None = None
    if read.meta_date is not None:
        when = read.meta_date if read.meta_date.tzinfo else read.meta_date.replace(tzinfo=UTC)
        if (problem := publication_problem(when, now)) is None:
            published = when
            notes.append("pdf date: metadata")
        else:
            notes.append(f"pdf date: metadata ignored: {problem}")
    if published is None and pages:
        published = _first_page_date("\n".join(pages[0])[:3000], now)
        if published is not None:
            notes.append("pdf date: first page")
    chars = len(body)
    is_article = chars >= MIN_ARTICLE_CHARS
    if not is_article:
        notes.append(f"not an article: {chars} characters of text in the PDF (minimum {MIN_ARTICLE_CHARS})")
    language, score = detect_language_scored(f"{title or ''}\n{body}")
    return Extraction(
        title=title,
        body=body,
        authors=[],
        published_at=iso(published) if published else None,
        language=language,
        canonical_url=None,
        method="pypdf",
        chars=chars,
        is_article=is_article,
        notes=notes,
        cleanup={"pdf_furniture": removed} if removed else {},
        language_score=score,
        content_type="pdf",
        page_count=read.page_count,
    )
