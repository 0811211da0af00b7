"""A rule with a huge query (20,000 terms, 180 KB) is refused at load, before any parser or
Elasticsearch sees it, with a short error that quotes at most 100 characters of the query; the
other rules still load."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from newsmon.alerts.rules import MAX_QUERY_CHARS, MAX_QUERY_TERMS, AlertRule, load_alerts


def write_rules(tmp_path, *rules):
    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump({"rules": list(rules)}), encoding="utf-8")
    return path


def test_rule_with_20000_terms_is_refused_with_a_short_error_and_the_others_load(tmp_path):
    huge = " OR ".join(f"term{i}" for i in range(20_000))
    assert len(huge) > 180_000
    path = write_rules(
        tmp_path,
        {"id": "huge", "name": "Huge", "query": huge},
        {"id": "fine", "name": "Fine", "query": "Riabkov OR treaty"},
    )
    loaded = load_alerts(path)
    assert [r.id for r in loaded.rules] == ["fine"]
    (error,) = loaded.errors
    assert f"at most {MAX_QUERY_CHARS}" in error and "huge" in error
    assert len(error) < 400 and "term9999" not in error  # the query is quoted, not repeated


def test_rule_with_more_terms_than_the_cap_in_few_characters_is_refused():
    many = " ".join("ab" for _ in range(MAX_QUERY_TERMS + 1))
    with pytest.raises(
        ValidationError, match=f"query has {MAX_QUERY_TERMS + 1} terms, at most {MAX_QUERY_TERMS}"
    ):
        AlertRule.model_validate({"id": "many", "name": "Many", "query": many})


def test_rule_query_of_quoted_phrases_and_operators_within_the_cap_loads():
    query = " OR ".join(f'"strategic stability {i}"' for i in range(200)) + " AND NOT (sports OR weather)"
    assert AlertRule.model_validate({"id": "ok", "name": "Ok", "query": query}).query == query
