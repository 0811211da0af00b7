"""A full disk on the real Elasticsearch: the flood-stage watermark's block
(`index.blocks.read_only_allow_delete`, set by hand on the test prefix's indices as the watermark
monitor would) stops a pass at once with exit 3 and what to do; nothing is lost, and the first pass
after the block is lifted stores every article once and alerts once."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon import run
from newsmon.cli import main
from newsmon.errors import StoreReadOnly, StoreUnavailable
from newsmon.run import run_pass
from newsmon.settings import Settings
from newsmon.storage import Storage
from newsmon.storage.backend import Backend
from tests.helpers.records import DEMO

pytestmark = pytest.mark.integration

HOOK_RULES = """
channels:
  - {id: hook, type: webhook, url_env: NEWSMON_TEST_HOOK}
rules:
  - {id: watch, name: Watch, query: Riabkov, channels: [hook]}
"""
DISK = "index.blocks.read_only_allow_delete"


def block(settings: Settings, setting: str = DISK, value: bool | None = True) -> None:
    """Put (or, with None, lift) a block on every index of the prefix, as the watermark monitor does."""
    with Storage.from_settings(settings) as storage:
        storage.es.indices.put_settings(index=f"{settings.index_prefix}*", settings={setting: value})


@pytest.fixture
def demo(site, settings_for, tmp_path: Path, webhook, monkeypatch) -> Settings:
    rules = tmp_path / "alerts.yaml"
    rules.write_text(HOOK_RULES, encoding="utf-8")
    monkeypatch.setenv("NEWSMON_ALERTS_FILE", str(rules))
    monkeypatch.setenv("NEWSMON_TEST_HOOK", webhook.url)
    settings = settings_for(DEMO % {"base": site.base_url}, bulk_chunk=2)
    assert main(["-q", "setup"]) == 0
    return settings


def caught_up(settings: Settings, webhook) -> None:
    """Every demo article stored once, no pending marker left, the rule's alert sent once."""
    again = run_pass(settings, ignore_schedule=True)
    assert again.articles_new == 0 and again.alerts_fired == 0, again.to_dict()
    with Storage.from_settings(settings) as storage:
        storage.articles.refresh()
        urls = [h["_source"]["url"] for h in storage.articles.scan({"match_all": {}}, source=["url"])]
        assert len(urls) == len(set(urls)) == 6
        assert storage.pending.waiting("pending_cluster") == []
        assert storage.pending.waiting("pending_alert") == []
    assert len([e for body in webhook.received for e in body["events"]]) == 1


def test_a_pass_on_a_full_disk_exits_3_saying_what_to_do_and_the_next_pass_catches_up(demo, webhook, capsys):
    block(demo)
    capsys.readouterr()
    assert main(["-q", "run"]) == 3
    err = capsys.readouterr().err
    assert "flood-stage watermark" in err and "Free disk space" in err, err
    assert f'PUT {demo.index_prefix}*/_settings {{"{DISK}": null}}' in err, err
    with Storage.from_settings(demo) as storage:
        assert storage.feed_states.get_many(["meridian-wire", "scraper-blog"]) == {}
    assert webhook.received == []
    block(demo, value=None)
    first = run_pass(demo)
    assert first.articles_new == 6 and first.alerts_fired == 1 and first.errors == [], first.to_dict()
    caught_up(demo, webhook)


def test_the_block_appearing_after_the_first_bulk_chunk_stops_the_batch_and_loses_nothing(
    demo, webhook, monkeypatch
):
    real_chunk = Backend._bulk_chunk
    sent: list[int] = []

    def block_after_the_first_chunk(self, chunk, redirect=None):
        if sent:  # every chunk after the first meets the block
            block(demo)
        sent.append(len(chunk))
        yield from real_chunk(self, chunk, redirect)

    monkeypatch.setattr(Backend, "_bulk_chunk", block_after_the_first_chunk)
    with pytest.raises(StoreReadOnly, match="flood-stage watermark") as raised:
        run_pass(demo)
    assert isinstance(raised.value, StoreUnavailable) and raised.value.setting == DISK
    assert len(sent) == 2  # stopped at the first refused chunk: no backoff, no item-by-item failures
    monkeypatch.setattr(Backend, "_bulk_chunk", real_chunk)
    with Storage.from_settings(demo) as storage:
        storage.articles.refresh()
        assert storage.articles.count({"match_all": {}}) == 2  # the first chunk's, written once
        # no validators advanced: both feeds are fetched in full again
        assert storage.feed_states.get_many(["meridian-wire", "scraper-blog"]) == {}
    assert webhook.received == []
    block(demo, value=None)
    retried = run_pass(demo)
    assert retried.articles_new == 4 and retried.alerts_fired == 1, retried.to_dict()
    caught_up(demo, webhook)


def test_the_block_during_the_cluster_and_alert_steps(demo, webhook):
    batches = run.prepare(demo)
    summary = run.process_batch([i for b in batches for i in b], demo).to_dict()
    block(demo)
    with pytest.raises(StoreReadOnly, match="flood-stage"):
        run.cluster(demo, [summary])
    block(demo, value=None)
    merged = run.cluster(demo, [summary])
    assert merged["duplicates"] >= 1
    block(demo)
    with pytest.raises(StoreReadOnly, match="flood-stage"):
        run.alert(demo)
    assert webhook.received == []
    block(demo, value=None)
    assert run.alert(demo)["alerts_fired"] == 1
    caught_up(demo, webhook)


def test_an_operators_write_block_is_named_with_its_setting(demo):
    block(demo, "index.blocks.write")
    try:
        with pytest.raises(StoreReadOnly, match=r"index\.blocks\.write") as raised:
            run_pass(demo)
        assert "flood-stage" not in str(raised.value)
        assert f'PUT {demo.index_prefix}*/_settings {{"index.blocks.write": null}}' in str(raised.value)
    finally:
        block(demo, "index.blocks.write", None)
