"""Article text and metadata from an HTML page (trafilatura), plus language and content hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import trafilatura

from newsmon.urls import canonicalize, same_site

MIN_ARTICLE_CHARS = 200  # below this the page is "not an article" (Media Cloud uses the same bound)
MAX_FUTURE = timedelta(days=1)  # a page date further ahead than this is a wrong date, not news

_DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}
_WORDS = re.compile(r"\w+", re.UNICODE)


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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def detect_language(text: str) -> str | None:
    if len(text) < 20:
        return None
    import py3langid

    lang, _score = py3langid.classify(text[:4000])
    return lang


def content_hash(body: str) -> str:
    """Hash of the body after case, accent-form and punctuation normalization: exact copies across URLs."""
    norm = unicodedata.normalize("NFKC", body).casefold()
    return hashlib.sha256(" ".join(_WORDS.findall(norm)).encode("utf-8")).hexdigest()


def _parse_date(value: str | None, now: datetime) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None, f"unparseable page date {value!r}"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    if when > now + MAX_FUTURE:
        return None, f"page date {when.isoformat()} is in the future; ignored"
    return when.isoformat().replace("+00:00", "Z"), None


def _authors(raw: str | None) -> list[str]:
    if not raw:
        return []
    return [a.strip() for a in re.split(r";|\band\b", raw) if a.strip()]


def _drop_leading_title(text: str, title: str | None) -> str:
    """trafilatura keeps the article's <h1> as the first line; the title is stored on its own."""
    if title:
        first, _, rest = text.partition("\n")
        if first.strip() == title.strip():
            return rest.lstrip()
    return text


def extract_page(
    html: bytes | str, url: str | None, *, feed_summary: str | None = None, now: datetime | None = None
) -> Extraction:
    now = now or datetime.now(UTC)
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        include_comments=False,
        with_metadata=True,
        date_extraction_params=_DATE_PARAMS,
    )
    if doc is None:
        return Extraction(None, "", [], None, None, None, chars=0, is_article=False, notes=["no text found"])
    meta = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    title = (meta.get("title") or "").strip() or None
    body = _drop_leading_title((meta.get("text") or "").strip(), title)
    published, date_note = _parse_date(meta.get("date"), now)
    notes = [date_note] if date_note else []
    declared = meta.get("url")
    canonical = None
    if declared and (url is None or same_site(declared, url)):
        canonical = canonicalize(declared)
    elif declared:
        notes.append(f"declared canonical {declared} is on another site; ignored")
    is_article = len(body) >= MIN_ARTICLE_CHARS
    if not is_article:
        notes.append(f"not an article: {len(body)} characters of text (minimum {MIN_ARTICLE_CHARS})")
    return Extraction(
        title=title,
        body=body,
        authors=_authors(meta.get("author")),
        published_at=published,
        language=detect_language(f"{title or ''}\n{body}"),
        canonical_url=canonical,
        site_name=meta.get("sitename"),
        description=meta.get("description"),
        chars=len(body),
        is_article=is_article,
        notes=notes,
    )
