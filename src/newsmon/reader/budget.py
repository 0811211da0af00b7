"""Parsing outside documents (feeds, OPML files) under a wall-clock budget.

A feed of 140,000 items or XML nested 400,000 deep keeps feedparser busy for half a minute, in C
code that no thread can interrupt. So documents are parsed in worker processes (newsmon.workers):
past the budget (NEWSMON_PARSE_TIMEOUT) the worker is killed, the document fails with "feed took
longer than N s to parse", and the other documents go on. Where this process may not have
children (a daemonic worker of some executors), parsing happens here, without the budget.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from newsmon.reader.formats import FeedRejected, ParsedFeed, parse_any
from newsmon.workers import Failed, WorkerPool

log = logging.getLogger("newsmon.feeds")


@dataclass(frozen=True)
class Rejected:
    """A FeedRejected as a plain value: it crosses the pipe from the worker (exceptions with
    extra constructor arguments do not unpickle)."""

    kind: str
    reason: str


def parse_job(content: bytes, headers: dict[str, str], url: str, max_entries: int) -> ParsedFeed | Rejected:
    """What a worker runs for one feed body."""
    try:
        return parse_any(content, headers, url, max_entries=max_entries)
    except FeedRejected as exc:
        return Rejected(exc.kind, exc.reason)


def too_slow(what: str, seconds: float) -> str:
    return f"{what} took longer than {seconds:g} s to parse; stopped"


def start_pool(fn: Callable[..., Any], workers: int, timeout: float, depth: int = 1) -> WorkerPool | None:
    """Parsing processes, forked now (before any fetch thread starts); None where this process
    may not have children. `depth`: jobs a worker may be sent at once (WorkerPool)."""
    try:
        return WorkerPool(fn, workers, timeout, depth)
    except (AssertionError, OSError) as exc:
        log.warning("no parsing processes (%s): documents are parsed here, without a time budget", exc)
        return None


def run_once(fn: Callable[..., Any], args: tuple[Any, ...], timeout: float, what: str) -> Any:
    """`fn(*args)` in a worker process within `timeout` seconds. Raises TimeoutError("<what> took
    longer than N s to parse; stopped") past it, RuntimeError when the worker died; the result
    otherwise (in this process when no worker can be started)."""
    pool = start_pool(fn, 1, timeout)
    if pool is None:
        return fn(*args)
    jobs: Iterator[tuple[Any, tuple[Any, ...]]] = iter([(0, args)])

    def next_job(_wait: float) -> tuple[Any, tuple[Any, ...]] | None:
        return next(jobs)  # StopIteration after the one job: what WorkerPool.run expects

    with pool:
        for _key, result in pool.run(next_job):
            if isinstance(result, Failed):
                if result.timed_out:
                    raise TimeoutError(too_slow(what, timeout))
                raise RuntimeError(f"{what}: {result.reason}")
            return result
    raise RuntimeError(f"{what}: no result from the parsing process")
