"""Rules made on the search page run exactly as the rules of alerts.yaml: they match a new story,
are delivered once (a real SMTP server, a real webhook receiver), stop when paused, and outlive a
sync, a rollover and a backup/restore; `newsmon alerts export` writes them as alerts.yaml. Real
Elasticsearch."""

from __future__ import annotations

from datetime import timedelta

import pytest

from newsmon import backups, clock
from newsmon.alerts import events as ev
from newsmon.alerts import owned
from newsmon.alerts.delivery import send_digests
from newsmon.alerts.percolate import percolate, sync_rules
from newsmon.alerts.rules import AlertRule, load_alerts
from newsmon.alerts.service import run_alerts, sync
from newsmon.cli import main
from newsmon.web import analysts
from tests.helpers.analysts import analyst_settings, standalone, story, with_csrf

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("NEWSMON_ALERT_RETRY_DELAYS", "0.05")


def write(storage, *stories) -> list[str]:
    storage.articles.write(list(stories), {})
    storage.articles.refresh()
    return [s.id for s in stories]


def test_a_rule_made_on_the_page_alerts_once_by_mail_and_pausing_it_stops_it(
    storage, es_url, prefix, tmp_path, smtp_sink
):
    smtp_sink.start()
    settings = analyst_settings(es_url, prefix, tmp_path, NEWSMON_SMTP_HOST="127.0.0.1",
                                NEWSMON_SMTP_PORT=str(smtp_sink.port), NEWSMON_SMTP_FROM="newsmon@example.org")  # fmt: skip
    sync(storage, settings)
    client = standalone(settings)
    page = with_csrf(client)
    made = client.post(
        "/api/rules", headers=page, json={"name": "Tlatelolco", "query": "Tlatelolco", "channels": ["mail"]}
    )
    assert made.status_code == 201, made.text
    rule_id = made.json()["id"]

    first = write(
        storage, story(1, "Treaty of Tlatelolco at 59", "The Treaty of Tlatelolco turns 59 in Mexico City.")
    )
    result = run_alerts(storage, settings, first)
    assert (result["alerts_fired"], result["delivered"], result["failed"]) == (1, 1, 0)
    again = run_alerts(storage, settings, first)  # a retried task: nothing new, nothing sent twice
    assert (again["alerts_fired"], again["delivered"]) == (0, 0)
    assert len(smtp_sink.messages) == 1
    msg = smtp_sink.messages[0]
    assert msg["To"] == "analyst@example.org" and "Treaty of Tlatelolco at 59" in msg["Subject"]
    history = client.get(f"/api/rules/{rule_id}/history").json()["events"]
    assert [(e["story_id"], e["channel"], e["status"], e["mode"]) for e in history] == [
        ("s1", "mail", "delivered", "instant")
    ]
    assert history[0]["title"] == "Treaty of Tlatelolco at 59" and history[0]["at"]

    assert client.put(f"/api/rules/{rule_id}", headers=page, json={"enabled": False}).status_code == 200
    paused = run_alerts(
        storage, settings, write(storage, story(2, "Tlatelolco zone", "Tlatelolco zone states met."))
    )
    assert paused["alerts_fired"] == 0 and len(smtp_sink.messages) == 1
    assert client.put(f"/api/rules/{rule_id}", headers=page, json={"enabled": True}).status_code == 200
    resumed = run_alerts(
        storage, settings, write(storage, story(3, "Tlatelolco again", "Tlatelolco, once more."))
    )
    assert resumed["alerts_fired"] == 1 and len(smtp_sink.messages) == 2  # the pause was what stopped it
    rows = client.get(f"/api/rules/{rule_id}/history").json()["events"]
    # Newest first (times are to the second: the two may share one).
    assert sorted(e["story_id"] for e in rows) == ["s1", "s3"] and rows[0]["at"] >= rows[1]["at"]


def test_a_page_made_digest_goes_out_on_its_schedule(storage, es_url, prefix, tmp_path, webhook, monkeypatch):
    monkeypatch.setenv("NEWSMON_TEST_HOOK", webhook.url)
    settings = analyst_settings(es_url, prefix, tmp_path)
    loaded = load_alerts(settings.alerts_path)
    sync_rules(storage, loaded)
    rule = owned.create_rule(storage, loaded, {"name": "NPT mornings", "query": "NPT", "mode": "digest",
                                               "schedule": "daily-08", "channels": ["hook"]}, "ana")  # fmt: skip
    ids = write(storage, *(story(n, f"NPT story {n}", f"The NPT review, part {n}.") for n in (1, 2)))
    created = ev.record_matches(storage, percolate(storage, ids), {r.id: r.channels for r in loaded.rules})
    assert {e["rule_id"] for e in created} == {rule["id"]} and len(created) == 2
    morning = clock.now().replace(hour=8, minute=5, second=0, microsecond=0) + timedelta(days=1)
    assert send_digests(storage, loaded, now=morning)["digests_sent"] == 1
    assert send_digests(storage, loaded, now=morning)["digests_sent"] == 0
    assert (
        len(webhook.received) == 1 and sorted(e["article_id"] for e in webhook.received[0]["events"]) == ids
    )


def test_a_sync_never_removes_or_changes_a_rule_made_on_the_page(storage, es_url, prefix, tmp_path):
    settings = analyst_settings(es_url, prefix, tmp_path)
    loaded = load_alerts(settings.alerts_path)
    sync_rules(storage, loaded)
    rule = owned.create_rule(storage, loaded, {"name": "Tlatelolco", "query": "Tlatelolco"}, "ana")
    before = storage.alert_rules.get(rule["id"])

    settings.alerts_path.write_text("rules: []\n", encoding="utf-8")
    emptied = sync_rules(storage, load_alerts(settings.alerts_path))
    assert emptied.removed == ["strategic-stability"] and rule["id"] not in emptied.removed
    assert storage.alert_rules.get(rule["id"]) == before

    # A rule of alerts.yaml that takes the id of a page-made one is skipped and said so.
    settings.alerts_path.write_text(
        f"rules:\n  - {{id: {rule['id']}, name: Taken, query: NPT}}\n", encoding="utf-8"
    )
    taken = sync_rules(storage, load_alerts(settings.alerts_path))
    assert taken.added == taken.updated == taken.removed == [] and "search page" in taken.errors[0]
    after = storage.alert_rules.get(rule["id"])
    assert (after["query"], after["owner"], after["source"]) == ("Tlatelolco", "ana", "page")
    assert after["_seq_no"] == before["_seq_no"]  # not even rewritten

    # When the analysis changes, a page-made rule gets terms for the new analysis, its definition stays.
    storage.alert_rules.update(
        rule["id"], {"analysis_fingerprint": "an older analysis", "terms": ["stale"]}, wait_for_refresh=True
    )
    sync_rules(storage, load_alerts(settings.alerts_path))
    fresh = storage.alert_rules.get(rule["id"])
    assert (
        fresh["terms"] == before["terms"] and fresh["analysis_fingerprint"] == before["analysis_fingerprint"]
    )
    assert fresh["definition"] == before["definition"] and fresh["updated_at"] == before["updated_at"]


def test_a_page_made_rule_outlives_a_rollover_and_a_backup_restore(storage, es_url, prefix, tmp_path):
    missing = storage.snapshots.names_of_nodes_without_repo()
    assert not missing, f"node(s) {missing} have no path.repo: start Elasticsearch with scripts/elasticsearch"
    settings = analyst_settings(es_url, prefix, tmp_path)
    sync(storage, settings)
    loaded = load_alerts(settings.alerts_path)
    rule = owned.create_rule(storage, loaded, {"name": "Tlatelolco", "query": "Tlatelolco"}, "ana")
    search = analysts.save_search(storage, "ana", {"name": "Zones", "query": '"nuclear-weapon-free zone"'})
    analysts.record_visit(storage, "ana")
    names = storage.names
    small = (names.saved_searches, names.visits, names.audit, names.alert_rules)
    storage.es.indices.refresh(index=names.everything)
    counts = {i: n for i, n in storage.lifecycle.document_counts().items() if i in small}
    assert counts == {names.saved_searches: 1, names.visits: 1, names.audit: 2, names.alert_rules: 2}

    rolled = storage.rollover("0s", "25gb")
    assert rolled["rolled_over"] and rolled["new_index"] == names.articles_index(2)
    assert {i: n for i, n in storage.lifecycle.document_counts().items() if i in small} == counts
    assert [i.name for i in storage.lifecycle.articles_indices()] == [
        names.articles_index(1),
        names.articles_index(2),
    ]
    ids = write(
        storage, story(1, "Tlatelolco after the rollover", "The Treaty of Tlatelolco, in the new index.")
    )
    assert storage.articles.get_many(ids, ["title"])[0]["_index"] == names.articles_index(2)
    assert run_alerts(storage, settings, ids)["alerts_fired"] == 1

    try:
        made = backups.create_with(storage, f"{prefix}with-page-rules")
        assert set(small) <= set(made["indices"])
        owned.delete_rule(storage, rule["id"], "ana")
        analysts.delete_search(storage, "ana", search["id"])
        assert storage.alert_rules.get(rule["id"]) is None
        backups.restore(settings, made["name"], replace=True)
        back = storage.alert_rules.get(rule["id"])
        assert (back["source"], back["owner"], back["query"], back["enabled"]) == (
            "page",
            "ana",
            "Tlatelolco",
            True,
        )
        assert [s["id"] for s in analysts.saved_searches(storage, "ana")] == [search["id"]]
        assert analysts.previous_visit(storage, "ana") is None and storage.visits.of_user("ana")["last_visit"]
        assert [e["action"] for e in storage.audit.entries(rule["id"])] == ["rule.create"]
        # Restored, it still alerts (the story after the rollover is restored too: a new one).
        assert (
            run_alerts(storage, settings, write(storage, story(2, "Tlatelolco", "Tlatelolco again.")))[
                "alerts_fired"
            ]
            == 1
        )
    finally:
        storage.snapshots.drop_repository()


def test_alerts_export_writes_the_page_made_rules_as_alerts_yaml(
    storage, es_url, prefix, tmp_path, monkeypatch, capsys
):
    settings = analyst_settings(es_url, prefix, tmp_path)
    sync(storage, settings)
    loaded = load_alerts(settings.alerts_path)
    made = [
        owned.create_rule(storage, loaded, {"name": "Tlatelolco", "query": "Tlatelolco", "channels": ["mail"]}, "ana"),
        owned.create_rule(storage, loaded, {
            "name": "NPT (weekdays) — «review»", "query": "NPT AND \"review conference\"", "mode": "digest",
            "schedule": "weekdays-08", "channels": ["hook", "log"], "enabled": False,
            "filters": {"topics": ["arms_control"], "outlets": ["news1.example"], "languages": ["en", "fr"]},
        }, "ed"),
    ]  # fmt: skip
    for key, value in {"NEWSMON_ES_URL": es_url, "NEWSMON_INDEX_PREFIX": prefix,
                       "NEWSMON_ALERTS_FILE": str(settings.alerts_path)}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    out = tmp_path / "exported.yaml"
    assert main(["-q", "alerts", "export", "--output", str(out)]) == 0
    assert "2 rule(s)" in capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    assert "# by ana at" in text and "# by ed at" in text and "analyst@example.org" in text

    again = load_alerts(out)  # the rule loader takes it as it is
    assert again.errors == [] and again.failed == {}
    assert sorted(again.channels) == ["hook", "log", "mail"]
    stored = {r["id"]: AlertRule.model_validate(storage.alert_rules.get(r["id"])["definition"]) for r in made}
    assert {r.id: r for r in again.rules} == stored
    assert "strategic-stability" not in text  # rules of alerts.yaml are already configuration

    assert main(["-q", "alerts", "export"]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[1:] == text.splitlines()[1:]  # the first line says when: a second may pass


def test_a_rules_index_made_by_an_older_version_takes_page_made_rules_after_a_sync(
    storage, es_url, prefix, tmp_path
):
    """An alert-rules index without the fields of page-made rules gets them at the next sync
    (adding fields is always allowed), and its rules, stored without `source`, count as configuration."""
    from newsmon.storage.backend import resource_json

    body = resource_json("alert-rules-mapping.json", prefix)
    new_fields = ("source", "owner", "created_at", "created_by", "updated_by")
    for name in new_fields:
        del body["mappings"]["properties"][name]
    storage.es.indices.create(index=storage.names.alert_rules, **body)
    storage.alert_rules.update("old-rule", {"rule_id": "old-rule", "name": "Old", "query": "NPT", "enabled": True,
                                            "terms": ["npt"], "definition": {"id": "old-rule", "name": "Old", "query": "NPT"}},
                               upsert=True, wait_for_refresh=True)  # fmt: skip
    settings = analyst_settings(es_url, prefix, tmp_path)
    sync(storage, settings)
    mapping = storage.es.indices.get_mapping(index=storage.names.alert_rules)[storage.names.alert_rules]
    assert set(new_fields) <= set(mapping["mappings"]["properties"])
    assert storage.alert_rules.get("old-rule") is None  # not in alerts.yaml: a configuration rule, removed
    rule = owned.create_rule(
        storage, load_alerts(settings.alerts_path), {"name": "T", "query": "Tlatelolco"}, "ana"
    )
    storage.alert_rules.refresh()
    assert [h["_id"] for h in storage.alert_rules.scan({"term": {"owner": "ana"}})] == [rule["id"]]
