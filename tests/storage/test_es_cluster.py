"""scripts/elasticsearch with NEWSMON_ES_NODES=3: a real 3-node cluster of its own.

Starts three JVMs (512 MB heap each) on ports that do not clash with the suite's Elasticsearch
(NEWSMON_TEST_CLUSTER_PORT, default 9420: HTTP 9420-9422, transport 9520-9522) and a state folder
in a temporary directory. It takes about a minute on a busy 2-core machine, so it runs only when
asked for: `pytest -m cluster` or NEWSMON_TEST_CLUSTER=1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.servers import port_free

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "elasticsearch"
PORT = int(os.environ.get("NEWSMON_TEST_CLUSTER_PORT", "9420"))
NODES = 3


def _our_processes(home: Path) -> list[int]:
    """Pids of launcher JVMs that run from this test's state folder."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"newsmon.es.LocalNode " + str(home / "home").encode() + b" " in cmdline:
            pids.append(int(entry.name))
    return pids


class Cluster:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {
            **os.environ,
            "NEWSMON_ES_HOME": str(home),
            "NEWSMON_ES_PORT": str(PORT),
            "NEWSMON_ES_NODES": str(NODES),
            "NEWSMON_ES_START_TIMEOUT": "150",
        }

    def run(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result.stdout + result.stderr

    def url(self, node: int) -> str:
        return f"http://127.0.0.1:{PORT + node - 1}"

    def health(self, node: int = 1, **params: str) -> dict:
        return httpx.get(f"{self.url(node)}/_cluster/health", params=params, timeout=70).json()


def _wanted(config: pytest.Config) -> bool:
    return os.environ.get("NEWSMON_TEST_CLUSTER") == "1" or "cluster" in (config.getoption("markexpr") or "")


@pytest.fixture
def cluster(request: pytest.FixtureRequest, tmp_path: Path):
    if not _wanted(request.config):
        pytest.skip("starts a 3-node cluster (about a minute): run with `pytest -m cluster`")
    busy = [p for n in range(NODES) for p in (PORT + n, PORT + 100 + n) if not port_free(p)]
    if busy:
        pytest.skip(f"ports {busy} are in use; set NEWSMON_TEST_CLUSTER_PORT")
    home = tmp_path / "es"
    # Reuse the repository's resolved artifacts, launcher and plugin when there are any: the script
    # rebuilds whatever is missing or outdated, so this only saves the Maven resolution.
    local = ROOT / ".local" / "elasticsearch"
    if (local / "lib" / ".complete").exists():
        home.mkdir()
        for part in ("lib", "runner", "home"):
            if (local / part).exists():
                shutil.copytree(local / part, home / part, symlinks=True)
    c = Cluster(home)
    yield c
    # Also on failure: stop what the script knows about, then anything of ours it lost track of.
    c.run("stop", timeout=120)
    for pid in _our_processes(home):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


def test_three_node_cluster_survives_a_node(cluster: Cluster) -> None:
    began = time.monotonic()
    cluster.ok("start")
    started = time.monotonic() - began
    health = cluster.health()
    assert (health["status"], health["number_of_nodes"]) == ("green", 3)
    for node in (1, 2, 3):
        assert (cluster.home / f"node-{node}.pid").exists()
        assert (cluster.home / "nodes" / str(node) / "data").is_dir()
    status = cluster.ok("status")
    for node in (1, 2, 3):
        assert f"node {node}: running" in status and cluster.url(node) in status
    # Every node has the analysis plugin: the language analyzer works wherever a shard lands.
    plugins = httpx.get(f"{cluster.url(1)}/_cat/plugins", params={"h": "name,component"}, timeout=10).text
    assert sorted(line.split()[0] for line in plugins.splitlines() if "newsmon-analysis" in line) == [
        "newsmon-1",
        "newsmon-2",
        "newsmon-3",
    ]

    # start is idempotent: nothing is restarted.
    pids = [(cluster.home / f"node-{n}.pid").read_text().strip() for n in (1, 2, 3)]
    cluster.ok("start")
    assert [(cluster.home / f"node-{n}.pid").read_text().strip() for n in (1, 2, 3)] == pids

    index = f"{cluster.url(1)}/t-cluster"
    created = httpx.put(
        index,
        json={
            "settings": {"number_of_shards": 3, "number_of_replicas": 1},
            "mappings": {"properties": {"body": {"type": "text", "analyzer": "english"}}},
        },
        timeout=60,
    )
    assert created.status_code == 200, created.text
    lines = []
    for n in range(20):
        lines += [json.dumps({"index": {"_id": str(n)}}), json.dumps({"body": f"weapons consultations {n}"})]
    bulk = httpx.post(
        f"{index}/_bulk",
        params={"refresh": "true"},
        content="\n".join(lines) + "\n",
        headers={"content-type": "application/x-ndjson"},
        timeout=60,
    )
    assert bulk.status_code == 200 and not bulk.json()["errors"], bulk.text
    assert cluster.health(wait_for_status="green", timeout="60s")["status"] == "green"

    cluster.ok("stop", "--node", "2")
    assert not (cluster.home / "node-2.pid").exists()
    health = cluster.health(1, wait_for_nodes="2", timeout="60s")
    assert health["number_of_nodes"] == 2 and health["status"] in ("yellow", "green"), health
    for node in (1, 3):
        count = httpx.post(
            f"{cluster.url(node)}/t-cluster/_count", json={"query": {"match": {"body": "weapon"}}}, timeout=30
        ).json()
        assert count["count"] == 20, count
    status = cluster.ok("status")
    assert "node 1: running" in status and "node 3: running" in status and "node 2: running" not in status

    cluster.ok("start")
    health = cluster.health()
    assert (health["status"], health["number_of_nodes"]) == ("green", 3)

    cluster.ok("stop")
    assert _our_processes(cluster.home) == []
    assert cluster.run("status").returncode == 3
    print(f"3-node start: {started:.1f}s, whole test: {time.monotonic() - began:.1f}s")
