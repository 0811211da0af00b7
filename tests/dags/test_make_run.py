"""`make run` (scripts/run) stops on one Ctrl-C: SIGINT to its process group, as a terminal sends it,
ends the script and every Airflow process within 20 s. Slow (airflow standalone takes 10-25 s to
come up on an idle machine, minutes on a loaded one): marked `slow`, run by `make test-slow`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.helpers.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _alive(pid: int) -> bool:
    """Running, not a zombie: in a container nothing may reap an orphan that has exited."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _in_groups(groups: set[int]) -> list[int]:
    """Live processes whose process group or session is one of `groups`."""
    out = subprocess.run(["ps", "-eo", "pid=,pgid=,sid="], capture_output=True, text=True).stdout
    pids = []
    for line in out.splitlines():
        pid, group, session = (int(x) for x in line.split())
        if (group in groups or session in groups) and _alive(pid):
            pids.append(pid)
    return pids


def _descendants(root: int) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        pid, ppid = (int(x) for x in line.split())
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


LISTEN = "0A"  # the state column of /proc/net/tcp for a listening socket


def _listening_on(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp and tcp6 show them) of sockets listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == LISTEN:
                found.add(address)
    return found


def test_one_ctrl_c_stops_make_run_within_20_s_leaving_no_process(es_url, prefix, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "NEWSMON_ES_URL": es_url,
        "NEWSMON_ES_PORT": str(urlsplit(es_url).port),
        "NEWSMON_INDEX_PREFIX": prefix,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    env.pop("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", None)
    log = open(tmp_path / "run.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "run")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )  # fmt: skip
    pgid = proc.pid
    try:
        deadline = time.monotonic() + 300  # a loaded 2-core machine: minutes
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"scripts/run exited early:\n{(tmp_path / 'run.log').read_text()[-3000:]}")
            if b"Ctrl-C to stop" in (tmp_path / "run.log").read_bytes():
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"Airflow did not come up:\n{(tmp_path / 'run.log').read_text()[-3000:]}")
        # The API server, which serves the search page too, is reachable from this machine only.
        assert _listening_on(port) == {"0100007F"}  # 127.0.0.1
        airflow = _descendants(proc.pid)
        assert len(airflow) >= 4, "standalone and its components"
        groups = {pgid, *airflow}
        started = time.monotonic()
        os.killpg(pgid, signal.SIGINT)  # one Ctrl-C
        proc.wait(timeout=25)
        took = time.monotonic() - started
        assert took < 20, f"the script took {took:.1f} s"
        # Within the same 20 s, every Airflow process must be gone (one may still be exiting).
        while True:
            left = sorted({p for p in airflow if _alive(p)} | set(_in_groups(groups)))
            if not left or time.monotonic() - started > 20:
                break
            time.sleep(0.2)
        names = {
            p: Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ")[:80] for p in left if _alive(p)
        }
        assert left == [], f"left running: {names}"
    finally:
        for pid in _descendants(proc.pid) + _in_groups({pgid}):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if proc.poll() is None:
            proc.kill()
        log.close()
