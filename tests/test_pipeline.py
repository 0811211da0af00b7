"""A full pass (`newsmon run` code path) over the loopback sample site into the real Elasticsearch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsmon.run import run_pass
from newsmon.search import search
from newsmon.storage import Storage
from tests.helpers.records import DEMO
from tests.helpers.servers import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]


FAULTS = """
feeds:
  - {id: refused, url: "http://127.0.0.1:%(dead)d/rss.xml"}
  - {id: not-xml, url: "%(base)s/faults/not-a-feed.xml"}
  - {id: faults, url: "%(base)s/faults/rss.xml"}
"""


def docs(settings) -> list[dict]:
    with Storage.from_settings(settings) as storage:
        storage.articles.refresh()
        hits = storage.es.search(index=storage.articles.alias, size=100, query={"match_all": {}})["hits"][
            "hits"
        ]
        return [h["_source"] | {"_id": h["_id"]} for h in hits]


def test_demo_site_pass_is_idempotent(site, settings_for):
    settings = settings_for(DEMO % {"base": site.base_url})
    first = run_pass(settings)
    assert first.feeds_ok == 2 and first.feeds_failed == 0 and first.errors == []
    assert first.entries_seen == 6 and first.articles_new == 6 and first.indexed == 6
    stored = docs(settings)
    assert len(stored) == 6
    seed = [d for d in stored if "geneva-strategic-stability-round" in d["url"]]
    assert len(seed) == 1
    seed = seed[0]
    assert "arms_control" in seed["topics"] and "arms_control.strategic_stability" in seed["topics"]
    assert seed["language"] == "en" and seed["published_at"].startswith("2021-09-30")
    assert "utm_" not in seed["canonical_url"] and seed["source"] == "meridian-wire"
    assert seed["topic_evidence"] and seed["content_hash"]
    # The scraper's copy of the seed story is the same story: it points to the outlet's original.
    copy = [d for d in stored if d["source"] == "scraper-blog" and "riabkov" in d["body"].lower()]
    assert len(copy) == 1 and copy[0]["duplicate_of"] == seed["_id"]
    assert seed["cluster_size"] == 2 and seed["duplicate_of"] is None and len(seed["outlets"]) >= 1
    assert first.duplicates == 1
    for doc in stored:
        if "riabkov" not in doc["body"].lower():
            assert not any(t.startswith("arms_control") for t in doc["topics"]), doc["title"]

    pages_before = dict(site.hits)
    # Polled a moment ago: not due, nothing requested.
    second = run_pass(settings)
    assert second.feeds_total == 0 and second.feeds_not_due == 2 and second.indexed == 0
    assert site.hits == pages_before
    # Polled anyway: the feeds answer 304 to the validators, nothing is parsed or indexed.
    third = run_pass(settings, ignore_schedule=True)
    assert {f: s["outcome"] for f, s in third.per_feed.items()} == {
        "meridian-wire": "not_modified",
        "scraper-blog": "not_modified",
    }
    assert third.articles_new == 0 and third.indexed == 0 and third.entries_seen == 0
    assert len(docs(settings)) == 6
    # Nothing already indexed is fetched again.
    refetched = {p for p, n in site.hits.items() if p.endswith(".html") and n > pages_before.get(p, 0)}
    assert refetched == set()


def test_clusters_in_small_rounds_are_the_clusters_of_one_round(site, settings_for, monkeypatch):
    # Rounds bound the cluster task's memory; the copy and its count must not depend on them.
    from newsmon import run

    monkeypatch.setattr(run, "CLUSTER_ROUND", 1)
    settings = settings_for(DEMO % {"base": site.base_url})
    summary = run_pass(settings)
    stored = docs(settings)
    seed = next(d for d in stored if "geneva-strategic-stability-round" in d["url"])
    copies = [d for d in stored if d.get("duplicate_of")]
    assert [c["duplicate_of"] for c in copies] == [seed["_id"]] and seed["cluster_size"] == 2
    assert summary.duplicates == 1 and not any(d.get("pending_cluster") for d in stored)


def test_faults_are_reported_and_the_rest_goes_on(site, settings_for):
    settings = settings_for(FAULTS % {"base": site.base_url, "dead": free_port()})
    summary = run_pass(settings)
    assert summary.feeds_total == 3 and summary.feeds_ok == 1 and summary.feeds_failed == 2
    errors = {e.get("feed") or e.get("url"): e["error"] for e in summary.errors}
    assert "connection failed" in errors["refused"]
    assert "instead of a feed" in errors["not-xml"]
    by_url = {k: v for k, v in errors.items() if k.startswith("http")}
    assert any("HTTP 404" in v for k, v in by_url.items() if "/status/404" in k)
    # A PDF is read now; this one has a line of text only: not an article, as a short page is not.
    assert any("characters of text in the PDF" in v for k, v in by_url.items() if k.endswith(".pdf"))
    assert any("too large" in v for k, v in by_url.items() if "big.html" in k)
    # The good article, listed twice with different tracking parameters, is one document.
    stored = docs(settings)
    assert [d["canonical_url"].rsplit("/", 1)[-1] for d in stored] == ["good-article.html"]
    assert summary.articles_new == 1


def test_run_with_elasticsearch_down_fails_cleanly(site, tmp_path, prefix):
    dead = free_port()
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(DEMO % {"base": site.base_url}, encoding="utf-8")
    env = os.environ | {
        "NEWSMON_ES_URL": f"http://127.0.0.1:{dead}",
        "NEWSMON_INDEX_PREFIX": prefix,
        "NEWSMON_ALLOW_PRIVATE_NETWORKS": "1",
    }
    hits_before = dict(site.hits)
    proc = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "run", "--feeds", str(feeds), "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode != 0
    assert f"http://127.0.0.1:{dead}" in proc.stderr and "unreachable" in proc.stderr
    assert proc.stdout == ""
    assert site.hits == hits_before  # not a single feed was fetched: nothing half-done


def test_cli_run_json_matches_the_contract(site, settings_for):
    settings = settings_for(DEMO % {"base": site.base_url})
    proc = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "-q", "run", "--json"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for key in (
        "feeds_total",
        "feeds_ok",
        "feeds_failed",
        "entries_seen",
        "articles_new",
        "articles_updated",
        "duplicates",
        "tagged",
        "indexed",
        "alerts_fired",
        "errors",
    ):
        assert key in out
    assert out["articles_new"] == 6 and out["tagged"] >= 2
    with Storage.from_settings(settings) as storage:
        found = search(storage, "Riabkov")
    assert found["total"] >= 1 and "arms_control" in found["hits"][0]["topics"]


def test_a_page_past_its_extraction_budget_is_stopped_recorded_and_not_refetched(
    site, settings_for, monkeypatch
):
    import time
    from datetime import UTC, datetime, timedelta

    from newsmon import articles

    slow = "geneva-strategic-stability-round"
    real = articles.build_article

    def build(fetched, entry, topics_path, *rest):  # a page that hangs its parser, as a crafted one could
        if slow in entry.link:
            time.sleep(600)
        return real(fetched, entry, topics_path, *rest)

    monkeypatch.setattr(articles, "build_article", build)  # the workers are forked with it
    settings = settings_for(DEMO % {"base": site.base_url}, extract_timeout=2, workers=2)
    started = time.monotonic()
    first = run_pass(settings)
    assert time.monotonic() - started < 400  # the slow page did not hold the pass for its 600 s
    stopped = [e for e in first.errors if slow in e.get("url", "")]
    assert len(stopped) == 1 and "took more than 2 s" in stopped[0]["error"]
    assert first.articles_new == 5 and len(first.errors) == 1
    assert not any(slow in d["url"] for d in docs(settings))

    with Storage.from_settings(settings) as storage:
        hits = storage.es.search(index=storage.names.failed_pages, query={"match_all": {}})["hits"]["hits"]
        assert len(hits) == 1 and slow in hits[0]["_source"]["url"] and hits[0]["_source"]["failures"] == 1
        now = datetime.now(UTC)
        assert storage.failed_pages.deferred([hits[0]["_id"]], now) == {hits[0]["_id"]}
        assert (
            storage.failed_pages.deferred([hits[0]["_id"]], now + timedelta(hours=7)) == set()
        )  # due again later

    pages_before = dict(site.hits)
    second = run_pass(settings)
    assert second.errors == [] and second.articles_new == 0
    refetched = {p for p, n in site.hits.items() if p.endswith(".html") and n > pages_before.get(p, 0)}
    assert refetched == set()  # the failed page waits for its retry time
