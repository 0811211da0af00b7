"""Fetch and parse RSS/Atom feeds into FeedEntry records, a batch's feeds side by side."""

from __future__ import annotations

import calendar
import logging
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser

from newsmon.config import FeedConfig
from newsmon.errors import FetchError
from newsmon.fetching import Fetcher
from newsmon.records import FeedEntry
from newsmon.redaction import for_log, redact_url
from newsmon.summary import RunSummary
from newsmon.urls import canonicalize, doc_id

log = logging.getLogger(__name__)

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


def _when(entry: feedparser.FeedParserDict, key: str) -> datetime | None:
    # dict.get, not entry.get: FeedParserDict maps a missing updated_parsed to published_parsed with
    # a DeprecationWarning, and we want to know which of the two the feed really gave.
    parsed = dict.get(entry, f"{key}_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def parse_feed(content: bytes, feed: FeedConfig, base_url: str, headers: dict[str, str]) -> list[FeedEntry]:
    """Entries of one feed document. Raises FetchError when it is not a feed at all."""
    # feedparser reads the charset from the HTTP content type; it must not see content-encoding,
    # since httpx already decompressed the body.
    parsed = feedparser.parse(
        content,
        response_headers={k: v for k, v in headers.items() if k in ("content-type", "content-location")},
    )
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = parsed.get("bozo_exception")
        raise FetchError(
            feed.url, f"not a feed ({type(reason).__name__ if reason else 'no RSS/Atom root'}: {reason})"
        )
    entries: list[FeedEntry] = []
    for item in parsed.entries[: feed.max_entries]:
        link = item.get("link") or ""
        if not link and str(item.get("id", "")).startswith(("http://", "https://")):
            link = item["id"]
        if not link:
            log.warning("feed %s: entry %s has no link; skipped", feed.id, for_log(repr(item.get("title"))))
            continue
        try:
            link = urljoin(base_url, link)
            canonical = canonicalize(link)
        except ValueError as exc:  # e.g. "http://[broken/x": one bad entry must not cost the feed
            log.warning(
                "feed %s: entry link %s is malformed (%s); skipped", feed.id, for_log(redact_url(link)), exc
            )
            continue
        entries.append(
            FeedEntry(
                feed_id=feed.id,
                link=link,
                canonical_url=canonical,
                id=doc_id(canonical),
                title=item.get("title"),
                summary=item.get("summary"),
                published_at=_when(item, "published") or _when(item, "updated"),
                updated_at=_when(item, "updated"),
                guid=item.get("id"),
            )
        )
    return entries


def fetch_feed(fetcher: Fetcher, feed: FeedConfig) -> list[FeedEntry]:
    fetched = fetcher.get(feed.url, max_bytes=fetcher.settings.max_feed_bytes, accept=FEED_ACCEPT)
    return parse_feed(fetched.content, feed, fetched.final_url, fetched.headers)


def fetch_feeds(fetcher: Fetcher, feeds: list[FeedConfig], summary: RunSummary) -> list[FeedEntry]:
    entries: list[FeedEntry] = []
    with ThreadPoolExecutor(max_workers=min(8, max(1, len(feeds)))) as pool:
        futures = {pool.submit(fetch_feed, fetcher, feed): feed for feed in feeds}
        for fut in as_completed(futures):
            feed = futures[fut]
            summary.feeds_total += 1
            try:
                got = fut.result()
            except FetchError as exc:
                summary.feeds_failed += 1
                summary.errors.append({"feed": feed.id, "error": exc.reason})
                summary.per_feed[feed.id] = {"ok": False, "entries": 0, "new": 0}
                log.warning("feed %s: FAILED: %s", feed.id, for_log(exc.reason))
                continue
            except Exception as exc:
                summary.feeds_failed += 1
                summary.errors.append({"feed": feed.id, "error": f"{type(exc).__name__}: {exc}"})
                summary.per_feed[feed.id] = {"ok": False, "entries": 0, "new": 0}
                log.exception("feed %s: FAILED", feed.id)
                continue
            summary.feeds_ok += 1
            summary.entries_seen += len(got)
            summary.per_feed[feed.id] = {"ok": True, "entries": len(got), "new": 0}
            log.info("feed %s: %d entries", feed.id, len(got))
            entries.extend(got)
    return entries
