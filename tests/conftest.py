"""Shared fixtures. Airflow's environment is set here before anything imports airflow."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("AIRFLOW_HOME", str(ROOT / ".local" / "airflow-test"))
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(ROOT / "plugins"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("NEWSMON_CONFIG_DIR", str(ROOT / "config"))

SITE = ROOT / "examples" / "site"
ES_URL = os.environ.get("NEWSMON_ES_URL", "http://127.0.0.1:9200")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _es_up(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/_cluster/health", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="session")
def es_url() -> str:
    if not _es_up(ES_URL):
        message = f"no Elasticsearch at {ES_URL} (run `make test`, which starts it)"
        if os.environ.get("NEWSMON_TEST_REQUIRE_ES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return ES_URL


@pytest.fixture
def prefix(es_url: str) -> Iterator[str]:
    """A fresh index prefix per test; its indices and templates are deleted afterwards."""
    from elasticsearch import Elasticsearch

    from newsmon.storage import Storage

    value = f"t{uuid.uuid4().hex[:10]}-"
    yield value
    with Storage(Elasticsearch(es_url), value, es_url) as storage:
        storage.drop_all()


# The demo site's two feeds (the wire outlet and the scraper republishing it); `% {"base": site.base_url}`.
DEMO = """
feeds:
  - {id: meridian-wire, url: "%(base)s/outlet/rss.xml"}
  - {id: scraper-blog, url: "%(base)s/scraper/feed.atom"}
"""


@pytest.fixture(scope="session")
def site() -> Iterator[object]:
    from devsite.server import DevSite

    with DevSite(SITE) as server:
        yield server


@pytest.fixture
def settings_for(es_url: str, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Build Settings for a test: the test's prefix, loopback allowed, a feeds file of its own."""
    from newsmon.settings import load_settings

    def make(feeds_yaml: str, **overrides: object):
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(feeds_yaml, encoding="utf-8")
        env = {
            "NEWSMON_ES_URL": es_url,
            "NEWSMON_INDEX_PREFIX": prefix,
            "NEWSMON_ALLOW_PRIVATE_NETWORKS": "1",
            "NEWSMON_FEEDS_FILE": str(feeds),
            "NEWSMON_CONFIG_DIR": str(ROOT / "config"),
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return load_settings(**overrides)

    return make


class Receiver:
    """A real HTTP server on loopback that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        import json as _json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received: list[dict] = []
        self.received = received
        self.status = 200

        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (stdlib name)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                if outer.status < 300:
                    received.append(_json.loads(body or b"null"))
                self.send_response(outer.status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback; `start()` may be called late to test retries."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[object] = []
        self.controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
                from email import message_from_bytes, policy

                sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port())
    yield sink
    sink.stop()
