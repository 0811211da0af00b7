"""The search page and /api/search when Elasticsearch has no index yet or does not answer: a page in
words or a JSON error with the right status, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from newsmon.settings import load_settings
from newsmon.web.app import create_app
from tests.helpers.servers import free_port

pytestmark = pytest.mark.integration


def client_for(es_url: str, prefix: str) -> TestClient:
    settings = load_settings({"NEWSMON_ES_URL": es_url, "NEWSMON_INDEX_PREFIX": prefix})
    return TestClient(create_app(lambda: settings))


@pytest.fixture
def before_setup(es_url: str, prefix: str) -> Iterator[TestClient]:
    """The app on a prefix `newsmon setup` has not run for: the cluster answers, no index."""
    with client_for(es_url, prefix) as client:
        yield client


def test_page_before_setup_says_not_set_up(before_setup, prefix):
    resp = before_setup.get("/", params={"q": "treaty"})
    assert resp.status_code == 404 and "Traceback" not in resp.text
    assert "No articles to search yet" in resp.text
    assert f"<code>{prefix}articles</code>" in resp.text and "newsmon setup" in resp.text


def test_api_before_setup_is_json_404(before_setup):
    resp = before_setup.get("/api/search", params={"q": "treaty"})
    assert resp.status_code == 404 and resp.headers["content-type"].startswith("application/json")
    assert resp.json() == {"error": "no articles index yet: run `newsmon setup`"}


def test_api_with_elasticsearch_not_listening_is_json_503():
    port = free_port()  # nothing listens there
    with client_for(f"http://elastic:secret@127.0.0.1:{port}", "newsmon-") as client:
        resp = client.get("/api/search", params={"q": "treaty"})
        page = client.get("/", params={"q": "treaty"})
    assert resp.status_code == 503
    assert resp.json() == {"error": f"Elasticsearch at http://127.0.0.1:{port} is unreachable"}
    assert page.status_code == 503 and "Elasticsearch is not reachable" in page.text
    assert "secret" not in resp.text + page.text and "Traceback" not in page.text
