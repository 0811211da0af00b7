"""What the pass benchmarks share: a site served on loopback by its own process, the settings of a
pass over its feeds, and the CPU of the local Elasticsearch node."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from newsmon.settings import Settings, load_settings
from newsmon.storage import Storage

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def served(command: list[str]) -> Iterator[str]:
    """Run `command` (a server that prints its base URL on its first line) and yield that URL.
    A separate process, so that serving the pages costs the measured side nothing."""
    server = subprocess.Popen(
        [sys.executable, *command], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT
    )
    try:
        yield (server.stdout.readline() if server.stdout else "").strip()
    finally:
        server.terminate()
        server.wait(timeout=10)


def site(root: Path, host: str = "127.0.0.1") -> list[str]:
    """The command serving the files under `root` (devsite) on `host`."""
    return ["-m", "devsite", str(root), "--host", host, "--port", "0"]


HOSTS = tuple(f"127.0.0.{i}" for i in range(2, 10))  # loopback addresses standing for outlets


@contextmanager
def served_hosts(root: Path, hosts: int = len(HOSTS)) -> Iterator[list[str]]:
    """The files under `root` served on `hosts` loopback addresses (127.0.0.2, 127.0.0.3, ...),
    one devsite process each, as a deployment's pages come from many outlets; yields their base
    URLs. Per-host politeness then applies per outlet, as it does in production."""
    with ExitStack() as stack:
        yield [stack.enter_context(served(site(root, host))) for host in HOSTS[:hosts]]


def pass_settings(
    tmp: Path,
    feed_urls: list[str],
    max_entries: int,
    feed_prefix: str,
    alerts: str | None = None,
    polite: bool = False,
) -> Settings:
    """Settings of a pass over `feed_urls` under a fresh index prefix, with a feeds file in `tmp`
    (and an alerts file with `alerts`, else the shipped rules). With `polite`, the default per-host
    politeness (2 at a time, 0.1 s apart), for pages spread over several hosts (`served_hosts`);
    without, it is off: where every page comes from one loopback host, it would measure the gap,
    not newsmon."""
    feeds_file = tmp / "feeds.yaml"
    lines = ["feeds:"] + [
        f"  - {{id: {feed_prefix}-{i}, url: '{url}', max_entries: {max_entries}}}"
        for i, url in enumerate(feed_urls)
    ]
    feeds_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = dict(os.environ, NEWSMON_INDEX_PREFIX=f"bench-{uuid.uuid4().hex[:8]}-", NEWSMON_ALLOW_PRIVATE_NETWORKS="1",
               NEWSMON_FEEDS_FILE=str(feeds_file))  # fmt: skip
    if alerts is not None:
        alerts_file = tmp / "alerts.yaml"
        alerts_file.write_text(alerts, encoding="utf-8")
        env["NEWSMON_ALERTS_FILE"] = str(alerts_file)
    return load_settings(env) if polite else load_settings(env, host_concurrency=64, host_min_gap=0.0)


def drop(settings: Settings) -> None:
    """Delete everything a benchmark wrote under its prefix."""
    with Storage.from_settings(settings) as storage:
        storage.drop_all()


def local_es_cpu() -> float:
    """CPU seconds used so far by the local Elasticsearch node (scripts/elasticsearch), read from
    /proc: exact, where the nodes' stats refresh once a second. 0 when it is not ours to read."""
    base = Path(os.environ.get("NEWSMON_ES_HOME", ROOT / ".local" / "elasticsearch"))
    try:
        pid = int((base / "node-1.pid").read_text().split()[0])
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, ValueError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
