"""A rule's required terms follow the articles' analysis: new synonyms recompute every rule."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from newsmon.alerts.percolate import percolate, sync_rules
from newsmon.alerts.rules import load_alerts
from newsmon.storage import Storage
from tests.alerts.test_alerts import rules_file, story

pytestmark = pytest.mark.integration

RULES = """
rules:
  - {id: stockpile, name: Stockpile, query: stockpile}
  - {id: riabkov, name: Riabkov, query: Riabkov}
"""


def add_synonyms(storage: Storage, line: str) -> None:
    """Add a line to the English search synonyms of the articles' write index (analysis settings
    are changed on a closed index)."""
    es, index = storage.es, storage.articles.write_index()
    name = "newsmon_english_synonyms"
    current = es.indices.get_settings(
        index=index, name=f"index.analysis.filter.{name}.*", flat_settings=False
    )
    synonyms = current[index]["settings"]["index"]["analysis"]["filter"][name]["synonyms"]
    es.indices.close(index=index)
    try:
        es.indices.put_settings(
            index=index,
            settings={
                "analysis": {"filter": {name: {"type": "synonym_graph", "synonyms": [*synonyms, line]}}}
            },
        )
    finally:
        es.indices.open(index=index, wait_for_active_shards="1")


def matched(storage: Storage) -> list[tuple[str, str]]:
    return sorted((m.rule["rule_id"], m.story["_id"]) for m in percolate(storage, ["s1"]))


def test_a_synonym_change_recomputes_every_rule_and_the_rule_finds_the_story(storage, tmp_path, caplog):
    storage.articles.write([story(1, "Inventory", "The country keeps a large arsenal of missiles.")], {})
    path: Path = rules_file(tmp_path, RULES)
    first = sync_rules(storage, load_alerts(path))
    assert sorted(first.added) == ["riabkov", "stockpile"]
    assert matched(storage) == []  # "stockpile" is not a synonym of "arsenal" yet
    again = sync_rules(storage, load_alerts(path))
    assert sorted(again.unchanged) == ["riabkov", "stockpile"] and again.updated == []

    add_synonyms(storage, "stockpile, arsenal")
    assert matched(storage) == []  # the query would match now, but the stored terms are stale
    with caplog.at_level(logging.INFO, logger="newsmon.alerts.percolate"):
        after = sync_rules(storage, load_alerts(path))
    assert sorted(after.updated) == ["riabkov", "stockpile"] and after.unchanged == []
    assert "analysis changed: recomputing the terms of 2 rules" in caplog.text
    assert matched(storage) == [("stockpile", "s1")]
    settled = sync_rules(storage, load_alerts(path))
    assert sorted(settled.unchanged) == ["riabkov", "stockpile"] and settled.updated == []


def test_rules_stored_without_a_fingerprint_are_recomputed_once(storage, tmp_path):
    path = rules_file(tmp_path, RULES)
    sync_rules(storage, load_alerts(path))
    for rule_id in ("riabkov", "stockpile"):  # as stored by a version without fingerprints
        storage.alert_rules.update(rule_id, {"analysis_fingerprint": None})
    storage.alert_rules.refresh()
    once = sync_rules(storage, load_alerts(path))
    assert sorted(once.updated) == ["riabkov", "stockpile"] and once.unchanged == []
    twice = sync_rules(storage, load_alerts(path))
    assert sorted(twice.unchanged) == ["riabkov", "stockpile"] and twice.updated == []


def test_a_kept_rule_gets_the_terms_of_the_new_analysis_too(storage, tmp_path):
    storage.articles.write([story(1, "Inventory", "The country keeps a large arsenal of missiles.")], {})
    path = rules_file(tmp_path, RULES)
    sync_rules(storage, load_alerts(path))
    path.write_text(RULES.replace("query: stockpile", "query: 'stockpile AND ('"), encoding="utf-8")
    add_synonyms(storage, "stockpile, arsenal")
    result = sync_rules(storage, load_alerts(path))
    assert result.kept == ["stockpile"] and result.updated == ["riabkov"]
    assert matched(storage) == [("stockpile", "s1")]  # its last good version, with the new synonym
