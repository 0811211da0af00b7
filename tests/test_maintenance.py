"""Retention and `newsmon maintenance` on the real Elasticsearch, with newsmon's clock standing at
a chosen day: what is older than NEWSMON_RETENTION goes (whole articles indices, never the write
index), what refers only to it goes, the rest stays; a dry run says exactly the same and deletes
nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from newsmon import clock, run
from newsmon.cli import main
from newsmon.clock import iso
from newsmon.storage import Storage
from tests.helpers.records import article, event

pytestmark = pytest.mark.integration

T0 = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
FEEDS = "feeds:\n  - {id: kept-feed, url: 'https://feeds.example/a.xml'}\n"


def at(days: float) -> str:
    return iso(T0 + timedelta(days=days)) or ""


def stored(n: int, days: float):
    return article(
        n, url=f"https://a.example/{n}", canonical_url=f"https://a.example/{n}", fetched_at=at(days)
    )


def fill(storage: Storage) -> dict[str, str]:
    """Three articles indices: the first old (newest article day 5), the second young (day 100),
    the write index holding one old article (day 0); and old and young records of every kind."""
    names = storage.names

    def write(*articles) -> None:  # a new Storage finds the write index anew (as the next task does)
        Storage(storage.es, storage.prefix, storage.url).articles.write(list(articles), {})

    write(stored(1, 0), stored(2, 5))
    storage.rollover("0s", "100gb")  # a forced rollover
    write(stored(3, 100))
    storage.rollover("0s", "100gb")
    write(stored(4, 0))
    storage.failed_pages.record([("f-old", "https://a.example/f1", "timeout")], T0)
    storage.failed_pages.record([("f-new", "https://a.example/f2", "timeout")], T0 + timedelta(days=100))
    storage.alert_events.ensure()
    outcomes = storage.alert_events.create(
        [event("id1", id="e-old", created_at=at(1)), event("id3", id="e-new", created_at=at(100))]
    )
    assert all(o.ok for o in outcomes)
    storage.alert_events.refresh()
    storage.runs.record({"@timestamp": at(2), "run_id": "r-old"})
    storage.runs.record({"@timestamp": at(101), "run_id": "r-new"})
    storage.feed_states.put_many([{"id": "kept-feed"}, {"id": "gone-feed"}], refresh=True)
    storage.refresh_articles()
    return {
        "old": names.articles_index(1),
        "young": names.articles_index(2),
        "write": names.articles_index(3),
    }


def counts(storage: Storage) -> dict[str, int]:
    return {k: v for k, v in storage.lifecycle.document_counts().items() if not k.endswith("-backups")}


def test_retention_removes_old_indices_and_records_and_a_dry_run_says_so_first(settings_for, monkeypatch):
    settings = settings_for(FEEDS, retention="60d")
    with Storage.from_settings(settings) as storage:
        storage.setup()
        index = fill(storage)
        before = counts(storage)
        names = storage.names
        expected_docs = {
            names.pending: 2,  # the markers of articles 1 and 2, whose index goes
            names.failed_pages: 1,
            names.alert_events: 1,
            names.runs: 1,
            names.feeds: 1,
        }
        with clock.use(lambda: T0 + timedelta(days=120)):  # the cutoff is day 60
            dry = run.prune(settings, dry_run=True)
            assert counts(storage) == before  # nothing changed
            done = run.prune(settings)
        assert dry["cutoff"] == done["cutoff"] == at(60)
        assert dry["dry_run"] is True and done["dry_run"] is False
        assert [(i["index"], i["articles"], i["newest_fetched_at"]) for i in dry["indices"]] == [
            (index["old"], 2, at(5))
        ]
        assert dry["indices"] == done["indices"]
        assert dry["documents"] == done["documents"] == expected_docs
        assert dry["feeds"] == done["feeds"] == ["gone-feed"]

        after = counts(storage)
        assert index["old"] not in after
        # The write index stays though its only article is old; the young index stays.
        assert sorted(storage.es.indices.get_alias(name=names.articles)) == [index["young"], index["write"]]
        assert storage.articles.write_index() == index["write"]
        assert sorted(h["_id"] for h in storage.articles.get_many(["id1", "id2", "id3", "id4"], [])) == [
            "id3",
            "id4",
        ]
        assert storage.pending.marked_before(T0 + timedelta(days=1000)) == ["id3", "id4"]
        for name in (names.failed_pages, names.alert_events, names.runs):
            assert after[name] == before[name] - 1
        left = {h["_id"] for h in storage.alert_events.scan({"match_all": {}})}
        assert left == {"e-new"}
        assert [r["run_id"] for r in storage.runs.last(5)] == ["r-new"]
        assert storage.feed_states.ids() == ["kept-feed"]

        # Run again: nothing more is old.
        with clock.use(lambda: T0 + timedelta(days=120)):
            again = run.prune(settings)
        assert again["indices"] == [] and set(again["documents"].values()) == {0}


def test_unset_retention_keeps_everything(settings_for):
    settings = settings_for(FEEDS)
    with Storage.from_settings(settings) as storage:
        storage.setup()
        fill(storage)
        before = counts(storage)
        with clock.use(lambda: T0 + timedelta(days=5000)):
            done = run.prune(settings)
        assert done["retention"] is None and done["indices"] == [] and done["documents"] == {}
        assert counts(storage) == before


def test_maintenance_command_dry_run_changes_nothing_and_reports_each_step(settings_for, monkeypatch, capsys):
    settings = settings_for(FEEDS, retention="60d")
    monkeypatch.setenv("NEWSMON_RETENTION", "60d")
    monkeypatch.setenv("NEWSMON_ROLLOVER_MAX_AGE", "30d")
    with Storage.from_settings(settings) as storage:
        storage.setup()
        index = fill(storage)
        before = counts(storage)
        with clock.use(lambda: T0 + timedelta(days=120)):
            capsys.readouterr()
            assert main(["-q", "maintenance", "--dry-run", "--json"]) == 0
            report = json.loads(capsys.readouterr().out)
            assert counts(storage) == before
            assert storage.snapshots.all() == []
            assert main(["-q", "maintenance", "--dry-run"]) == 0
            text = capsys.readouterr().out
        roll = report["rollover"]
        assert roll["due"] is True and roll["rolled_over"] is False and roll["old_index"] == index["write"]
        assert [i["index"] for i in report["prune"]["indices"]] == [index["old"]]
        assert report["backup"]["name"] == f"{storage.prefix}2030.05.01-080000"
        assert report["backup"]["documents"] == sum(before.values())
        assert "dry run" in text and f"would roll over {index['write']}" in text
        assert f"index {index['old']}: 2 article(s)" in text and "gone-feed" in text


def test_a_bad_retention_names_the_variable(settings_for, capsys, monkeypatch):
    settings_for(FEEDS)
    monkeypatch.setenv("NEWSMON_RETENTION", "six months")
    assert main(["-q", "maintenance", "--dry-run"]) == 78
    assert "NEWSMON_RETENTION" in capsys.readouterr().err


def test_copies_whose_first_seen_copy_retention_removed_form_their_story_again(settings_for):
    """Story 1's first copy lives in the old index, two later copies in the young one: after the
    old index goes, the earlier of the two leads the story, so search (which leaves copies out)
    still finds it."""
    settings = settings_for(FEEDS, retention="60d")
    with Storage.from_settings(settings) as storage:
        storage.setup()

        def write(*articles) -> None:
            Storage(storage.es, storage.prefix, storage.url).articles.write(list(articles), {})

        write(_member(1, 0, None), _member(4, 0, None))  # id4: a second story's first copy,
        storage.rollover("0s", "100gb")
        write(_member(2, 100, "id1"), _member(3, 101, "id1"))
        storage.rollover("0s", "100gb")
        write(_member(5, 102, "id4"))  # and its only other copy, in the write index
        storage.refresh_articles()
        with clock.use(lambda: T0 + timedelta(days=120)):
            done = run.prune(settings)
        assert done["stories_regrouped"] == 2
        storage.refresh_articles()
        members = {
            h["_id"]: h["_source"]
            for h in storage.articles.get_many(["id1", "id2", "id3"], ["duplicate_of", "cluster_size"])
        }
        assert members == {
            "id2": {"duplicate_of": None, "cluster_size": 2},
            "id3": {"duplicate_of": "id2", "cluster_size": 2},
        }


def _member(n: int, days: float, leader: str | None):
    """Article `n` of one story told by three outlets, fetched on day `days`."""
    return article(
        n,
        url=f"https://o{n}.example/story",
        canonical_url=f"https://o{n}.example/story",
        source_domain=f"o{n}.example",
        fetched_at=at(days),
        published_at=at(days),
        duplicate_of=leader,
        cluster_size=3,
    )
