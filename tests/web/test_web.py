"""`newsmon web` over HTTP: the JSON API against the CLI, and the page as served, on the real
Elasticsearch. The browser drives the same server in test_web_browser.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import lxml.html
import pytest

from tests.helpers.corpus import web_server

pytestmark = pytest.mark.integration
NEWSMON = str(Path(sys.executable).parent / "newsmon")


@pytest.fixture(scope="module")
def web(es_url, corpus):
    with web_server(es_url, corpus[0]) as base:
        yield base


def cli_json(es_url: str, prefix: str, *args: str) -> dict:
    env = os.environ | {"NEWSMON_ES_URL": es_url, "NEWSMON_INDEX_PREFIX": prefix}
    out = subprocess.run([NEWSMON, "search", *args, "--json"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def page(web: str, **params) -> tuple[int, lxml.html.HtmlElement]:
    resp = httpx.get(f"{web}/", params=params, timeout=30)
    assert "Traceback" not in resp.text
    return resp.status_code, lxml.html.fromstring(resp.text)


@pytest.mark.parametrize(
    "params, args",
    [
        ({"q": "stability"}, ["stability"]),
        ({"q": "Geneva", "include_duplicates": "true"}, ["Geneva", "--include-duplicates"]),
        ({"q": "*", "topic": "arms_control.strategic_stability", "size": "3"},
         ["*", "--topic", "arms_control.strategic_stability", "--size", "3"]),
        ({"q": "title:(missile OR missiles) AND NOT interceptor", "since": "1000d"},
         ["title:(missile OR missiles) AND NOT interceptor", "--since", "1000d"]),
    ],
)  # fmt: skip
def test_api_search_returns_what_the_cli_prints(es_url, corpus, web, params, args):
    api = httpx.get(f"{web}/api/search", params=params, timeout=30)
    assert api.status_code == 200 and api.headers["content-type"].startswith("application/json")
    assert api.json() == cli_json(es_url, corpus[0], *args)
    assert api.json()["total"] > 0


def test_api_search_errors_are_json_in_words(web):
    bad = httpx.get(f"{web}/api/search", params={"q": "title:(treaty AND"}, timeout=30)
    assert bad.status_code == 400 and "rejected by Elasticsearch" in bad.json()["error"]
    assert httpx.get(f"{web}/api/search", params={"q": "x", "since": "soon"}).status_code == 400
    assert httpx.get(f"{web}/api/search").status_code == 422  # q is required, as on the command line


def test_page_lists_stories_with_ids_tags_and_copies(corpus, web):
    _prefix, ids = corpus
    status, doc = page(web, q="Geneva")
    assert status == 200
    results = doc.xpath("//*[@data-article-id]")
    # Leaders only: the two copies of the Geneva story are not results of their own.
    assert [r.get("data-article-id") for r in results][:1] == [ids["geneva"]]
    assert ids["geneva-copy-1"] not in {r.get("data-article-id") for r in results}
    geneva = results[0]
    assert geneva.xpath(".//mark") and "Geneva" in geneva.xpath(".//h3")[0].text_content()
    cluster = geneva.xpath(".//details[@class='copies']")[0]
    assert "Carried by 3 outlets" in cluster.xpath(".//summary")[0].text_content()
    assert {li.get("data-copy-id") for li in cluster.xpath(".//*[@data-copy-id]")} == {
        ids["geneva-copy-1"],
        ids["geneva-copy-2"],
    }
    evidence = geneva.xpath(".//details[@class='evidence']")[0].text_content()
    assert "Strategic stability" in evidence and "strategic stability" in evidence.lower()
    assert "Sergei Ryabkov" in geneva.xpath(".//*[@class='entities']")[0].text_content()


def test_page_facets_count_and_narrow(corpus, web):
    status, doc = page(web, q="*")
    assert status == 200 and doc.xpath("//*[@id='count']")[0].get("data-total") == "12"
    facet = {
        a.get("data-value"): int(a.xpath(".//*[@class='n']")[0].text)
        for a in doc.xpath("//a[@data-facet='subtopics']")
    }
    assert facet["arms_control.strategic_stability"] == 3  # en, de and ru stories; copies not counted
    languages = {a.get("data-value") for a in doc.xpath("//a[@data-facet='languages']")}
    assert languages == {"en", "de", "fr", "es", "ru"}
    status, narrowed = page(web, q="*", topic="arms_control.strategic_stability", language="de")
    assert [r.get("data-article-id") for r in narrowed.xpath("//*[@data-article-id]")] == [
        corpus[1]["ruestung"]
    ]
    status, by_date = page(web, date_from="2026-03-07", date_to="2026-03-07")
    assert len(by_date.xpath("//*[@data-article-id]")) == 2
    # The chart: one day per bar, each segment titled with its subtopic.
    titles = [t.text for t in doc.xpath("//svg//rect/title")]
    assert any(t.startswith("2026-03-02: Strategic stability") for t in titles), titles


def test_page_pages_through_results(web):
    _status, first = page(web, q="*")
    _status, second = page(web, q="*", page="2")
    ids_first = [r.get("data-article-id") for r in first.xpath("//*[@data-article-id]")]
    ids_second = [r.get("data-article-id") for r in second.xpath("//*[@data-article-id]")]
    assert len(ids_first) == 10 and len(ids_second) == 2 and not set(ids_first) & set(ids_second)
    assert first.xpath("//a[@rel='next']")[0].get("href") == "?q=%2A&page=2"


def test_query_syntax_error_is_shown_in_words(web):
    status, doc = page(web, q='"New START')
    assert status == 400
    alert = doc.xpath("//*[@role='alert']")[0].text_content()
    assert "quotation mark" in alert and "not closed" in alert
    assert doc.xpath("//*[@id='q']")[0].get("value") == '"New START'  # kept for correcting
    status, doc = page(web, q="title:(treaty AND")
    assert "ends too early" in doc.xpath("//*[@role='alert']")[0].text_content()


def test_alerts_and_feed_health(es_url, corpus, web):
    from elasticsearch import Elasticsearch

    prefix, ids = corpus
    _status, doc = page(web)
    # The feeds index exists from `newsmon setup` on, empty until a pass has polled a feed.
    assert "No feeds recorded" in doc.xpath("//section[@aria-labelledby='feeds-h']")[0].text_content()
    es = Elasticsearch(es_url)
    try:
        es.index(index=f"{prefix}feeds", id="meridian-wire", refresh=True, document={
            "id": "meridian-wire", "url": "https://meridian-wire.example/rss.xml", "health": "failing",
            "consecutive_failures": 4, "next_due": "2026-03-08T10:00:00Z", "last_status": 503,
            "last_error": "HTTP 503 Service Unavailable"})  # fmt: skip
        es.index(index=f"{prefix}alert-events", id="e1", refresh=True, document={
            "created_at": "2026-03-02T09:30:00Z", "rule_id": "new-start", "rule_name": "New START",
            "article_id": ids["geneva"], "title": "US and Russia resume strategic stability talks in Geneva",
            "url": "https://meridian-wire.example/2026/03/geneva.html", "status": "delivered"})  # fmt: skip
        _status, doc = page(web)
        row = doc.xpath("//tr[@data-feed-id='meridian-wire']")[0].text_content()
        assert "failing" in row and "4" in row and "HTTP 503" in row
        alert = doc.xpath("//tr[@data-event-id='e1']")[0].text_content()
        assert "New START" in alert and "resume strategic stability talks" in alert
    finally:
        es.options(ignore_status=404).indices.delete(index=f"{prefix}feeds,{prefix}alert-events")
        es.close()


def test_page_carries_exports_and_its_state_for_the_script_safely(web):
    query = 'Geneva OR "</script><script>alert(1)</script>"'
    status, doc = page(web, q=query, topic="arms_control", size="20")
    assert status == 200
    csv_link = doc.get_element_by_id("export-csv")
    assert csv_link.get("href") == (
        "/api/export?q=Geneva+OR+%22%3C%2Fscript%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22"
        "&topic=arms_control&format=csv"
    )
    exported = httpx.get(web + csv_link.get("href"), timeout=30)
    assert exported.status_code == 200 and exported.headers["X-Newsmon-Total"] == doc.get_element_by_id(
        "count"
    ).get("data-total")
    # The search is in the page as JSON for analyst.js, never as markup: one script element holds it.
    [state] = doc.xpath('//script[@id="page-state"]')
    assert json.loads(state.text)["query"] == query and len(doc.xpath("//script")) == 3
    assert json.loads(state.text)["rule"]["filters"]["all_topics"] == ["arms_control"]
