"""Backups on the real Elasticsearch: snapshot, delete every newsmon index, restore, and find the
same articles, alert rules, alert events, feed states and search results; a restore over live
indices is refused without --replace; the daily backup keeps NEWSMON_BACKUP_KEEP snapshots.

Nothing here is skipped: `make test` starts Elasticsearch with scripts/elasticsearch, which gives
every node `path.repo`; a node without it fails these tests with the reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from newsmon import clock, run
from newsmon.cli import main
from newsmon.search import search
from newsmon.settings import Settings
from newsmon.storage import Storage
from tests.helpers.records import DEMO

pytestmark = pytest.mark.integration

ALERTS = (
    "channels:\n  - {id: hook, type: webhook, url_env: NEWSMON_TEST_HOOK}\n"
    "rules:\n  - {id: riabkov, name: Riabkov, query: 'Riabkov OR Ryabkov', channels: [hook]}\n"
)
QUERIES = ("Riabkov", "strategic stability", "missile*")


@pytest.fixture
def backed(settings_for, site, webhook, tmp_path, monkeypatch) -> Iterator[Settings]:
    """Settings of a prefix whose snapshot repository is removed afterwards; fails (never skips)
    when the node has no `path.repo`."""
    alerts = tmp_path / "alerts.yaml"
    alerts.write_text(ALERTS, encoding="utf-8")
    monkeypatch.setenv("NEWSMON_TEST_HOOK", webhook.url)
    monkeypatch.setenv("NEWSMON_ALERTS_FILE", str(alerts))
    settings = settings_for(DEMO % {"base": site.base_url})
    with Storage.from_settings(settings) as storage:
        missing = storage.snapshots.names_of_nodes_without_repo()
        if missing:
            pytest.fail(
                f"Elasticsearch node(s) {missing} at {settings.es_url_shown} have no path.repo: start it "
                "with scripts/elasticsearch (as `make test` does), which sets path.repo at start; a node "
                "started by an older version of the script needs `scripts/elasticsearch stop` and `start`"
            )
    yield settings
    with Storage.from_settings(settings) as storage:
        storage.snapshots.drop_repository()


def dump(storage: Storage) -> dict[str, dict[str, Any]]:
    """Every document of every index of the prefix, by index and id."""
    out: dict[str, dict[str, Any]] = {}
    for index in storage.lifecycle.document_counts():
        storage.es.indices.refresh(index=index)
        out[index] = {
            h["_id"]: h["_source"] for h in storage.scan({"match_all": {}}, source=True, index=index)
        }
    return out


def searches(storage: Storage) -> list[dict[str, Any]]:
    return [search(storage, q, size=20) for q in QUERIES]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["-q", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_snapshot_delete_everything_restore_and_find_the_same_data(backed, capsys):
    settings = backed
    summary = run.run_pass(settings)
    assert summary.articles_new == 6 and summary.alerts_fired >= 1, summary.to_dict()
    with Storage.from_settings(settings) as storage:
        before = dump(storage)
        found = searches(storage)
        names = storage.names
    assert before[names.feeds] and before[names.alert_rules] and before[names.alert_events]
    assert len(before[names.first_articles_index]) == 6 and found[0]["total"] >= 1

    code, out, err = cli(capsys, "backup", "create", "--name", f"{settings.index_prefix}first", "--json")
    assert code == 0, err
    made = json.loads(out)
    assert made["state"] == "SUCCESS" and sorted(made["indices"]) == sorted(before)
    assert made["documents"] == sum(len(docs) for docs in before.values())

    with Storage.from_settings(settings) as storage:
        storage.drop_all()  # every index and the template
        assert storage.lifecycle.document_counts() == {}
    code, out, err = cli(capsys, "backup", "restore", f"{settings.index_prefix}first")
    assert code == 0, err
    assert f"backup {settings.index_prefix}first restored" in out

    with Storage.from_settings(settings) as storage:
        assert dump(storage) == before
        assert searches(storage) == found
        assert storage.articles.write_index() == names.first_articles_index
        assert storage.es.indices.exists_index_template(name=names.articles_template)
    # The restored data is a working store: another pass finds everything already indexed.
    again = run.run_pass(settings, ignore_schedule=True)
    assert again.articles_new == 0 and again.errors == [], again.to_dict()

    code, out, _ = cli(capsys, "backup", "list", "--json")
    listed = json.loads(out)["backups"]
    assert [(b["name"], b["state"], b["documents"]) for b in listed] == [
        (f"{settings.index_prefix}first", "SUCCESS", made["documents"])
    ]
    assert listed[0]["size_in_bytes"] > 0 and listed[0]["start_time"]


def test_restore_over_live_indices_is_refused_without_replace(backed, capsys):
    settings = backed
    with Storage.from_settings(settings) as storage:
        storage.setup()
        storage.feed_states.put_many([{"id": "meridian-wire", "note": "before"}], refresh=True)
    code, _, err = cli(capsys, "backup", "create", "--name", f"{settings.index_prefix}b1")
    assert code == 0, err
    with Storage.from_settings(settings) as storage:
        storage.feed_states.put_many([{"id": "meridian-wire", "note": "after"}], refresh=True)

    code, _, err = cli(capsys, "backup", "restore", f"{settings.index_prefix}b1")
    assert code == 1
    assert f"{settings.index_prefix}feeds" in err and "--replace" in err
    with Storage.from_settings(settings) as storage:  # nothing changed
        assert storage.feed_states.get_many(["meridian-wire"])["meridian-wire"]["note"] == "after"

    code, out, err = cli(capsys, "backup", "restore", f"{settings.index_prefix}b1", "--replace")
    assert code == 0, err
    assert "deleted" in out
    with Storage.from_settings(settings) as storage:
        assert storage.feed_states.get_many(["meridian-wire"])["meridian-wire"]["note"] == "before"

    code, _, err = cli(capsys, "backup", "restore", "no-such-snapshot")
    assert code == 1 and "no snapshot 'no-such-snapshot'" in err


def test_the_daily_backup_keeps_the_newest_and_leaves_other_snapshots_alone(backed, monkeypatch):
    monkeypatch.setenv("NEWSMON_BACKUP_KEEP", "2")
    from newsmon.settings import load_settings

    settings = load_settings()
    assert settings.backup_keep == 2
    with Storage.from_settings(settings) as storage:
        storage.setup()
        storage.snapshots.ensure_repository()
        # A snapshot someone else made in the repository (no newsmon metadata): never pruned.
        storage.es.snapshot.create(
            repository=storage.snapshots.repository, snapshot="by-hand", indices=storage.names.feeds,
            include_global_state=False, wait_for_completion=True,
        )  # fmt: skip
    t0 = datetime(2031, 6, 1, 3, 0, tzinfo=UTC)
    made = []
    for day in range(4):
        with clock.use(lambda day=day: t0 + timedelta(days=day)):
            done = run.backup(settings)
        made.append(done["name"])
        assert done["state"] == "SUCCESS" and done["keep"] == 2
    prefix = settings.index_prefix
    assert made == [f"{prefix}2031.06.0{d}-030000" for d in (1, 2, 3, 4)]
    with Storage.from_settings(settings) as storage:
        left = sorted(s["name"] for s in storage.snapshots.all())
    assert left == sorted(["by-hand", made[2], made[3]])
    # The same second twice (a simulated clock): the second gets a name of its own.
    with clock.use(lambda: t0 + timedelta(days=3)):
        twin = run.backup(settings)
    assert twin["name"] == f"{made[3]}-2" and twin["pruned"] == [made[2]]
