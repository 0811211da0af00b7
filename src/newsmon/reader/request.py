"""The request half of a poll, for every source type: a conditional GET with the source's stored
validators, and what its answer means before any body is read (deferred, failed, not modified,
unchanged). newsmon.reader.poll reads feed bodies, newsmon.reader.sources sitemaps and pages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from newsmon.clock import iso
from newsmon.config import FeedConfig
from newsmon.errors import FetchError
from newsmon.fetching import Fetched, Fetcher
from newsmon.reader.hints import from_headers
from newsmon.reader.state import FeedState, Poll, error_class
from newsmon.records import FeedEntry


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
        # A sitemap's children are named in its warnings and errors: under the same rule.
        if self.poll.part_errors:
            self.poll.part_errors = [self.feed.scrub(e) for e in self.poll.part_errors]
            self.poll.warnings = [self.feed.scrub(w) for w in self.poll.warnings]


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


def conditional_get(
    fetcher: Fetcher,
    feed: FeedConfig,
    state: FeedState | None,
    now: datetime,
    *,
    max_bytes: int,
    accept: str,
) -> Polled | tuple[Poll, Fetched]:
    """The request half of a poll of any source type: a finished Polled (deferred by Retry-After,
    failed, `not_modified`, `unchanged`), or the poll so far and the changed body to read."""
    waiting = state.deferred_until(now) if state else None
    if waiting is not None:
        reason = f"Retry-After: not before {iso(waiting)}"
        left = max(1, int((waiting - now).total_seconds()))
        return Polled(feed, Poll("deferred", error_class="retry_after", error=reason, retry_after=left))
    try:
        fetched = fetcher.get(
            feed.url,
            max_bytes=max_bytes,
            accept=accept,
            headers=validators(feed, state),
            raise_for_status=False,
        )
    except FetchError as exc:
        return Polled(feed, Poll("failed", error_class=error_class(exc.reason), error=exc.reason))
    http = from_headers(fetched.headers, now)  # bounded values; what was not is in http.warnings
    noted = "".join(f"; {w}" for w in http.warnings)
    base = Poll(
        "failed",
        status=fetched.status,
        final_url=fetched.final_url,
        moved_to=fetched.permanent_target,
        http_hints=http,
        warnings=list(http.warnings),
    )
    if fetched.status in (429, 503) and http.retry_after is not None:
        base.outcome, base.retry_after = "deferred", http.retry_after
        base.error_class = f"http_{fetched.status}"
        base.error = f"HTTP {fetched.status}, Retry-After {http.retry_after} s{noted}"
        return Polled(feed, base)
    if fetched.status >= 400:
        base.error_class, base.error = f"http_{fetched.status}", f"HTTP {fetched.status}{noted}"
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
    return base, fetched
