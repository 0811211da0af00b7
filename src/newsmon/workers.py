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
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any

POLL_S = 0.05  # how often an idle pool looks for new jobs while workers are busy
# A job waits in a busy worker's pipe only if it fits there at once (a local socket pair holds
# about 200 KB on Linux): sending must never wait for a worker that may be stuck.
QUEUED_MAX_BYTES = 64 * 1024


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
        # Jobs sent and not answered yet, oldest first: the first is running, the others wait in
        # the pipe. `started`: when the first began (for a waiting one, when the one before ended).
        self.jobs: deque[tuple[Any, tuple[Any, ...]]] = deque()
        self.started = 0.0
        self.sending = threading.Lock()

    @property
    def busy(self) -> bool:
        return bool(self.jobs)

    @property
    def key(self) -> Any:
        return self.jobs[0][0] if self.jobs else None

    def take(self, key: Any, args: tuple[Any, ...]) -> bool:
        """Count the job as this worker's (under the pool's lock); `send` sends it. The sending
        lock is taken here, before the pool's lock is let go, so jobs are sent in this order;
        False while another job is being sent to it."""
        if not self.sending.acquire(blocking=False):
            return False
        if not self.jobs:
            self.started = time.monotonic()
        self.jobs.append((key, args))
        return True

    def send(self, data: bytes) -> None:
        """Outside the pool's lock: a send gives the interpreter up, and the thread may wait long
        to get it back while sixteen fetching threads run."""
        try:
            self.conn.send_bytes(data)
        except OSError:
            pass  # stopped meanwhile: its jobs were handed on, and its death is seen by `run`
        finally:
            self.sending.release()

    def answered(self) -> Any:
        """The key of the job whose result was just read."""
        key = self.jobs.popleft()[0]
        self.started = time.monotonic()  # the next job began when this one ended, at the latest
        return key

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        with self.sending:  # a send under way ends (at once, if the process is killed)
            if not kill:
                try:
                    self.conn.send(None)
                except OSError:
                    self.proc.kill()
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


class WorkerPool:
    """`workers` forked processes running `fn(*args)`; `run` yields (key, result or Failed).

    With `depth` 2 or more, a busy worker is also sent the next job (if small: QUEUED_MAX_BYTES)
    to start as soon as it is done, so that it does not wait for this process to hand it one. A
    job waiting behind one that is stopped goes to the next worker free; its budget counts from the
    moment the job before it ended. Other threads may `offer` jobs while `run` runs: a thread that
    has a job sends it itself, rather than wait for the thread in `run` to get the interpreter back
    from them (with sixteen fetching threads, that thread could wait for the whole fetch)."""

    def __init__(self, fn: Callable[..., Any], workers: int, timeout: float, depth: int = 1) -> None:
        self.fn = fn
        self.timeout = timeout
        self.depth = max(1, depth)
        self.workers = [_Worker(fn) for _ in range(max(1, workers))]
        self.replaced = 0
        self._held: deque[tuple[Any, tuple[Any, ...], bytes]] = deque()  # taken, not sent yet
        self._lock = threading.Lock()  # the workers' jobs and `_held`, which `offer` changes too
        self._closed = False

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self.workers = self.workers, []
        for w in workers:
            w.stop(kill=w.busy)

    def offer(self, key: Any, args: tuple[Any, ...]) -> bool:
        """From any thread: send the job to a worker that has room for it now (an idle one first);
        False when none has (then hand it to `run` through next_job). `run` yields its result."""
        data = _pickled(args)
        with self._lock:
            worker = None if self._closed or self._held else self._take(key, args, data)
        if worker is None:
            return False
        worker.send(data)
        return True

    def _take(self, key: Any, args: tuple[Any, ...], data: bytes) -> _Worker | None:
        """Under the lock: the least busy worker, if it may take the job (to be sent to it)."""
        worker = min(self.workers, key=lambda w: len(w.jobs), default=None)
        if worker is None or len(worker.jobs) >= self.depth:
            return None
        if worker.busy and len(data) > QUEUED_MAX_BYTES:
            return None  # too big to wait in the pipe: it goes to the next idle worker
        return worker if worker.take(key, args) else None

    def _replace(self, worker: _Worker, kill: bool) -> Any:
        """Under the lock: a new worker for `worker`; the key of the job it was running."""
        key = worker.key
        worker.stop(kill=kill)
        # The jobs that were waiting behind the stopped one have not run: they go to another worker.
        self._held.extendleft((k, args, _pickled(args)) for k, args in reversed(list(worker.jobs)[1:]))
        self.workers[self.workers.index(worker)] = _Worker(self.fn)
        self.replaced += 1
        return key

    def run(
        self,
        next_job: Callable[[float], tuple[Any, tuple[Any, ...]] | None],
        doorbell: Doorbell | None = None,
    ) -> Iterator[tuple[Any, Any]]:
        """Results as they come, of the jobs from next_job and from `offer`. `next_job(wait_s)`
        returns the next (key, args), None when there is none yet (after waiting at most wait_s),
        or raises StopIteration when there are no more. With a `doorbell` rung whenever a job is
        added, a worker with room gets it at once; without, within POLL_S or when a busy worker
        finishes."""
        more = True
        while True:
            more = self._hand_out(next_job, more)
            with self._lock:
                busy_workers = [w for w in self.workers if w.busy]
                room = any(len(w.jobs) < self.depth for w in self.workers)
                held = bool(self._held)
                oldest = min((w.started for w in busy_workers), default=0.0)
            if not busy_workers:
                if not more and not held:
                    return
                continue
            watched: list[Any] = [w.conn for w in busy_workers]
            if doorbell is not None and more and room:
                watched.append(doorbell)
            left = oldest + self.timeout - time.monotonic()
            ready: list[Any] = wait(watched, timeout=max(0.0, min(left, POLL_S)))
            if doorbell is not None and doorbell in ready:
                doorbell.clear()  # before next_job looks: a job added after this rings again
            yield from self._results(busy_workers, ready)

    def _hand_out(self, next_job: Callable[[float], tuple[Any, tuple[Any, ...]] | None], more: bool) -> bool:
        """Give workers the jobs there are now, an idle worker first; whether next_job may have
        more (False once it has said there are none)."""
        while True:
            with self._lock:
                sends = []
                while self._held and (worker := self._take(*self._held[0])) is not None:
                    sends.append((worker, self._held.popleft()[2]))
                full = bool(self._held) or not any(len(w.jobs) < self.depth for w in self.workers)
                busy = any(w.busy for w in self.workers)
            for worker, data in sends:
                worker.send(data)
            if full:
                return more
            if not more:
                return False
            try:
                job = next_job(0.0 if busy else POLL_S)
            except StopIteration:
                return False
            if job is None:
                return True
            key, args = job
            data = _pickled(args)
            with self._lock:
                taker = self._take(key, args, data)
                if taker is None:
                    self._held.append((key, args, data))
            if taker is not None:
                taker.send(data)

    def _results(self, busy_workers: list[_Worker], ready: list[Any]) -> Iterator[tuple[Any, Any]]:
        for w in busy_workers:
            if w.conn in ready:
                try:
                    result = w.conn.recv()
                except (EOFError, OSError):
                    with self._lock:
                        code = w.proc.exitcode if not w.proc.is_alive() else None
                        key = self._replace(w, kill=True)
                    yield key, Failed(f"extraction worker died (exit code {code})")
                    continue
                with self._lock:
                    key = w.answered()
                yield key, result
                continue
            with self._lock:
                if time.monotonic() - w.started <= self.timeout:
                    continue
                key = self._replace(w, kill=True)
            yield key, Failed(f"extraction took more than {self.timeout:g} s; stopped", timed_out=True)


def _pickled(args: tuple[Any, ...]) -> bytes:
    return bytes(ForkingPickler.dumps(args))
