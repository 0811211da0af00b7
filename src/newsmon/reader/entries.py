"""A parsed feed document into FeedEntry records: the feed's entry cap and language hints applied."""

from __future__ import annotations

import logging

from newsmon.config import FeedConfig
from newsmon.reader.formats import ParsedFeed, parse_any
from newsmon.records import FeedEntry
from newsmon.redaction import for_log, redact_url

# The name feed lines have always been logged under: log filters select on it.
log = logging.getLogger("newsmon.feeds")


def _primary(language: str | None) -> str | None:
    """'en-US' -> 'en': the form language detection gives."""
    code = (language or "").strip().split("-")[0].split("_")[0].lower()
    return code if 2 <= len(code) <= 3 and code.isalpha() else None


def entries_of(parsed: ParsedFeed, feed: FeedConfig) -> list[FeedEntry]:
    out: list[FeedEntry] = []
    configured, declared = _primary(feed.language), _primary(parsed.language)
    for item in parsed.entries[: feed.max_entries]:
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
