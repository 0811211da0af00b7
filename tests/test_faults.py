"""Faults with real services: Elasticsearch stopped mid-pass (its own node, never the shared one),
the SMTP server down for one pass, a feed server that resets the connection half-way."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.errors import StoreUnavailable
from newsmon.run import run_pass
from newsmon.storage import Storage
from newsmon.storage import backend as backend_module
from newsmon.storage.backend import Backend
from tests.helpers.records import DEMO
from tests.helpers.servers import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]

HOOK_RULES = """
channels:
  - {id: hook, type: webhook, url_env: NEWSMON_TEST_HOOK}
rules:
  - {id: watch, name: Watch, query: Riabkov, channels: [hook]}
"""


class OwnNode:
    """An Elasticsearch node of this test's own, on its own port and data directory, reusing the
    artifacts the shared node was installed from (no Maven run)."""

    def __init__(self, base: Path) -> None:
        installed = Path(os.environ.get("NEWSMON_ES_HOME") or ROOT / ".local" / "elasticsearch")
        if not (installed / "lib" / ".complete").exists():
            pytest.skip(f"no installed Elasticsearch artifacts under {installed}")
        (base / "home" / "config").mkdir(parents=True)
        (base / "home" / "plugins").mkdir()
        for part in ("lib", "runner"):
            (base / part).symlink_to(installed / part)
        (base / "home" / "modules").symlink_to(installed / "home" / "modules")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {
            "NEWSMON_ES_PORT": str(self.port), "NEWSMON_ES_HOME": str(base), "NEWSMON_ES_HEAP": "384m",
        }  # fmt: skip

    def _script(self, action: str) -> None:
        subprocess.run(
            [str(ROOT / "scripts" / "elasticsearch"), action], env=self.env, check=True, timeout=240
        )

    def start(self) -> None:
        self._script("start")

    def stop(self) -> None:
        self._script("stop")


@pytest.fixture
def own_node(tmp_path) -> Iterator[OwnNode]:
    node = OwnNode(tmp_path / "es")
    node.start()
    try:
        yield node
    finally:
        node.stop()


def _rules(tmp_path: Path, monkeypatch, text: str) -> None:
    path = tmp_path / "alerts.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("NEWSMON_ALERTS_FILE", str(path))


@pytest.mark.slow  # starts, stops and restarts a node of its own: 1-3 minutes on a loaded machine
def test_elasticsearch_stopped_mid_pass_then_the_retried_pass_indexes_once_and_alerts_once(
    site, settings_for, own_node, tmp_path, webhook, monkeypatch
):
    monkeypatch.setenv("NEWSMON_TEST_HOOK", webhook.url)
    _rules(tmp_path, monkeypatch, HOOK_RULES)
    settings = settings_for(DEMO % {"base": site.base_url}, bulk_chunk=2, es_url=own_node.url)
    monkeypatch.setenv("NEWSMON_ES_URL", own_node.url)
    monkeypatch.setattr(backend_module, "BULK_ATTEMPTS", 3)
    monkeypatch.setattr(backend_module, "BULK_BACKOFF_S", 0.05)
    real_chunk = Backend._bulk_chunk
    chunks: list[int] = []

    def stop_after_the_first_chunk(self, chunk, redirect=None):
        yield from real_chunk(self, chunk, redirect)
        chunks.append(len(chunk))
        if len(chunks) == 1:
            own_node.stop()  # Elasticsearch goes away in the middle of the batch's bulk

    monkeypatch.setattr(Backend, "_bulk_chunk", stop_after_the_first_chunk)
    with pytest.raises(StoreUnavailable):
        run_pass(settings)
    assert webhook.received == []
    monkeypatch.setattr(Backend, "_bulk_chunk", real_chunk)
    own_node.start()
    retried = run_pass(settings)  # what Airflow's retry does
    again = run_pass(settings)
    assert retried.alerts_fired == 1 and again.alerts_fired == 0 and again.articles_new == 0
    assert len(webhook.received) == 1  # alerts sent once
    with Storage.from_settings(settings) as storage:
        storage.articles.refresh()
        urls = [h["_source"]["url"] for h in storage.articles.scan({"match_all": {}}, source=["url"])]
        assert len(urls) == len(set(urls)) == 6  # every article indexed exactly once
        assert (
            storage.pending.waiting("pending_cluster") == []
            and storage.pending.waiting("pending_alert") == []
        )


def test_smtp_down_for_one_pass_the_alert_arrives_once_on_the_next(
    site, settings_for, smtp_sink, tmp_path, monkeypatch
):
    monkeypatch.setenv("NEWSMON_ALERT_RETRY_DELAYS", "0.05")
    monkeypatch.setenv("NEWSMON_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NEWSMON_SMTP_PORT", str(smtp_sink.port))
    _rules(tmp_path, monkeypatch, """
channels:
  - {id: mail, type: email, to: [analyst@example.org]}
rules:
  - {id: watch, name: Watch, query: Riabkov, channels: [mail]}
""")  # fmt: skip
    settings = settings_for(DEMO % {"base": site.base_url})
    down = run_pass(settings)  # nothing listens on the SMTP port
    assert down.alerts_fired == 1 and down.alerts_delivered == 0 and down.alerts_failed == 1
    smtp_sink.start()
    up = run_pass(settings)
    assert up.alerts_fired == 0 and up.alerts_delivered == 1
    run_pass(settings)
    assert (
        len(smtp_sink.messages) == 1 and "Riabkov" in smtp_sink.messages[0].get_body(("plain",)).get_content()
    )


class ResettingFeedServer:
    """Answers every request with a 200, half an RSS document, then a TCP reset."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/feed.xml"
        self.hits = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Half</title>' + b"<item>" * 2000
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            try:
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                    + f"Content-Length: {len(body) * 4}\r\n\r\n".encode()
                    + body
                )
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            finally:
                conn.close()  # with SO_LINGER 0: RST, half-way through the announced body

    def close(self) -> None:
        self.sock.close()


def test_a_feed_server_that_resets_connections_half_way(site, settings_for, tmp_path, monkeypatch):
    _rules(tmp_path, monkeypatch, "rules: []\n")
    server = ResettingFeedServer()
    try:
        settings = settings_for(
            DEMO % {"base": site.base_url} + f'  - {{id: resetting, url: "{server.url}"}}\n'
        )
        summary = run_pass(settings)
    finally:
        server.close()
    assert server.hits >= 1
    assert summary.feeds_total == 3 and summary.feeds_failed == 1 and summary.feeds_ok == 2
    assert any(e.get("feed") == "resetting" for e in summary.errors)
    assert summary.articles_new == 6  # the pass went on with the other feeds
