"""Alerts end to end on the real Elasticsearch, with a real SMTP server and a real HTTP receiver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsmon.alerts import events as ev
from newsmon.alerts.channels import SmtpSettings
from newsmon.alerts.delivery import deliver_instant, send_digests
from newsmon.alerts.percolate import percolate, sync_rules
from newsmon.alerts.rules import load_alerts
from newsmon.records import Article
from newsmon.run import run_pass
from newsmon.settings import load_settings
from newsmon.storage import Storage
from tests.helpers.records import DEMO

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("NEWSMON_ALERT_RETRY_DELAYS", "0.05,0.1")


def rules_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "alerts.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def story(n: int, title: str, body: str, topics=("arms_control",), **kw) -> Article:
    kw.setdefault("language", "en")
    return Article(
        id=f"s{n}", url=f"https://news{n}.example/{n}", canonical_url=f"https://news{n}.example/{n}", source=f"feed{n}",
        source_domain=f"news{n}.example", title=title, body=body, summary=None, authors=[],
        published_at=f"2026-11-2{n % 10}T10:00:00Z", fetched_at="2026-11-28T00:00:00Z",
        content_hash=f"h{n}", topics=list(topics), url_ids=[f"s{n}"], **kw,
    )  # fmt: skip


def test_sync_adds_updates_removes_and_reports_rejected_queries(storage, tmp_path):
    path = rules_file(
        tmp_path,
        """
rules:
  - {id: a, name: A, query: 'Riabkov'}
  - {id: b, name: B, query: 'NPT'}
""",
    )
    first = sync_rules(storage, load_alerts(path))
    assert sorted(first.added) == ["a", "b"] and first.errors == []
    path.write_text("""
rules:
  - {id: a, name: A, query: 'Riabkov OR Sherman'}
  - {id: c, name: C, query: 'published_at:[2020-01-01 TO nonsense]'}
""", encoding="utf-8")  # fmt: skip
    second = sync_rules(storage, load_alerts(path))
    assert second.updated == ["a"] and second.removed == ["b"] and second.added == []
    assert len(second.errors) == 1 and "'c'" in second.errors[0]
    again = sync_rules(storage, load_alerts(path))
    assert again.unchanged == ["a"] and again.added == again.updated == []


def test_percolation_matches_with_highlights_and_filters(storage, tmp_path):
    storage.articles.write(
        [
            story(
                1, "Geneva talks", "Deputy minister Sergei Riabkov met Wendy Sherman on strategic stability."
            ),
            story(2, "Derby day", "The match ended 3-1 after a late goal.", topics=()),
            story(
                3,
                "Treaty review",
                "Riabkov spoke about the NPT review.",
                topics=("arms_control",),
                language="ru",
            ),
        ],
        {},
    )
    sync_rules(storage, load_alerts(rules_file(tmp_path, """
rules:
  - {id: watch, name: Watch, query: 'Riabkov OR "strategic stability"'}
  - {id: english-only, name: E, query: Riabkov, filters: {languages: [en]}}
  - {id: everything, name: All, query: '*'}
""")))  # fmt: skip
    matches = percolate(storage, ["s1", "s2", "s3"])
    got = sorted((m.rule["rule_id"], m.story["_id"]) for m in matches)
    assert got == sorted([
        ("watch", "s1"), ("watch", "s3"), ("english-only", "s1"),
        ("everything", "s1"), ("everything", "s2"), ("everything", "s3"),
    ])  # fmt: skip
    s1 = [m for m in matches if m.rule["rule_id"] == "watch" and m.story["_id"] == "s1"][0]
    assert any("**Riabkov**" in h for h in s1.highlights)


def test_copies_and_retries_notify_once(storage, tmp_path, webhook, monkeypatch):
    monkeypatch.setenv("NEWSMON_TEST_HOOK", webhook.url)
    loaded = load_alerts(
        rules_file(
            tmp_path,
            """
channels:
  - {id: hook, type: webhook, url_env: NEWSMON_TEST_HOOK}
rules:
  - {id: watch, name: Watch, query: Riabkov, channels: [hook]}
""",
        )
    )
    sync_rules(storage, loaded)
    storage.articles.write([story(1, "Geneva", "Sergei Riabkov in Geneva.")], {})
    storage.articles.refresh()
    channels = {r.id: r.channels for r in loaded.rules}
    assert len(ev.record_matches(storage, percolate(storage, ["s1"]), channels)) == 1
    assert ev.record_matches(storage, percolate(storage, ["s1"]), channels) == []  # a retried task
    # A copy of the story that later became the cluster's leader does not notify either.
    storage.articles.write([story(2, "Geneva (copy)", "Sergei Riabkov in Geneva.")], {})
    storage.es.update(index=storage.articles.alias, id="s1", doc={"duplicate_of": "s2"}, refresh=True)
    assert ev.record_matches(storage, percolate(storage, ["s2"]), channels) == []
    deliver_instant(storage, loaded)
    deliver_instant(storage, loaded)
    assert len(webhook.received) == 1 and webhook.received[0]["events"][0]["article_id"] == "s1"
    [event] = storage.alert_events.history()
    assert event["status"] == "delivered" and event["deliveries"][0]["receipt"]


def test_smtp_down_then_up_delivers_once_after_the_retry(storage, tmp_path, smtp_sink):
    loaded = load_alerts(
        rules_file(
            tmp_path,
            """
channels:
  - {id: mail, type: email, to: [analyst@example.org]}
rules:
  - {id: watch, name: Riabkov watch, query: Riabkov, channels: [mail]}
""",
        )
    )
    sync_rules(storage, loaded)
    storage.articles.write([story(1, "Geneva talks", "Sergei Riabkov in Geneva on strategic stability.")], {})
    storage.articles.refresh()
    ev.record_matches(storage, percolate(storage, ["s1"]), {"watch": ["mail"]})
    smtp = SmtpSettings(host="127.0.0.1", port=smtp_sink.port, from_addr="newsmon@example.org")
    sleeps: list[float] = []
    down = deliver_instant(storage, loaded, smtp, sleep=sleeps.append)
    assert down == {"delivered": 0, "aggregated": 0, "failed": 1} and sleeps == [
        0.05,
        0.1,
    ]  # backoff between tries
    [event] = storage.alert_events.history()
    assert (
        event["status"] == "failed"
        and "mail" in event["last_error"]
        and event["deliveries"][0]["attempts"] == 3
    )
    smtp_sink.start()
    up = deliver_instant(storage, loaded, smtp)
    assert up == {"delivered": 1, "aggregated": 0, "failed": 0}
    assert deliver_instant(storage, loaded, smtp) == {"delivered": 0, "aggregated": 0, "failed": 0}
    assert len(smtp_sink.messages) == 1
    msg = smtp_sink.messages[0]
    assert msg["To"] == "analyst@example.org" and "Geneva talks" in msg["Subject"]
    assert "https://news1.example/1" in msg.get_body(("plain",)).get_content()


def test_digest_groups_three_stories_in_one_message(storage, tmp_path, webhook, monkeypatch):
    monkeypatch.setenv("NEWSMON_TEST_HOOK", webhook.url)
    loaded = load_alerts(
        rules_file(
            tmp_path,
            """
channels:
  - {id: hook, type: webhook, url_env: NEWSMON_TEST_HOOK}
rules:
  - {id: daily, name: Daily NPT, query: NPT, channels: [hook], mode: digest, schedule: "0 7 * * *"}
""",
        )
    )
    sync_rules(storage, loaded)
    storage.articles.write([story(n, f"NPT story {n}", f"The NPT review, part {n}.") for n in (1, 2, 3)], {})
    storage.articles.refresh()
    assert len(ev.record_matches(storage, percolate(storage, ["s1", "s2", "s3"]), {"daily": ["hook"]})) == 3
    assert deliver_instant(storage, loaded) == {
        "delivered": 0,
        "aggregated": 0,
        "failed": 0,
    }  # digests wait for their schedule
    morning = datetime(2026, 11, 28, 7, 5, tzinfo=UTC)
    assert send_digests(storage, loaded, now=morning)["digests_sent"] == 1
    assert send_digests(storage, loaded, now=morning)["digests_sent"] == 0  # not due again until tomorrow
    assert len(webhook.received) == 1
    payload = webhook.received[0]
    assert payload["type"] == "newsmon.digest" and sorted(e["article_id"] for e in payload["events"]) == [
        "s1",
        "s2",
        "s3",
    ]
    assert {e["status"] for e in storage.alert_events.history()} == {"delivered"}


def test_seed_story_and_its_copy_fire_once_over_two_runs(site, settings_for, tmp_path, webhook, monkeypatch):
    monkeypatch.setenv("NEWSMON_TEST_HOOK", webhook.url)
    monkeypatch.setenv("NEWSMON_ALERTS_FILE", str(rules_file(tmp_path, """
channels:
  - {id: hook, type: webhook, url_env: NEWSMON_TEST_HOOK}
rules:
  - {id: watch, name: Watch, query: 'Riabkov OR "strategic stability"', channels: [log, hook]}
  - {id: broken, name: Broken, query: 'title:(unbalanced'}
""")))  # fmt: skip
    settings = settings_for(DEMO % {"base": site.base_url})
    first = run_pass(settings)
    second = run_pass(settings)
    assert first.alerts_fired == 1 and first.alerts_delivered == 1 and second.alerts_fired == 0
    assert len(webhook.received) == 1
    [event] = webhook.received[0]["events"]
    assert "meridian-wire" == event["source"] and event["cluster_size"] == 2
    assert any("Riabkov" in t for t in event["matched_terms"])

    env = os.environ.copy()
    cli = [sys.executable, "-m", "newsmon.cli", "-q", "alerts"]
    tried = json.loads(subprocess.run(cli + ["test", "watch", "--since", "36500d", "--json"], env=env,
                                      capture_output=True, text=True, check=True).stdout)  # fmt: skip
    assert tried["would_alert"] == 1 and tried["matches"][0]["rule_id"] == "watch"
    hist = json.loads(subprocess.run(cli + ["history", "--rule", "watch", "--json"], env=env,
                                     capture_output=True, text=True, check=True).stdout)  # fmt: skip
    assert [(e["rule_id"], e["article_id"], e["status"]) for e in hist["events"]] == [
        ("watch", tried["matches"][0]["article_id"], "delivered")
    ]
    listed = subprocess.run(cli + ["list"], env=env, capture_output=True, text=True)
    assert "broken" in listed.stdout and "Lucene" in listed.stdout


def test_a_pass_that_died_after_indexing_is_finished_by_the_next(
    site, settings_for, tmp_path, webhook, monkeypatch
):
    from newsmon import run

    monkeypatch.setenv("NEWSMON_TEST_HOOK", webhook.url)
    monkeypatch.setenv("NEWSMON_ALERTS_FILE", str(rules_file(tmp_path, """
channels:
  - {id: hook, type: webhook, url_env: NEWSMON_TEST_HOOK}
rules:
  - {id: watch, name: Watch, query: Riabkov, channels: [hook]}
""")))  # fmt: skip
    settings = settings_for(DEMO % {"base": site.base_url})
    batches = run.prepare(settings)
    first = run.process_batch([i for b in batches for i in b], settings)
    assert first.articles_new == 6  # indexed; then the pass died before clustering and alerting
    assert webhook.received == []
    later = run_pass(settings)
    assert later.articles_new == 0 and later.duplicates == 1 and later.alerts_fired == 1
    assert len(webhook.received) == 1
    with Storage.from_settings(settings) as storage:
        assert (
            storage.pending.waiting("pending_cluster") == []
            and storage.pending.waiting("pending_alert") == []
        )


def test_a_rule_broken_by_an_edit_keeps_its_last_good_version_and_is_reported(
    storage, tmp_path, es_url, prefix
):
    path = rules_file(
        tmp_path,
        "rules:\n  - {id: watch, name: Watch, query: Riabkov}\n  - {id: other, name: O, query: NPT}\n",
    )
    sync_rules(storage, load_alerts(path))
    storage.articles.write([story(1, "Geneva talks", "Sergei Riabkov in Geneva.")], {})
    # rejected by Elasticsearch (watch), and by newsmon's own validation (other)
    path.write_text(
        "rules:\n  - {id: watch, name: Watch, query: 'published_at:[2020-01-01 TO nonsense]'}\n"
        "  - {id: other, name: O, query: 'NPT AND ('}\n",
        encoding="utf-8",
    )
    settings = load_settings(
        {"NEWSMON_ES_URL": es_url, "NEWSMON_INDEX_PREFIX": prefix, "NEWSMON_ALERTS_FILE": str(path)}
    )
    from newsmon.alerts.service import run_alerts, sync

    result = sync(storage, settings)
    assert sorted(result.kept) == ["other", "watch"] and result.removed == []
    assert [m.rule["rule_id"] for m in percolate(storage, ["s1"])] == ["watch"]  # still fires
    out = run_alerts(storage, settings, ["s1"])
    assert out["alerts_fired"] == 1
    assert sorted(e["rule"] for e in out["rule_errors"]) == ["other", "watch"]
    assert all("last good version" in e["error"] for e in out["rule_errors"])
    env = {
        **os.environ,
        "NEWSMON_ES_URL": es_url,
        "NEWSMON_INDEX_PREFIX": prefix,
        "NEWSMON_ALERTS_FILE": str(path),
    }
    listed = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "alerts", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    kept = json.loads(listed.stdout)["kept"]
    assert sorted(k["rule_id"] for k in kept) == ["other", "watch"]
    # fixed again: the error goes away
    path.write_text("rules:\n  - {id: watch, name: Watch, query: Riabkov}\n", encoding="utf-8")
    fixed = sync(storage, settings)
    assert fixed.kept == [] and fixed.unchanged == ["watch"] and fixed.removed == ["other"]
    assert run_alerts(storage, settings, [])["rule_errors"] == []
