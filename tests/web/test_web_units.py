"""Parts of `newsmon web` that need no Elasticsearch: the chart, error wording, redaction, and the
page shown when Elasticsearch cannot be reached."""

from __future__ import annotations

import pytest

from newsmon.web import chart, page
from newsmon.web.app import marked, redact
from tests.helpers.servers import free_port


def test_regroup_fills_empty_days_and_widens_long_spans():
    rows, unit = chart.regroup([("2026-03-01", 2, {"a.x": 2}), ("2026-03-03", 1, {"a.y": 1})])
    assert unit == "day" and [r[0] for r in rows] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert rows[1] == ("2026-03-02", 0, {})
    rows, unit = chart.regroup([("2026-01-05", 1, {"a.x": 1}), ("2026-01-07", 2, {"a.x": 2}),
                                ("2026-05-01", 1, {})])  # fmt: skip
    assert unit == "week" and rows[0] == ("2026-01-05", 3, {"a.x": 3})
    rows, unit = chart.regroup([("2021-09-30", 1, {}), ("2026-03-01", 1, {"a.x": 1})])
    assert unit == "month" and rows[0][0] == "2021-09" and rows[-1] == ("2026-03", 1, {"a.x": 1})
    assert sum(r[1] for r in rows) == 2


def test_chart_svg_escapes_names():
    series = chart.series_of([("2026-03-01", 1, {"a.x": 1})], {"a.x": "<b>X</b>"})
    svg = str(chart.stacked_bars([("2026-03-01", 1, {"a.x": 1})], series, "label"))
    assert svg.startswith("<svg") and "&lt;b&gt;X&lt;/b&gt;" in svg and "<b>" not in svg


def test_highlight_markers_become_marks_and_the_rest_is_escaped():
    assert str(marked("a **treaty** <script>")) == "a <mark>treaty</mark> &lt;script&gt;"


def test_redact_drops_credentials():
    assert redact("https://elastic:secret@es1:9200,http://es2:9201") == "https://es1:9200, http://es2:9201"


@pytest.mark.parametrize(
    "query, reason, words",
    [
        ('"New START', 'Lexical error at line 1, column 11.  Encountered: <EOF> after prefix "\\"New START"',
         "quotation mark"),
        ("treaty AND", 'Encountered "<EOF>" at line 1, column 10.\nWas expecting one of:', "ends too early"),
        (")", 'Encountered " ")" ") "" at line 1, column 0.\nWas expecting one of:', "“)” at character 1"),
    ],
)  # fmt: skip
def test_lucene_parse_errors_in_words(query, reason, words):
    body = {"error": {"failed_shards": [{"reason": {"reason": "Failed to parse query",
                                                    "caused_by": {"reason": reason}}}]}}  # fmt: skip
    assert words in page.explain_query_error(query, body)


def test_filters_round_trip_through_the_url():
    from starlette.datastructures import QueryParams

    f, problems = page.parse_filters(QueryParams("q=a+b&topic=x.y&language=de&page=3&date_from=2026-13-01"))
    assert f.q == "a b" and f.topics == ("x.y",) and f.languages == ("de",) and f.page == 3
    assert problems and "2026-13-01" in problems[0] and f.date_from is None
    assert f.toggle("topics", "x.y") == "?q=a+b&language=de"
    assert f.params(page=4) == "?q=a+b&topic=x.y&language=de&page=4"


def test_a_view_as_an_export_an_alert_rule_and_a_saved_search():
    from starlette.datastructures import QueryParams

    f, _ = page.parse_filters(QueryParams(
        "q=NPT&topic=a&topic=a.b&entity=IAEA&outlet=x.org&outlet=y.org&language=en&since=7d&size=50&page=2"
    ))  # fmt: skip
    assert f.export_params("csv") == (
        "?q=NPT&topic=a&topic=a.b&entity=IAEA&outlet=x.org&outlet=y.org&language=en&since=7d&format=csv"
    )  # every page of results, whatever the page size
    assert page.Filters().export_params("json") == "?format=json"
    # The page's topic and entity facets narrow (all of them), outlets and languages widen (any of them).
    assert f.rule_filters() == {"all_topics": ["a", "a.b"], "all_entities": ["IAEA"],
                                "outlets": ["x.org", "y.org"], "languages": ["en"]}  # fmt: skip
    assert f.search_filters() == {"topics": ["a", "a.b"], "entities": ["IAEA"], "outlets": ["x.org", "y.org"],
                                  "languages": ["en"], "since": "7d"}  # fmt: skip
    state = page.client_state(f, "/newsmon", {"a": "Arms control"})
    assert state["root"] == "/newsmon" and state["rule"]["query"] == "NPT"
    assert state["not_taken"] == ["the dates: a rule watches the stories that come in from now on"]
    assert page.client_state(page.Filters(), "", {})["rule"] == {
        "query": "*",
        "filters": {"all_topics": [], "all_entities": [], "outlets": [], "languages": []},
    }  # an empty search box is every story


def test_unreachable_elasticsearch_is_a_page_not_a_traceback():
    from fastapi.testclient import TestClient

    from newsmon.settings import load_settings
    from newsmon.web.app import create_app

    port = free_port()  # nothing listens there
    settings = load_settings({"NEWSMON_ES_URL": f"http://elastic:secret@127.0.0.1:{port}"})
    with TestClient(create_app(lambda: settings)) as client:
        resp = client.get("/", params={"q": "treaty"})
    assert resp.status_code == 503 and "Elasticsearch is not reachable" in resp.text
    assert f"http://127.0.0.1:{port}" in resp.text and "secret" not in resp.text
