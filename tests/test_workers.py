"""Worker processes with a budget per job: jobs waiting in a busy worker's pipe, jobs offered by
other threads, and what happens to a waiting job when the one before it is stopped."""

from __future__ import annotations

import threading
import time
from typing import Any

from newsmon.workers import QUEUED_MAX_BYTES, Doorbell, Failed, WorkerPool


def _nap(seconds: float, payload: bytes = b"") -> str:
    time.sleep(seconds)
    return f"slept {seconds}"


def _jobs(*jobs: tuple[str, tuple[Any, ...]]):
    pending = iter(jobs)

    def next_job(_wait: float) -> tuple[str, tuple[Any, ...]] | None:
        return next(pending)  # StopIteration once they are all given

    return next_job


def test_a_job_waiting_behind_a_stuck_one_runs_on_another_worker():
    # Two workers, two jobs each at most: "after" waits in the pipe of the worker stuck on
    # "stuck"; when that worker is killed, "after" goes to the other worker and still runs.
    with WorkerPool(_nap, 2, timeout=1.0, depth=2) as pool:
        started = time.monotonic()
        results = dict(
            pool.run(_jobs(("stuck", (60,)), ("busy", (0.3,)), ("after", (0.1,)), ("last", (0.1,))))
        )
        elapsed = time.monotonic() - started
    assert isinstance(results["stuck"], Failed) and results["stuck"].timed_out
    assert (
        results["busy"] == "slept 0.3" and results["after"] == "slept 0.1" and results["last"] == "slept 0.1"
    )
    assert elapsed < 3, f"took {elapsed:.1f} s with a 1 s budget"
    assert pool.replaced == 1


def test_jobs_offered_by_other_threads_come_back_once_each():
    refused: list[tuple[str, tuple[Any, ...]]] = []
    offered = threading.Event()
    doorbell = Doorbell()

    def next_job(wait_s: float) -> tuple[str, tuple[Any, ...]] | None:
        if refused:
            return refused.pop()
        if offered.is_set():
            raise StopIteration
        time.sleep(wait_s)
        return None

    with WorkerPool(_nap, 2, timeout=10.0, depth=2) as pool:

        def offer() -> None:
            for i in range(20):
                if not pool.offer(f"job-{i}", (0.01,)):
                    refused.append((f"job-{i}", (0.01,)))
                    doorbell.ring()
            offered.set()
            doorbell.ring()

        thread = threading.Thread(target=offer)
        thread.start()
        keys = [key for key, result in pool.run(next_job, doorbell) if result == "slept 0.01"]
        thread.join()
    doorbell.close()
    assert sorted(keys) == sorted(f"job-{i}" for i in range(20))


def test_a_big_job_never_waits_in_a_busy_workers_pipe():
    # Sending must not wait for a worker that may be stuck: only a small job is queued behind a
    # busy one; a big one waits here for a worker that is free.
    big = b"x" * (QUEUED_MAX_BYTES + 1)
    with WorkerPool(_nap, 1, timeout=10.0, depth=2) as pool:
        assert pool.offer("first", (0.5,))
        assert not pool.offer("big", (0.0, big))
        assert pool.offer("small", (0.0,))
        assert not pool.offer("third", (0.0,))  # two at most
        results = dict(pool.run(_jobs(("big", (0.0, big)))))
    assert results == {"first": "slept 0.5", "small": "slept 0.0", "big": "slept 0.0"}
