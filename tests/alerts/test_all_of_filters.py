"""A rule's `all_topics` and `all_entities` (the search page's facets): a story alerts only with
every one of them, while `topics` and `entities` take any of them. Real Elasticsearch."""

from __future__ import annotations

import pytest
import yaml

from newsmon.alerts import owned
from newsmon.alerts.percolate import percolate, sync_rules
from newsmon.alerts.rules import AlertRule, load_alerts
from tests.helpers.analysts import analyst_settings, story

pytestmark = pytest.mark.integration


def test_all_of_topics_and_entities_percolate_only_stories_with_every_one(storage, es_url, prefix, tmp_path):
    loaded = load_alerts(analyst_settings(es_url, prefix, tmp_path).alerts_path)
    sync_rules(storage, loaded)
    both = ["arms_control", "arms_control.nonproliferation"]
    every = owned.create_rule(storage, loaded, {"name": "Both topics", "query": "IAEA",
                                                "filters": {"all_topics": both}}, "ana")  # fmt: skip
    some = owned.create_rule(storage, loaded, {"name": "Either topic", "query": "IAEA",
                                               "filters": {"topics": both}}, "ana")  # fmt: skip
    people = owned.create_rule(storage, loaded, {"name": "Both people", "query": "IAEA",
                                                 "filters": {"all_entities": ["Grossi", "Araghchi"]}}, "ana")  # fmt: skip
    grossi, araghchi = {"name": "Grossi", "type": "person"}, {"name": "Araghchi", "type": "person"}
    stories = [
        story(1, "IAEA report", "The IAEA reported on Iran.", topics=both, entities=[grossi, araghchi]),
        story(2, "IAEA budget", "The IAEA budget grows.", topics=["arms_control"], entities=[grossi]),
    ]
    storage.articles.write(stories, {})
    matched = {(m.rule["rule_id"], m.story["_id"]) for m in percolate(storage, ["s1", "s2"])}
    assert matched == {(every["id"], "s1"), (some["id"], "s1"), (some["id"], "s2"), (people["id"], "s1")}


def test_a_rule_without_all_of_filters_keeps_its_definition_and_all_of_filters_load_from_yaml(tmp_path):
    plain = AlertRule(id="a", name="A", query="NPT")
    assert "all_topics" not in plain.definition()["filters"]  # an older stored rule's hash stays
    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump({"rules": [{"id": "b", "name": "B", "query": "NPT",
                                               "filters": {"all_topics": ["arms_control"]}}]}))  # fmt: skip
    [rule] = load_alerts(path).rules
    assert rule.filters.all_topics == ["arms_control"]
