"""Politeness towards publishers for article pages: a cap on concurrent requests per host, a
minimum gap between two requests to one host, and robots.txt (RFC 9309), cached per host.

Feeds are one request per feed per poll and are not gated here; a batch's pages often come from
few hosts (one outlet's feed lists twenty of its own pages), which is where a crawler gets blocked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from newsmon.errors import FetchError
from newsmon.fetching import Fetcher

ROBOTS_MAX_BYTES = 500_000  # RFC 9309: at least 500 KiB must be parsed


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class HostGate:
    """At most `concurrency` requests in flight per host, and `min_gap` seconds between starts."""

    def __init__(self, concurrency: int, min_gap: float):
        self.concurrency = concurrency
        self.min_gap = min_gap
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        host = host_of(url)
        with self._lock:
            sem = self._slots.setdefault(host, threading.Semaphore(self.concurrency))
        with sem:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start.get(host, 0.0))
                self._next_start[host] = start + self.min_gap
            if start > now:
                time.sleep(start - now)
            yield


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
