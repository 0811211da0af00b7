"""Poll feeds: conditional GET, parse (any format), and what each poll means for the feed's state.

One poll of one feed ends in one outcome (schedule.OUTCOMES):
- `not_modified`: 304 to our validators; nothing parsed, no page fetched;
- `unchanged`: 200 with the same body as last time (sha256); nothing parsed;
- `new_content`: a changed body, parsed with reader.formats.parse_any into entries
  (reader.entries);
- `deferred`: a Retry-After is still ahead (no request), or a 429/503 asked for one;
- `failed`: network error, HTTP error, a body that is not a feed, or one so broken that no entry
  with a usable link comes out of it (the reason is kept).
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from newsmon.clock import iso
from newsmon.config import FeedConfig
from newsmon.errors import FetchError
from newsmon.fetching import Fetcher
from newsmon.reader.entries import entries_of
from newsmon.reader.formats import FeedRejected, parse_any
from newsmon.reader.hints import from_headers
from newsmon.reader.state import FeedState, Poll, error_class
from newsmon.records import FeedEntry

# The name feed lines have always been logged under: log filters select on it.
log = logging.getLogger("newsmon.feeds")

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)


@dataclass
class Polled:
    feed: FeedConfig
    poll: Poll
    entries: list[FeedEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        # What the poll says goes to the summary, the log and the stored state: no secret of the URL.
        self.poll.error = self.feed.scrub(self.poll.error) if self.poll.error else self.poll.error
        self.poll.final_url = self.feed.scrub_url(self.poll.final_url)
        self.poll.moved_to = self.feed.scrub_url(self.poll.moved_to)


def validators(feed: FeedConfig, state: FeedState | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the last answer, unless switched off or the URL changed."""
    if not feed.conditional or state is None or not state.conditional or state.url != feed.shown_url:
        return {}
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def poll_feed(fetcher: Fetcher, feed: FeedConfig, state: FeedState | None, now: datetime) -> Polled:
    """One poll of one feed; never raises for a feed's own problems (they become `failed`)."""
    waiting = state.deferred_until(now) if state else None
    if waiting is not None:
        reason = f"Retry-After: not before {iso(waiting)}"
        left = max(1, int((waiting - now).total_seconds()))
        return Polled(feed, Poll("deferred", error_class="retry_after", error=reason, retry_after=left))
    try:
        fetched = fetcher.get(
            feed.url,
            max_bytes=fetcher.settings.max_feed_bytes,
            accept=FEED_ACCEPT,
            headers=validators(feed, state),
            raise_for_status=False,
        )
    except FetchError as exc:
        return Polled(feed, Poll("failed", error_class=error_class(exc.reason), error=exc.reason))
    http = from_headers(fetched.headers, now)
    base = Poll(
        "failed",
        status=fetched.status,
        final_url=fetched.final_url,
        moved_to=fetched.permanent_target,
        http_hints=http,
    )
    if fetched.status in (429, 503) and http.retry_after is not None:
        base.outcome, base.retry_after = "deferred", http.retry_after
        base.error_class = f"http_{fetched.status}"
        base.error = f"HTTP {fetched.status}, Retry-After {http.retry_after} s"
        return Polled(feed, base)
    if fetched.status >= 400:
        base.error_class, base.error = f"http_{fetched.status}", f"HTTP {fetched.status}"
        return Polled(feed, base)
    base.etag = fetched.headers.get("etag") if feed.conditional else None
    base.last_modified = fetched.headers.get("last-modified") if feed.conditional else None
    if fetched.status == 304:
        base.outcome = "not_modified"
        return Polled(feed, base)
    digest = hashlib.sha256(fetched.content).hexdigest()
    base.body_hash = digest
    if state is not None and state.body_hash == digest and state.url == feed.shown_url:
        base.outcome = "unchanged"
        return Polled(feed, base)
    try:
        parsed = parse_any(fetched.content, fetched.headers, fetched.final_url)
    except FeedRejected as exc:
        base.body_hash = None  # so that a fixed feed is parsed the moment it is fixed
        base.error_class, base.error = exc.kind, exc.reason
        return Polled(feed, base)
    entries = entries_of(parsed, feed)
    base.outcome = "new_content"
    base.format = parsed.format
    base.entries = len(entries)
    base.warnings = parsed.warnings
    base.feed_hints = parsed.hints
    return Polled(feed, base, entries)


def poll_feeds(
    fetcher: Fetcher, feeds: list[FeedConfig], states: dict[str, FeedState], now: datetime
) -> list[Polled]:
    """Poll feeds side by side; the result is in the order of `feeds`."""
    if not feeds:
        return []
    with ThreadPoolExecutor(max_workers=min(fetcher.settings.fetch_concurrency * 2, len(feeds))) as pool:
        futures = [pool.submit(poll_feed, fetcher, f, states.get(f.id), now) for f in feeds]
        results: list[Polled] = []
        for feed, fut in zip(feeds, futures, strict=True):
            try:
                results.append(fut.result())
            except Exception as exc:  # a bug for one feed must not cost the batch
                log.exception("feed %s: FAILED", feed.id)  # the traceback names our code, not the feed
                results.append(
                    Polled(feed, Poll("failed", error_class="error", error=f"{type(exc).__name__}: {exc}"))
                )
        return results
