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

import contextlib
import itertools
import logging
import queue
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsmon.config import FeedConfig
from newsmon.fetching import Fetcher
from newsmon.reader.budget import Rejected, parse_job, start_pool, too_slow
from newsmon.reader.entries import entries_of
from newsmon.reader.formats import ParsedFeed
from newsmon.reader.request import Polled, conditional_get, validators
from newsmon.reader.sources import poll_source
from newsmon.reader.state import FeedState, Poll
from newsmon.workers import Doorbell, Failed, WorkerPool

# The name feed lines have always been logged under: log filters select on it.
log = logging.getLogger("newsmon.feeds")

__all__ = ["FEED_ACCEPT", "Polled", "fetch_feed", "finish_poll", "poll_feed", "poll_feeds", "validators"]

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)


@dataclass
class _Unparsed:
    """A fetched feed body still to be parsed, and the poll so far."""

    feed: FeedConfig
    poll: Poll
    content: bytes
    headers: dict[str, str]
    final_url: str


def fetch_feed(
    fetcher: Fetcher, feed: FeedConfig, state: FeedState | None, now: datetime
) -> Polled | _Unparsed:
    """The request half of a poll: a finished Polled, or a body to parse (`finish_poll`).
    Sitemap and page sources are read here whole (newsmon.reader.sources): their bodies are
    parsed by lxml within the byte cap, not by feedparser."""
    if feed.type != "feed":
        return poll_source(fetcher, feed, state, now)
    got = conditional_get(
        fetcher, feed, state, now, max_bytes=fetcher.settings.max_feed_bytes, accept=FEED_ACCEPT
    )
    if isinstance(got, Polled):
        return got
    base, fetched = got
    return _Unparsed(feed, base, fetched.content, fetched.headers, fetched.final_url)


def finish_poll(
    got: _Unparsed, parsed: ParsedFeed | Rejected | Failed, now: datetime, budget: float
) -> Polled:
    """The poll of a fetched body once parsed: its entries, or why it failed."""
    feed, base = got.feed, got.poll
    if isinstance(parsed, (Rejected, Failed)):
        base.body_hash = None  # so that a fixed feed is parsed the moment it is fixed
        if isinstance(parsed, Rejected):
            base.error_class, base.error = parsed.kind, parsed.reason
        elif parsed.timed_out:
            base.error_class, base.error = "parse_timeout", too_slow("feed", budget)
        else:
            base.error_class, base.error = "error", f"feed parser failed: {parsed.reason}"
        return Polled(feed, base)
    entries = entries_of(parsed, feed, now)
    base.outcome = "new_content"
    base.format = parsed.format
    base.entries = len(entries)
    base.warnings = base.warnings + parsed.warnings
    base.feed_hints = parsed.hints
    return Polled(feed, base, entries)


def poll_feed(fetcher: Fetcher, feed: FeedConfig, state: FeedState | None, now: datetime) -> Polled:
    """One poll of one feed, parsed in this process; never raises for a feed's own problems
    (they become `failed`). `poll_feeds` parses under the time budget instead."""
    got = fetch_feed(fetcher, feed, state, now)
    if isinstance(got, Polled):
        return got
    parsed = parse_job(got.content, got.headers, got.final_url, feed.max_entries)
    return finish_poll(got, parsed, now, fetcher.settings.parse_timeout)


def _fetch(fetcher: Fetcher, feed: FeedConfig, state: FeedState | None, now: datetime) -> Polled | _Unparsed:
    try:
        return fetch_feed(fetcher, feed, state, now)
    except Exception as exc:  # a bug for one feed must not cost the batch
        log.exception("feed %s: FAILED", feed.id)  # the traceback names our code, not the feed
        return Polled(feed, Poll("failed", error_class="error", error=f"{type(exc).__name__}: {exc}"))


def _job(got: _Unparsed) -> tuple[str, tuple[Any, ...]]:
    """What a parsing process is given for a fetched body: (feed id, parse_job's arguments)."""
    return got.feed.id, (got.content, got.headers, got.final_url, got.feed.max_entries)


class _Fetches:
    """The feeds fetched by `threads` threads, each taking the next feed not taken yet. A finished
    poll is kept; the thread that fetched a body offers it to a parsing process itself, and one
    that no process has room for waits for `next_job` (the doorbell rings for it, and when the
    last feed is answered). No future or executor queue per feed: at a thousand feeds that
    bookkeeping, and the thread switches it makes, cost about a tenth of a millisecond a feed."""

    def __init__(
        self,
        fetcher: Fetcher,
        feeds: list[FeedConfig],
        states: dict[str, FeedState],
        now: datetime,
        pool: WorkerPool | None,
        doorbell: Doorbell,
        threads: int,
    ):
        self.pool = pool
        self.doorbell = doorbell
        self.results: dict[str, Polled] = {}
        self.waiting: dict[str, _Unparsed] = {}
        self.all_answered = False
        self._bodies: queue.SimpleQueue[_Unparsed] = queue.SimpleQueue()
        self._feeds = feeds
        self._taken = itertools.count()
        self._answered = itertools.count(1)

        def work() -> None:
            while (i := next(self._taken)) < len(feeds):
                self._answer(_fetch(fetcher, feeds[i], states.get(feeds[i].id), now))

        self._threads = [
            threading.Thread(target=work, name="feed-fetch", daemon=True) for _ in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def _answer(self, got: Polled | _Unparsed) -> None:
        """In the fetching thread, as its fetch ends."""
        if isinstance(got, Polled):
            self.results[got.feed.id] = got
        else:
            self.waiting[got.feed.id] = got  # before the offer: its result may come back at once
            if not self._offered(got):
                self._bodies.put(got)
                self.doorbell.ring()
        if next(self._answered) == len(self._feeds):
            self.all_answered = True  # after every body was offered or queued
            self.doorbell.ring()

    def _offered(self, got: _Unparsed) -> bool:
        if self.pool is None:
            return False
        try:
            return self.pool.offer(*_job(got))
        except Exception:  # never lose a feed's answer: the loop hands it over instead
            log.exception("feed %s: could not be handed to a parsing process", got.feed.id)
            return False

    def next_job(self, wait_s: float) -> tuple[str, tuple[Any, ...]] | None:
        """The next body to parse that no parsing process took yet, as (feed id, parse_job's
        arguments); None if none came within wait_s; StopIteration once every feed has its answer."""
        while True:
            try:
                return _job(self._bodies.get(timeout=wait_s) if wait_s > 0 else self._bodies.get_nowait())
            except queue.Empty:
                if not self.all_answered:
                    return None
                if self._bodies.empty():
                    raise StopIteration from None
                wait_s = 0

    def join(self) -> None:
        for thread in self._threads:
            thread.join()


def poll_feeds(
    fetcher: Fetcher, feeds: list[FeedConfig], states: dict[str, FeedState], now: datetime
) -> list[Polled]:
    """Poll feeds side by side: fetched by threads, parsed by worker processes within
    NEWSMON_PARSE_TIMEOUT each (newsmon.reader.budget). The result is in the order of `feeds`."""
    if not feeds:
        return []
    settings = fetcher.settings
    budget = settings.parse_timeout
    # Workers first: they are forked before the fetch threads exist (see newsmon.workers). Each
    # has the next body waiting in its pipe: this process, busy fetching, is slow to hand one over.
    pool = start_pool(parse_job, min(settings.workers, len(feeds)), budget, depth=2)
    doorbell = Doorbell()
    fetches = None
    try:
        threads = min(settings.fetch_concurrency * 2, len(feeds))
        fetches = _Fetches(fetcher, feeds, states, now, pool, doorbell, threads)
        if pool is None:
            with contextlib.suppress(StopIteration):
                while True:
                    if job := fetches.next_job(1.0):
                        key, args = job
                        parsed = parse_job(*args)
                        fetches.results[key] = finish_poll(fetches.waiting.pop(key), parsed, now, budget)
        else:
            for key, parsed in pool.run(fetches.next_job, doorbell):
                fetches.results[key] = finish_poll(fetches.waiting.pop(key), parsed, now, budget)
    finally:
        if fetches is not None:
            fetches.join()
        if pool is not None:
            pool.close()
        doorbell.close()  # after the threads have ended: none rings any more
    return [fetches.results[f.id] for f in feeds]
