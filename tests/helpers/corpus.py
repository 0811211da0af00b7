"""Articles for the web tests: written for them, tagged by the real tagger, indexed as the pipeline
stores them (leaders and copies of one story), under a test's own index prefix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from newsmon.records import Article
from newsmon.storage import Storage
from newsmon.tagging import Tagger, load_taxonomy
from newsmon.urls import canonicalize, doc_id
from tests.helpers.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "web" / "articles.json"


def load_articles() -> list[dict[str, Any]]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["articles"]


def index_corpus(storage: Storage) -> dict[str, str]:
    """Set up the storage and index the fixture articles; returns fixture key -> document id."""
    tagger = Tagger(load_taxonomy(ROOT / "config" / "topics.yaml"))
    raw = load_articles()
    ids = {}
    articles: dict[str, Article] = {}
    for a in raw:
        url = canonicalize(f"https://{a['domain']}/2026/03/{a['key']}.html")
        ids[a["key"]] = doc_id(url)
        tags = tagger.tag(a["title"], a["body"])
        articles[a["key"]] = Article(
            id=ids[a["key"]], url=url, canonical_url=url, source=a["source"], source_domain=a["domain"],
            title=a["title"], body=a["body"], summary=a["body"].split(". ")[0] + ".", authors=[],
            published_at=a["published_at"], fetched_at=a["published_at"], language=a["language"],
            content_hash=ids[a["key"]][:16], topics=tags.topics, topic_scores=tags.scores,
            topic_evidence=tags.evidence, entities=tags.entities, outlets=[a["domain"]],
        )  # fmt: skip
    # Clusters as dedupe leaves them: every member knows the size and outlets, copies point to the leader.
    for key, art in articles.items():
        members = [k for k, a in ((x["key"], x) for x in raw) if k == key or a.get("copy_of") == key]
        if len(members) > 1:
            outlets = sorted({articles[m].source_domain for m in members})
            for m in members:
                articles[m].cluster_size = len(members)
                articles[m].outlets = outlets
                articles[m].duplicate_of = None if m == key else art.id
    storage.setup()
    result = storage.articles.write(list(articles.values()), replace={})
    assert not result.errors, result.errors
    storage.articles.refresh()
    return ids


@contextmanager
def web_server(es_url: str, prefix: str) -> Iterator[str]:
    """`newsmon web` as a user starts it, on a free loopback port; yields its base URL."""
    port = free_port()
    env = os.environ | {"NEWSMON_ES_URL": es_url, "NEWSMON_INDEX_PREFIX": prefix}
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "newsmon"), "web", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/static/style.css", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"newsmon web did not start: {log.read().decode(errors='replace')}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def corpus_prefix(es_url: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh index prefix holding the fixture articles; dropped afterwards."""
    from elasticsearch import Elasticsearch

    prefix = f"t{uuid.uuid4().hex[:10]}-"
    with Storage(Elasticsearch(es_url), prefix, es_url) as storage:
        try:
            yield prefix, index_corpus(storage)
        finally:
            storage.drop_all()
