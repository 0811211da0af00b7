"""A rule made from the search page sends what the search shows: the page's topic and entity
facets narrow with each value chosen (all of them), and so do the rule and its preview. Real
Elasticsearch, the standalone app over the shared web corpus."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from tests.helpers.analysts import analyst_settings, standalone, with_csrf

pytestmark = pytest.mark.integration
SINCE = "365d"  # the corpus was published in March 2026


@pytest.fixture
def client(corpus, es_url, tmp_path):
    prefix, _ids = corpus
    return standalone(analyst_settings(es_url, prefix, tmp_path))


def page_total(client, q: str, **facets: list[str]) -> int:
    pairs = [("q", q), ("since", SINCE)] + [(k, v) for k, vs in facets.items() for v in vs]
    answer = client.get("/?" + urlencode(pairs))
    assert answer.status_code == 200, answer.text
    found = re.search(r'id="count" data-total="(\d+)"', answer.text)
    assert found, answer.text[:500]
    return int(found.group(1))


def preview_total(client, headers, query: str, filters: dict[str, list[str]]) -> int:
    answer = client.post("/api/rules/preview", headers=headers,
                         json={"query": query, "filters": filters, "since": SINCE})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return int(answer.json()["total"])


@pytest.mark.parametrize("q", ["", 'Ryabkov OR "New START" OR Rüstungskontrolle OR nuclear'])
def test_the_preview_of_a_two_topic_search_counts_what_the_search_shows(client, q):
    headers = with_csrf(client)
    topics = ["arms_control", "arms_control.strategic_stability"]
    shown = page_total(client, q, topic=topics)
    query = q or "*"  # what the page sends for an empty search box: every story
    assert shown > 0
    assert preview_total(client, headers, query, {"all_topics": topics}) == shown
    # "any of" would have sent more: the semantics, not the data, make the two equal.
    assert preview_total(client, headers, query, {"topics": topics}) > shown


def test_the_preview_of_a_two_entity_search_counts_what_the_search_shows(client):
    headers = with_csrf(client)
    entities = ["Sergei Ryabkov", "Geneva (talks)"]
    shown = page_total(client, "", entity=entities)
    assert shown == 1
    assert preview_total(client, headers, "*", {"all_entities": entities}) == shown
    assert preview_total(client, headers, "*", {"entities": entities}) == 2


def test_a_rule_keeps_its_all_of_filters(client):
    headers = with_csrf(client)
    made = client.post("/api/rules", headers=headers, json={
        "name": "Talks in Geneva", "query": "*", "filters": {"all_topics": ["arms_control"],
        "all_entities": ["Sergei Ryabkov", "Geneva (talks)"], "outlets": []},
    })  # fmt: skip
    assert made.status_code == 201, made.text
    rule = client.get(f"/api/rules/{made.json()['id']}").json()
    assert rule["filters"]["all_topics"] == ["arms_control"]
    assert rule["filters"]["all_entities"] == ["Sergei Ryabkov", "Geneva (talks)"]
    assert rule["filters"]["topics"] == rule["filters"]["entities"] == []
    bad = client.post("/api/saved-searches", headers=headers,
                      json={"name": "x", "filters": {"all_topics": ["arms_control"]}})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["field"] == "filters.all_topics"
