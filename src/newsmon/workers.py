"""Worker processes for CPU-bound work on untrusted input, with a wall-clock budget per job.

Each worker does one job at a time, so a job past its budget is ended by killing its worker (the
only way to stop a regular expression stuck in C code or a parser that loops) and a fresh worker
takes its place; the other jobs go on. concurrent.futures' process pool cannot do that: it can only
be shut down whole.

Workers are forked, not spawned: spawn and forkserver re-run the caller's __main__ in every worker
(a script without a main guard breaks) and re-import trafilatura there. Forking is only safe from a
process without other threads, so the first workers are forked when the pool is created, before
the fetch threads exist. A replacement is forked later, with those threads running; the child only
runs `_serve` (no locks of the fetch threads are needed there), and a replacement is rare.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

POLL_S = 0.05  # how often an idle pool looks for new jobs while workers are busy


@dataclass(frozen=True)
class Failed:
    """A job that produced no result: `reason` says why (timed out, or its worker died)."""

    reason: str
    timed_out: bool = False


def _serve(conn: Connection, fn: Callable[..., Any]) -> None:
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            result: Any = fn(*job)
        except Exception as exc:  # fn should catch its own; never let one job end the worker
            result = Failed(f"{type(exc).__name__}: {exc}")
        conn.send(result)


class Doorbell:
    """Rung by the threads that make jobs (fetching threads), so that `WorkerPool.run`, waiting on
    busy workers, hands a new job to an idle worker at once rather than when a busy one finishes.
    A pipe: it wakes the same wait(2) that watches the workers' pipes."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def fileno(self) -> int:
        return self._read

    def ring(self) -> None:
        try:
            os.write(self._write, b"\0")
        except BlockingIOError:
            pass  # the pipe is full: it is ringing already

    def clear(self) -> None:
        try:
            while os.read(self._read, 4096):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)


class _Worker:
    def __init__(self, fn: Callable[..., Any]) -> None:
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, fn), daemon=True, name="newsmon-extract")
        self.proc.start()
        child.close()
        self.key: Any = None
        self.started = 0.0

    @property
    def busy(self) -> bool:
        return self.key is not None

    def give(self, key: Any, args: tuple[Any, ...]) -> None:
        self.key, self.started = key, time.monotonic()
        self.conn.send(args)

    def stop(self, kill: bool = False) -> None:
        if not kill:
            try:
                self.conn.send(None)
            except OSError:
                kill = True
        if kill:
            self.proc.kill()
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


class WorkerPool:
    """`workers` forked processes running `fn(*args)`; `run` yields (key, result or Failed)."""

    def __init__(self, fn: Callable[..., Any], workers: int, timeout: float) -> None:
        self.fn = fn
        self.timeout = timeout
        self.workers = [_Worker(fn) for _ in range(max(1, workers))]
        self.replaced = 0

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for w in self.workers:
            w.stop(kill=w.busy)
        self.workers = []

    def _replace(self, worker: _Worker, kill: bool) -> None:
        worker.stop(kill=kill)
        self.workers[self.workers.index(worker)] = _Worker(self.fn)
        self.replaced += 1

    def run(
        self,
        next_job: Callable[[float], tuple[Any, tuple[Any, ...]] | None],
        doorbell: Doorbell | None = None,
    ) -> Iterator[tuple[Any, Any]]:
        """Results as they come. `next_job(wait_s)` returns the next (key, args), None when there is
        none yet (after waiting at most wait_s), or raises StopIteration when there are no more.
        With a `doorbell` rung whenever a job is added, an idle worker gets it at once; without,
        within POLL_S or when a busy worker finishes."""
        more = True
        while True:
            more = more and self._hand_out(next_job)
            busy_workers = [w for w in self.workers if w.busy]
            if not busy_workers:
                if not more:
                    return
                continue
            now = time.monotonic()
            deadline = min(w.started for w in busy_workers) + self.timeout
            watched: list[Any] = [w.conn for w in busy_workers]
            if doorbell is not None and more and len(busy_workers) < len(self.workers):
                watched.append(doorbell)
            ready: list[Any] = wait(watched, timeout=max(0.0, min(deadline - now, POLL_S)))
            if doorbell is not None and doorbell in ready:
                doorbell.clear()  # before next_job looks: a job added after this rings again
            yield from self._results(busy_workers, ready)

    def _hand_out(self, next_job: Callable[[float], tuple[Any, tuple[Any, ...]] | None]) -> bool:
        """Give idle workers the jobs there are now; False once next_job says there are no more."""
        idle = [w for w in self.workers if not w.busy]
        while idle:
            busy = len(idle) < len(self.workers)
            try:
                job = next_job(0.0 if busy else POLL_S)
            except StopIteration:
                return False
            if job is None:
                break
            idle.pop().give(*job)
        return True

    def _results(self, busy_workers: list[_Worker], ready: list[Any]) -> Iterator[tuple[Any, Any]]:
        for w in busy_workers:
            key = w.key
            if w.conn in ready:
                try:
                    result = w.conn.recv()
                except (EOFError, OSError):
                    code = w.proc.exitcode if not w.proc.is_alive() else None
                    self._replace(w, kill=True)
                    yield key, Failed(f"extraction worker died (exit code {code})")
                    continue
                w.key = None
                yield key, result
            elif time.monotonic() - w.started > self.timeout:
                self._replace(w, kill=True)
                yield (
                    key,
                    Failed(f"extraction took more than {self.timeout:g} s; stopped", timed_out=True),
                )
