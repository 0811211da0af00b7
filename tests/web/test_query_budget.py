"""The search page and its API run every search within a query budget: the queries that made
Elasticsearch walk every term (leading wildcards, regular expressions, short fuzzy terms), huge
result sizes, and searches past their time are refused in words; `newsmon search` keeps its
operator's freedom. On the real Elasticsearch, the page served by the real app."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from newsmon.errors import QueryTooCostly
from newsmon.query_budget import OPERATOR, check, for_visitors
from newsmon.search import finished, search
from newsmon.settings import load_settings
from newsmon.storage import Storage
from newsmon.storage.client import make_client
from newsmon.web.app import create_app

pytestmark = pytest.mark.integration
NEWSMON = str(Path(sys.executable).parent / "newsmon")


@pytest.fixture(scope="module")
def client(es_url, corpus):
    settings = load_settings({"NEWSMON_ES_URL": es_url, "NEWSMON_INDEX_PREFIX": corpus[0]})
    with TestClient(create_app(lambda: settings)) as c:
        yield c


@pytest.mark.parametrize(
    "query, words",
    [
        ("*e*", "wildcard at the start"),
        (" ".join(["*a"] * 144), "wildcard at the start"),
        ("title:?eneva", "wildcard at the start"),
        ("/.*e.*/", "Regular expressions"),
        ("body:/gen[a-z]+/", "Regular expressions"),
        ("a~2 e~2 i~2 o~2", "at least 4 characters"),
        ("treaty~ missile~1 nuclear~2", "At most 2 fuzzy"),
        ("g*", "at least 2 letters"),
        ("tr* mi* nu* ge*", "At most 3 wildcard"),
    ],
)
def test_expensive_query_is_refused_by_the_api_and_the_page(client, query, words):
    api = client.get("/api/search", params={"q": query, "size": 100})
    assert api.status_code == 400 and words in api.json()["error"], api.text
    page = client.get("/", params={"q": query})
    assert page.status_code == 400 and "costs more than the page allows" in page.text
    assert words in page.text


def test_huge_result_size_is_refused(client):
    assert client.get("/api/search", params={"q": "Geneva", "size": 10_000}).status_code == 422
    assert client.get("/api/search", params={"q": "Geneva", "size": 100}).status_code == 200


@pytest.mark.parametrize(
    "query", ["Geneva", "Gene*", "Genvea~1", '"arms control"~3', "title:(missile OR treaty)", "*"]
)
def test_ordinary_queries_still_run_within_the_budget(client, query):
    api = client.get("/api/search", params={"q": query})
    assert api.status_code == 200, api.text
    assert client.get("/", params={"q": query}).status_code == 200
    if query.startswith("Gen"):
        assert api.json()["total"] > 0
    assert client.get("/").status_code == 200  # no query: everything, newest first


def test_the_operator_at_the_command_line_may_use_a_leading_wildcard(es_url, corpus):
    env = os.environ | {"NEWSMON_ES_URL": es_url, "NEWSMON_INDEX_PREFIX": corpus[0]}
    out = subprocess.run([NEWSMON, "search", "*eneva", "--json"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["total"] > 0


class SilentServer:
    """Accepts connections, reads the request, never answers; counts the requests."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests = 0
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            conn.settimeout(5)
            try:
                if conn.recv(65536):
                    self.requests += 1
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_search_that_times_out_is_not_sent_again():
    """The client's default retries a timed-out request twice: a costly search would run three times."""
    silent = SilentServer()
    try:
        settings = load_settings({"NEWSMON_ES_URL": silent.url, "NEWSMON_INDEX_PREFIX": "nosuch-"})
        with Storage(make_client(settings), settings.index_prefix, silent.url) as storage:
            with pytest.raises(QueryTooCostly) as err:
                search(storage, "Geneva", budget=for_visitors(timeout=0.5))
        assert err.value.timed_out and "not sent again" in str(err.value)
        assert silent.requests == 1
    finally:
        silent.close()


def test_search_elasticsearch_stopped_at_its_timeout_is_reported_not_shown_partial():
    with pytest.raises(QueryTooCostly, match="took longer than 10 s"):
        finished({"timed_out": True, "hits": {"hits": [], "total": {"value": 0}}}, for_visitors(10))
    check("*e*", OPERATOR)  # the operator's budget refuses nothing of this
    check("/.*e.*/ a~2", OPERATOR)
