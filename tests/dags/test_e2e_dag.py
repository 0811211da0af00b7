"""End to end: the real news_monitor DAG under dag.test() against the loopback site, then search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


ALERTS = """
channels:
  - {id: hook, type: webhook, url_env: NEWSMON_TEST_HOOK}
rules:
  - {id: watch, name: Riabkov watch, query: 'Riabkov OR "strategic stability"', channels: [log, hook]}
"""


def test_news_monitor_dag_indexes_the_site_and_search_finds_the_seed_story(
    site, es_url, prefix, monkeypatch, tmp_path, webhook
):
    alerts = tmp_path / "alerts.yaml"
    alerts.write_text(ALERTS, encoding="utf-8")
    monkeypatch.setenv("NEWSMON_ALERTS_FILE", str(alerts))
    monkeypatch.setenv("NEWSMON_TEST_HOOK", webhook.url)
    monkeypatch.setenv("NEWSMON_FEED_DEMO_SITE", site.base_url)
    monkeypatch.setenv("NEWSMON_FEEDS_FILE", str(ROOT / "examples" / "demo-feeds.yaml"))
    monkeypatch.setenv("NEWSMON_ES_URL", es_url)
    monkeypatch.setenv("NEWSMON_INDEX_PREFIX", prefix)
    monkeypatch.setenv("NEWSMON_ALLOW_PRIVATE_NETWORKS", "1")
    monkeypatch.delenv("AIRFLOW_CONN_NEWSMON_ES", raising=False)

    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(ROOT / "dags")).get_dag("news_monitor")
    run = dag.test()
    assert str(run.state) in ("success", "DagRunState.SUCCESS"), run.state

    proc = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "-q", "search", "Riabkov", "--json"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    # One story, shown once: the scraper's copy is a duplicate of the outlet's original.
    assert result["total"] == 1
    outlet = result["hits"][0]
    assert outlet["source"] == "meridian-wire" and outlet["cluster_size"] == 2
    assert "arms_control" in outlet["topics"] and "arms_control.strategic_stability" in outlet["topics"]

    # Search-time analysis: stemming finds the story's "consultations"; the search-time domain
    # synonyms (weapon ~ arms) find it for "weapon", though it says only "arms" and "arms control".
    for word in ("consultation", "consultations", "weapon", "weapons"):
        found = subprocess.run(
            [sys.executable, "-m", "newsmon.cli", "-q", "search", word, "--include-duplicates", "--json"],
            capture_output=True, text=True, env=os.environ.copy(), timeout=120,
        )  # fmt: skip
        assert found.returncode == 0, found.stderr
        sources = {h["source"] for h in json.loads(found.stdout)["hits"]}
        assert {"scraper-blog", "meridian-wire"} <= sources, (word, found.stdout)
    # As an analyst types it (duplicates folded): the outlet's original, once.
    weapon = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "-q", "search", "weapon", "--json"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=120,
    )  # fmt: skip
    assert weapon.returncode == 0, weapon.stderr
    # (The agency's PDF report speaks of arms control too: it is a document of its own, not a copy.)
    articles = [h["id"] for h in json.loads(weapon.stdout)["hits"] if h["content_type"] == "html"]
    assert articles == [outlet["id"]], weapon.stdout

    everything = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "-q", "search", "*", "--include-duplicates", "--size", "50", "--json"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=120,
    )  # fmt: skip
    hits = json.loads(everything.stdout)["hits"]
    assert len(hits) == 9
    # The agency's document feed links to a PDF: indexed as a document, with its page count.
    pdfs = [h for h in hits if h["content_type"] == "pdf"]
    assert [(h["source"], h["page_count"]) for h in pdfs] == [("agency-documents", 2)]
    assert pdfs[0]["title"].startswith("GOV/2021/41") and "arms_control" in pdfs[0]["topics"]
    feeds_only = [h for h in hits if h["source"] != "lakeside-dispatch" and h["content_type"] == "html"]
    unrelated = [
        h for h in feeds_only if h["title"] and "Geneva" not in h["title"] and h["cluster_size"] == 1
    ]
    assert unrelated and all(not h["topics"] for h in unrelated)
    # The news sitemap source (a sitemap index whose child is gzip'd): both its stories, tagged as
    # the feeds' are.
    dispatch = {h["title"]: h["topics"] for h in hits if h["source"] == "lakeside-dispatch"}
    assert set(dispatch) == {
        "Inspectors return to enrichment plant as verification talks resume",
        "Ferry crews end three-day strike after pay deal",
    }
    assert "arms_control" in dispatch["Inspectors return to enrichment plant as verification talks resume"]
    assert not dispatch["Ferry crews end three-day strike after pay deal"]

    runs = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "-q", "runs", "--json"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=120,
    )  # fmt: skip
    last = json.loads(runs.stdout)["runs"][0]
    assert last["mode"] == "airflow" and last["articles_new"] == 9 and last["feeds_ok"] == 4
    assert last["pdf_documents"] == 1
    assert last["per_feed"]["lakeside-dispatch"]["type"] == "sitemap"
    assert last["alerts_fired"] == 1

    # The DAG runs again: nothing new, and the seed story does not notify a second time.
    again = dag.test()
    assert str(again.state) in ("success", "DagRunState.SUCCESS"), again.state
    assert len(webhook.received) == 1
    [event] = webhook.received[0]["events"]
    assert event["rule_id"] == "watch" and event["source"] == "meridian-wire"


def test_a_pass_in_which_every_feed_failed_is_a_red_run(es_url, prefix, monkeypatch, tmp_path):
    from tests.helpers.servers import free_port

    dead = free_port()
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        f'feeds:\n  - {{id: a, url: "http://127.0.0.1:{dead}/a.xml"}}\n'
        f'  - {{id: b, url: "http://127.0.0.1:{dead}/b.xml"}}\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("NEWSMON_FEEDS_FILE", str(feeds))
    monkeypatch.setenv("NEWSMON_ES_URL", es_url)
    monkeypatch.setenv("NEWSMON_INDEX_PREFIX", prefix)
    monkeypatch.setenv("NEWSMON_ALLOW_PRIVATE_NETWORKS", "1")
    monkeypatch.delenv("AIRFLOW_CONN_NEWSMON_ES", raising=False)

    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(ROOT / "dags")).get_dag("news_monitor")
    run = dag.test()
    assert str(run.state) in ("failed", "DagRunState.FAILED"), run.state
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert "failed" in states["summarize"].lower(), states
    runs = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "-q", "runs", "--json"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=120,
    )  # fmt: skip
    last = json.loads(runs.stdout)["runs"][0]
    assert last["feeds_failed"] == 2 and last["feeds_ok"] == 0  # the summary is still recorded
