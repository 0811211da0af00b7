"""Shared fixtures. Airflow's environment is set here before anything imports airflow."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.servers import SmtpSink, WebhookReceiver, free_port

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("AIRFLOW_HOME", str(ROOT / ".local" / "airflow-test"))
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(ROOT / "plugins"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("NEWSMON_CONFIG_DIR", str(ROOT / "config"))

SITE = ROOT / "examples" / "site"
ES_URL = os.environ.get("NEWSMON_ES_URL", "http://127.0.0.1:9200")


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


@pytest.fixture
def storage(es_url: str, prefix: str) -> Iterator[object]:
    """A `Storage` on the test's prefix with templates and indices set up (`newsmon setup`)."""
    from newsmon.settings import load_settings
    from newsmon.storage import Storage
    from newsmon.storage.client import make_client

    with Storage(make_client(load_settings({"NEWSMON_ES_URL": es_url})), prefix, es_url) as s:
        s.setup()
        yield s


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


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port())
    yield sink
    sink.stop()
