"""Delivery within bounds, whatever the receivers and the other runs do: two runs at once send each
event once, a trickling or silent receiver costs one deadline per attempt and then its channel is
skipped for the run, and a rule that matches everything sends a capped number of messages. Real
Elasticsearch, real HTTP receivers on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from newsmon.alerts.delivery import deliver_instant
from newsmon.alerts.rules import load_alerts
from newsmon.settings import load_settings
from newsmon.storage import Storage
from newsmon.storage.client import make_client

pytestmark = pytest.mark.integration

ALERTS = """
channels:
  - {id: hook, type: webhook, url_env: TEST_HOOK_URL}
rules:
  - {id: everything, name: Everything, query: '*', channels: [hook]}
"""


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NEWSMON_ALERT_RETRY_DELAYS", "0.01,0.01,0.01")
    path = tmp_path / "alerts.yaml"
    path.write_text(ALERTS, encoding="utf-8")
    return load_alerts(path)


def make_events(storage: Storage, n: int, rule: str = "everything") -> list[str]:
    events = [
        {
            "id": f"{rule}-{i:04d}", "rule_id": rule, "rule_name": rule.title(), "article_id": f"a{i}",
            "title": f"Story {i}", "url": f"https://news.example/{i}", "source_domain": "news.example",
            "mode": "instant", "status": "pending", "channels": ["hook"], "attempts": 0,
            "created_at": f"2026-11-28T10:{i // 60:02d}:{i % 60:02d}Z", "published_at": "2026-11-28T09:00:00Z",
        }
        for i in range(n)
    ]  # fmt: skip
    for outcome in storage.alert_events.create(events):
        assert outcome.ok, outcome
    storage.alert_events.refresh()
    return [e["id"] for e in events]


def sent_ids(received: list[dict]) -> Counter[str]:
    return Counter(e["id"] for body in received for e in body["events"])


def test_two_runs_at_once_deliver_each_alert_once(storage, loaded, webhook, monkeypatch, es_url):
    monkeypatch.setenv("TEST_HOOK_URL", webhook.url)
    monkeypatch.setenv("NEWSMON_ALERT_CAP_PER_RULE", "1000")
    ids = make_events(storage, 40)
    start = threading.Barrier(2)
    results: list[dict] = []

    def one_run() -> None:
        with Storage(make_client(load_settings({"NEWSMON_ES_URL": es_url})), storage.prefix, es_url) as mine:
            start.wait()
            results.append(deliver_instant(mine, loaded))

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = sent_ids(webhook.received)
    assert set(counts) == set(ids) and max(counts.values()) == 1, counts.most_common(3)
    assert sum(r["delivered"] for r in results) == 40 and all(r["failed"] == 0 for r in results)
    storage.alert_events.refresh()
    assert {e["status"] for e in storage.alert_events.history(size=100)} == {"delivered"}
    assert deliver_instant(storage, loaded)["delivered"] == 0  # nothing left for a third run


def test_rule_matching_everything_sends_capped_messages_and_one_more(storage, loaded, webhook, monkeypatch):
    monkeypatch.setenv("TEST_HOOK_URL", webhook.url)
    monkeypatch.setenv("NEWSMON_ALERT_CAP_PER_RULE", "10")
    ids = make_events(storage, 300)
    result = deliver_instant(storage, loaded)
    assert len(webhook.received) == 11
    singles, more = webhook.received[:10], webhook.received[10]
    assert all(b["type"] == "newsmon.alert" for b in singles)
    assert more["type"] == "newsmon.alert.more" and more["more"] == 290 and len(more["events"]) == 290
    assert sent_ids(webhook.received) == Counter({i: 1 for i in ids})
    assert result == {"delivered": 300, "aggregated": 290, "failed": 0}
    storage.alert_events.refresh()
    stored = storage.alert_events.history(size=300)
    assert {e["status"] for e in stored} == {"delivered"}
    assert sum(1 for e in stored if e.get("aggregated")) == 290
    assert deliver_instant(storage, loaded)["delivered"] == 0 and len(webhook.received) == 11


class SlowReceiver:
    """Accepts connections and reads the request; then either never answers (`silent`) or trickles
    its status line and headers one byte a second, forever."""

    def __init__(self, silent: bool) -> None:
        self.silent = silent
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.connections = 0
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 10_000
                for byte in head:
                    if self.stop.wait(1.0 if self.silent else 0.5):
                        return
                    if not self.silent:
                        conn.sendall(bytes([byte]))
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.mark.parametrize("silent", [False, True], ids=["trickling", "silent"])
def test_trickling_or_silent_webhook_costs_one_deadline_per_attempt_then_is_skipped(
    storage, loaded, monkeypatch, silent
):
    receiver = SlowReceiver(silent)
    monkeypatch.setenv("TEST_HOOK_URL", receiver.url)
    monkeypatch.setenv("NEWSMON_ALERT_DEADLINE", "1.5")
    monkeypatch.setenv("NEWSMON_ALERT_BREAKER_FAILURES", "3")
    ids = make_events(storage, 5)
    try:
        began = time.monotonic()
        result = deliver_instant(storage, loaded)
        took = time.monotonic() - began
    finally:
        receiver.close()
    # Three attempts of at most 1.5 s each (per-operation timeouts alone never end a trickle),
    # then the channel is left alone for the rest of the run: no connection for the other events.
    assert receiver.connections == 3
    assert took < 60, took  # a bound, not a measurement: the old code never ended a trickle
    assert result == {"delivered": 0, "aggregated": 0, "failed": 5}
    storage.alert_events.refresh()
    events = {e["id"]: e for e in storage.alert_events.history(size=10)}
    assert set(events) == set(ids) and {e["status"] for e in events.values()} == {"failed"}
    errors = [e.get("last_error") or "" for e in events.values()]
    assert all("skipped for the rest of the run" in err for err in errors)
    assert (
        sum("timed out after 1.5s" in err for err in errors) == 1
    )  # the event whose tries opened the breaker
