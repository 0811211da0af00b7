"""Politeness towards publishers for article pages: a cap on concurrent requests per host, a
minimum gap between two requests to one host, and robots.txt (RFC 9309), cached per host.

Feeds are one request per feed per poll and are not gated here; a batch's pages often come from
few hosts (one outlet's feed lists twenty of its own pages), which is where a crawler gets blocked.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from newsmon.errors import FetchError
from newsmon.fetching import Fetcher

ROBOTS_MAX_BYTES = 500_000  # RFC 9309: at least 500 KiB must be parsed
T = TypeVar("T")


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class HostQueues(Generic[T]):
    """Work waiting per host, handed out only from a host with a free slot whose gap has passed.

    A fetching thread asks for its next page here and gets one it can start at once, taking the
    hosts in turn; it never waits on a busy host while another host has pages to fetch (with one
    gate per page instead, eight threads could sit behind one slow host's two slots). `release`
    after each page frees its host's slot."""

    def __init__(self, items: list[T], host: Callable[[T], str], concurrency: int, min_gap: float):
        self.concurrency = concurrency
        self.min_gap = min_gap
        self._host = host
        self._cond = threading.Condition()
        self._queues: dict[str, deque[T]] = {}
        for item in items:
            self._queues.setdefault(host(item), deque()).append(item)
        self._turns = deque(self._queues)  # hosts in turn; the one served goes to the back
        self._busy: dict[str, int] = dict.fromkeys(self._queues, 0)
        self._next_start: dict[str, float] = {}

    def take(self, stopping: threading.Event) -> T | None:
        """The next item to work on now; None when none is left or `stopping` is set."""
        with self._cond:
            while not stopping.is_set() and self._turns:
                now = time.monotonic()
                soonest: float | None = None
                for host in list(self._turns):
                    if self._busy[host] >= self.concurrency:
                        continue
                    ready = self._next_start.get(host, 0.0)
                    if ready > now:
                        soonest = ready if soonest is None else min(soonest, ready)
                        continue
                    return self._start(host, now)
                # Every host with work is busy or within its gap: wait for a release or the gap.
                self._cond.wait(timeout=0.5 if soonest is None else min(0.5, soonest - now))
            return None

    def _start(self, host: str, now: float) -> T:
        queue = self._queues[host]
        item = queue.popleft()
        self._busy[host] += 1
        self._next_start[host] = now + self.min_gap
        self._turns.remove(host)
        if queue:
            self._turns.append(host)
        return item

    def release(self, item: T) -> None:
        with self._cond:
            self._busy[self._host(item)] -= 1
            self._cond.notify_all()


class Robots:
    """robots.txt per host, fetched once through the Fetcher (so the network guard applies)."""

    def __init__(self, fetcher: Fetcher):
        self.fetcher = fetcher
        self._lock = threading.Lock()
        self._rules: dict[str, RobotFileParser] = {}
        self._loading: dict[str, threading.Lock] = {}

    def allowed(self, url: str) -> bool:
        host = host_of(url)
        with self._lock:
            loading = self._loading.setdefault(host, threading.Lock())
        with loading:  # one fetch of a host's robots.txt, however many pages wait for it
            if host not in self._rules:
                self._rules[host] = self._load(host)
        return self._rules[host].can_fetch(self.fetcher.settings.user_agent, url)

    def _load(self, host: str) -> RobotFileParser:
        parser = RobotFileParser()
        parts = urlsplit(host)
        robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
        try:
            got = self.fetcher.get(robots_url, max_bytes=ROBOTS_MAX_BYTES, raise_for_status=False)
        except FetchError:
            got = None
        if got is None or got.status >= 500:
            # RFC 9309 2.3.1.4: unreachable -> assume complete disallow (for this batch only).
            parser.parse(["User-agent: *", "Disallow: /"])
        elif got.status >= 400:
            parser.parse([])  # no robots.txt: everything allowed
        else:
            parser.parse(got.content.decode("utf-8", "replace").splitlines())
        return parser
