"""Feed URLs that carry credentials (`http://user:${PASS}@host/feed?apikey=${KEY}`): the secrets are
used to fetch and never leave the process — not in the stored feed state, the run summary, the
log, `newsmon feeds status`, nor the search page's feed-health table (its `title` attribute too)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient

from newsmon.run import run_pass
from newsmon.web.app import create_app
from tests.helpers.servers import FeedServer, free_port, rss

pytestmark = pytest.mark.integration
PASS = "hunter2-feed-password"
KEY = "k3y-0f-the-feed-9f8e7d"
FEEDS = """
feeds:
  - id: keyed
    url: "http://reader:${NEWSMON_FEED_PASS}@127.0.0.1:%(port)s/feed.xml?apikey=${NEWSMON_FEED_KEY}"
  - id: keyed-down
    url: "http://reader:${NEWSMON_FEED_PASS}@127.0.0.1:%(closed)s/feed.xml?apikey=${NEWSMON_FEED_KEY}"
  - id: keyed-path
    url: "http://127.0.0.1:%(port)s/${NEWSMON_FEED_KEY}/broken.xml"
"""


def test_feed_url_credentials_never_leave_the_process(settings_for, es_url, prefix, caplog, monkeypatch):
    server = FeedServer()
    port = server.base.rsplit(":", 1)[1]
    # The feed moved permanently, to a URL that carries the key as well.
    server.routes["/feed.xml"] = (301, {"Location": f"/v2/feed.xml?apikey={KEY}&token={KEY}"}, b"")
    server.routes["/v2/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(server.base, []))
    server.routes[f"/{KEY}/broken.xml"] = (200, {"Content-Type": "application/rss+xml"}, b"<rss><chan")
    monkeypatch.setenv("NEWSMON_FEED_PASS", PASS)
    monkeypatch.setenv("NEWSMON_FEED_KEY", KEY)
    settings = settings_for(FEEDS % {"port": port, "closed": free_port()})
    try:
        with caplog.at_level(logging.DEBUG):
            summary = run_pass(settings)
    finally:
        server.close()
    # The secrets were used: the server saw the key and the basic credentials.
    assert server.hits("/feed.xml") == 1 and server.hits(f"/{KEY}/broken.xml") == 1
    assert "authorization" in server.headers_of("/feed.xml")[0]

    def clean(text: str, where: str) -> None:
        assert PASS not in text and KEY not in text, f"a secret in {where}: {text[:2000]}"

    clean(caplog.text, "the log")
    clean(json.dumps(summary.to_dict(), default=str), "the summary")
    Elasticsearch(es_url).indices.refresh(index=f"{prefix}feeds")
    stored = Elasticsearch(es_url).search(index=f"{prefix}feeds", size=50)["hits"]["hits"]
    assert {h["_id"] for h in stored} >= {"keyed", "keyed-down", "keyed-path"}
    clean(json.dumps(stored), "the stored feed states")
    shown = {h["_id"]: h["_source"]["url"] for h in stored}
    assert shown["keyed"] == f"http://127.0.0.1:{port}/feed.xml?apikey=***"
    assert shown["keyed-path"] == f"http://127.0.0.1:{port}/***/broken.xml"

    status = subprocess.run([sys.executable, "-m", "newsmon.cli", "-q", "feeds", "status", "--json"],
                            capture_output=True, text=True, env=os.environ.copy(), timeout=120)  # fmt: skip
    assert status.returncode == 0, status.stderr
    clean(status.stdout + status.stderr, "`newsmon feeds status --json`")
    assert {r["id"] for r in json.loads(status.stdout)} >= {"keyed", "keyed-down"}

    with TestClient(create_app(lambda: settings)) as client:
        page = client.get("/", params={"q": "anything"})
    assert 'title="http://127.0.0.1:' in page.text  # the row is there, with its URL redacted
    clean(page.text, "the search page")


def test_feed_state_written_in_clear_before_is_shown_redacted(settings_for, es_url, prefix):
    """States stored by an older version (URL and error in clear) are redacted on the page."""
    settings = settings_for("feeds: []\n")
    es = Elasticsearch(es_url)
    from newsmon.storage import Storage

    with Storage.from_settings(settings) as storage:
        storage.setup()
    url = f"http://reader:{PASS}@news.example/feed?apikey={KEY}"
    es.index(index=f"{prefix}feeds", id="old", refresh=True,
             document={"id": "old", "url": url, "final_url": url, "health": "failing",
                       "last_error": f"connection failed: {url}"})  # fmt: skip
    with TestClient(create_app(lambda: settings)) as client:
        page = client.get("/")
    assert ">old<" in page.text and PASS not in page.text and KEY not in page.text
