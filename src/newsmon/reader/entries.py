"""A parsed feed document into FeedEntry records: the feed's entry cap and language hints applied."""

from __future__ import annotations

import logging
from datetime import datetime

from newsmon import clock
from newsmon.clock import publication_problem
from newsmon.config import FeedConfig
from newsmon.reader.formats import ParsedEntry, ParsedFeed, parse_any
from newsmon.records import FeedEntry
from newsmon.redaction import for_log, redact_url

# The name feed lines have always been logged under: log filters select on it.
log = logging.getLogger("newsmon.feeds")


def _primary(language: str | None) -> str | None:
    """'en-US' -> 'en': the form language detection gives."""
    code = (language or "").strip().split("-")[0].split("_")[0].lower()
    return code if 2 <= len(code) <= 3 and code.isalpha() else None


def _plausible(when: datetime | None, at: datetime) -> datetime | None:
    return when if when is not None and publication_problem(when, at) is None else None


def _drop_implausible_dates(entries: list[ParsedEntry], at: datetime) -> int:
    """Publication and update times before 1990 or after tomorrow set to None; how many entries had one."""
    dropped = 0
    for item in entries:
        published, updated = _plausible(item.published, at), _plausible(item.updated, at)
        if (published, updated) != (item.published, item.updated):
            dropped += 1
            item.published, item.updated = published, updated
    return dropped


def entries_of(parsed: ParsedFeed, feed: FeedConfig, at: datetime | None = None) -> list[FeedEntry]:
    """The feed's first `max_entries` entries as records. An entry date before 1990 or after
    tomorrow (clock.publication_problem) is not a publication date: it is dropped and the feed
    gets a warning saying how many."""
    out: list[FeedEntry] = []
    configured, declared = _primary(feed.language), _primary(parsed.language)
    kept = parsed.entries[: feed.max_entries]
    dropped = _drop_implausible_dates(kept, at or clock.now())
    if dropped:
        parsed.warnings.append(f"{dropped} entry date(s) before 1990 or after tomorrow (ignored)")
    for item in kept:
        try:
            entry = item.to_feed_entry(feed.id)
            entry.language_hint = configured or _primary(item.language) or declared
            out.append(entry)
        except ValueError as exc:  # e.g. an unparsable host: one bad entry must not cost the feed
            log.warning(
                "feed %s: entry link %s is malformed (%s); skipped",
                feed.id,
                for_log(redact_url(item.link)),
                exc,
            )
    return out


def parse_feed(content: bytes, feed: FeedConfig, base_url: str, headers: dict[str, str]) -> list[FeedEntry]:
    """Entries of one feed document. Raises FetchError (FeedRejected) when it is not a feed."""
    return entries_of(parse_any(content, headers, base_url), feed)
