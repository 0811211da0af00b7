"""Kibana saved objects: the bundled NDJSON, and the import client against a stand-in Kibana.

No Kibana runs here, so the client is tested against a real HTTP server on 127.0.0.1 that
records each request and answers the way Kibana's saved-objects import API does.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from newsmon import kibana
from newsmon.kibana import KibanaImportError, import_saved_objects, render_saved_objects, wait_for_kibana
from tests.helpers.servers import FakeKibana, free_port, kibana_import_success

ARTICLE_FIELDS = {
    "url", "canonical_url", "title", "body", "summary", "authors", "source", "source_domain",
    "published_at", "fetched_at", "@timestamp", "language", "topics", "topic_evidence", "entities",
    "content_hash", "duplicate_of", "cluster_size",
}  # fmt: skip


def _objects(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _by_type(objs: list[dict], type_: str) -> dict[str, dict]:
    return {o["id"]: o for o in objs if o["type"] == type_}


# --- the NDJSON ---------------------------------------------------------------------------------


def test_template_ships_in_the_package_with_the_placeholder():
    text = kibana.template_text()
    assert kibana.PLACEHOLDER in text
    assert "newsmon-" not in text, "the template must not hard-code the default prefix"


def test_rendered_default_prefix_is_valid_ndjson_with_unique_ids():
    text = render_saved_objects("newsmon-")
    assert not re.search(r"\{\{\s*[A-Z_]+\s*\}\}", text), "a placeholder was left unrendered"
    assert text.endswith("\n")
    objs = _objects(text)
    assert len(objs) == len(text.strip().splitlines()), "blank lines inside the NDJSON"
    ids = [(o["type"], o["id"]) for o in objs]
    assert len(ids) == len(set(ids))
    for o in objs:
        assert isinstance(o.get("attributes"), dict) and isinstance(o.get("references"), list)


def test_data_views_follow_the_prefix_with_their_time_fields():
    views = _by_type(_objects(render_saved_objects("newsmon-")), "index-pattern")
    assert views["newsmon-articles"]["attributes"]["title"] == "newsmon-articles*"
    assert views["newsmon-articles"]["attributes"]["timeFieldName"] == "published_at"
    assert views["newsmon-alert-events"]["attributes"]["title"] == "newsmon-alert-events*"
    assert views["newsmon-alert-events"]["attributes"]["timeFieldName"] == "@timestamp"


def test_searches_reference_existing_data_views():
    objs = _objects(render_saved_objects("newsmon-"))
    views = _by_type(objs, "index-pattern")
    searches = _by_type(objs, "search")
    assert len(searches) == 4
    for sid, search in searches.items():
        source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        refs = {r["name"]: r for r in search["references"]}
        assert source["indexRefName"] in refs, f"{sid}: indexRefName has no reference"
        ref = refs[source["indexRefName"]]
        assert ref["type"] == "index-pattern"
        assert ref["id"] in views, f"{sid} points at a data view that is not in the file"
        assert "index" not in source, "the data view goes through references, not an inline id"


def test_arms_control_search():
    objs = _objects(render_saved_objects("newsmon-"))
    [search] = [
        o for o in objs if o["type"] == "search" and o["attributes"]["title"] == "Arms-control stories"
    ]
    attrs = search["attributes"]
    assert attrs["columns"] == ["title", "source", "topics", "published_at"]
    assert set(attrs["columns"]) <= ARTICLE_FIELDS
    assert attrs["sort"] == [["published_at", "desc"]]
    query = json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]
    assert query["language"] in {"kuery", "lucene"}
    assert "topics:" in query["query"] and "arms_control" in query["query"]
    assert "NOT duplicate_of:*" in query["query"]
    assert search["references"][0]["id"] == "newsmon-articles"


def test_alert_events_search():
    objs = _objects(render_saved_objects("newsmon-"))
    [search] = [o for o in objs if o["type"] == "search" and o["attributes"]["title"] == "Alert events"]
    assert search["attributes"]["columns"] == ["rule_id", "article_id", "status", "title"]
    assert search["references"][0]["id"] == "newsmon-alert-events"


def test_custom_prefix_changes_titles_and_ids():
    objs = _objects(render_saved_objects("run42-"))
    views = _by_type(objs, "index-pattern")
    assert {v["attributes"]["title"] for v in views.values()} == {
        "run42-articles*",
        "run42-alert-events*",
        "run42-runs",
        "run42-feeds",
    }
    assert all(o["id"].startswith("run42-") for o in objs)
    for search in [*_by_type(objs, "search").values(), *_by_type(objs, "visualization").values()]:
        assert all(r["id"] in views for r in search["references"])
    assert "newsmon-" not in json.dumps(objs)


@pytest.mark.parametrize("prefix", ['bad"', "Upper-", "-lead", "with space", "a/b", "x\\"])
def test_unusable_prefix_is_refused(prefix):
    with pytest.raises(ValueError, match="index prefix"):
        render_saved_objects(prefix)


def test_broken_template_line_is_reported():
    with pytest.raises(ValueError, match="line 2"):
        render_saved_objects("newsmon-", '{"id": "a", "type": "search"}\n{not json\n')


# --- a stand-in Kibana --------------------------------------------------------------------------


@pytest.fixture
def fake_kibana():
    with FakeKibana() as fake:
        yield fake


def test_import_posts_the_rendered_ndjson_as_multipart(fake_kibana):
    expected = render_saved_objects("newsmon-")
    fake_kibana.replies = [(200, kibana_import_success(expected))]

    result = import_saved_objects(
        fake_kibana.url, username="elastic", password="s3cret", index_prefix="newsmon-"
    )

    [req] = fake_kibana.requests
    assert req["method"] == "POST"
    assert req["path"] == "/api/saved_objects/_import?overwrite=true"
    assert req["headers"]["kbn-xsrf"] == "true"
    assert req["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert req["headers"]["authorization"] == "Basic " + base64.b64encode(b"elastic:s3cret").decode()
    assert b'name="file"' in req["body"]
    assert b'filename="kibana-saved-objects.ndjson"' in req["body"]
    assert expected.encode() in req["body"]
    assert result["success_count"] == len(_objects(expected))
    assert {o["id"] for o in result["objects"]} == {o["id"] for o in _objects(expected)}
    assert "newsmon-articles" in {o["id"] for o in result["objects"]}


def test_import_uses_the_prefix_from_the_environment(fake_kibana, monkeypatch):
    monkeypatch.setenv("NEWSMON_INDEX_PREFIX", "ci7-")
    fake_kibana.replies = [(200, {"success": True, "successCount": 4})]
    import_saved_objects(fake_kibana.url)
    body = fake_kibana.requests[0]["body"]
    assert b'"title":"ci7-articles*"' in body
    assert b"newsmon-articles" not in body
    assert "authorization" not in fake_kibana.requests[0]["headers"]


def test_import_into_a_space(fake_kibana):
    import_saved_objects(fake_kibana.url + "/", space="analysts", index_prefix="newsmon-")
    assert fake_kibana.requests[0]["path"] == "/s/analysts/api/saved_objects/_import?overwrite=true"


def test_import_of_a_given_file(fake_kibana, tmp_path: Path):
    plain = tmp_path / "objects.ndjson"
    plain.write_text('{"id":"x","type":"index-pattern","attributes":{"title":"x*"},"references":[]}\n')
    import_saved_objects(fake_kibana.url, plain)
    assert plain.read_bytes() in fake_kibana.requests[0]["body"]
    assert b'filename="objects.ndjson"' in fake_kibana.requests[0]["body"]

    template = tmp_path / "template.ndjson"
    template.write_text(kibana.template_text())
    import_saved_objects(fake_kibana.url, template, index_prefix="t1-")
    assert render_saved_objects("t1-").encode() in fake_kibana.requests[1]["body"]


def test_import_reporting_errors_raises_with_url_and_details(fake_kibana):
    fake_kibana.replies = [
        (
            200,
            {
                "success": False,
                "successCount": 3,
                "errors": [
                    {
                        "id": "newsmon-arms-control-stories",
                        "type": "search",
                        "meta": {"title": "Arms-control stories"},
                        "error": {
                            "type": "missing_references",
                            "references": [{"type": "index-pattern", "id": "newsmon-articles"}],
                        },
                    }
                ],
                "warnings": [],
            },
        )
    ]
    with pytest.raises(KibanaImportError) as info:
        import_saved_objects(fake_kibana.url, index_prefix="newsmon-")
    message = str(info.value)
    assert f"{fake_kibana.url}/api/saved_objects/_import" in message
    assert "missing_references" in message
    assert "search/newsmon-arms-control-stories" in message
    assert "index-pattern/newsmon-articles" in message
    assert info.value.errors and info.value.errors[0]["error"]["type"] == "missing_references"


@pytest.mark.parametrize(
    "status, payload, fragment",
    [
        (
            401,
            {"statusCode": 401, "error": "Unauthorized", "message": "Unauthorized"},
            "HTTP 401: Unauthorized",
        ),
        (
            400,
            {"statusCode": 400, "error": "Bad Request", "message": "Invalid file extension .txt"},
            "Invalid file",
        ),
        (502, b"<html>bad gateway</html>", "HTTP 502"),
        (200, b"not json", "non-JSON"),
    ],
)
def test_import_http_failures_raise_with_url(fake_kibana, status, payload, fragment):
    fake_kibana.replies = [(status, payload)]
    with pytest.raises(KibanaImportError) as info:
        import_saved_objects(fake_kibana.url, index_prefix="newsmon-")
    assert fake_kibana.url in str(info.value)
    assert fragment in str(info.value)


def test_import_with_nobody_listening_raises_with_url():
    port = free_port()
    with pytest.raises(KibanaImportError, match=rf"http://127\.0\.0\.1:{port}/api/saved_objects/_import"):
        import_saved_objects(f"http://127.0.0.1:{port}", index_prefix="newsmon-", timeout=2)


def test_credentials_in_the_url_stay_out_of_the_message(fake_kibana):
    fake_kibana.replies = [(500, {"message": "boom"})]
    url = fake_kibana.url.replace("http://", "http://elastic:hunter2@")
    with pytest.raises(KibanaImportError) as info:
        import_saved_objects(url, index_prefix="newsmon-")
    assert "hunter2" not in str(info.value)
    assert fake_kibana.url in str(info.value)


# --- waiting for Kibana -------------------------------------------------------------------------


def test_wait_for_kibana_polls_until_available(fake_kibana):
    fake_kibana.replies = [
        (503, {"status": {"overall": {"level": "unavailable"}}}),
        (503, {"status": {"overall": {"level": "degraded"}}}),
        (200, {"status": {"overall": {"level": "available"}}}),
    ]
    status = wait_for_kibana(fake_kibana.url, timeout=10, interval=0.05)
    assert status["status"]["overall"]["level"] == "available"
    assert [r["path"] for r in fake_kibana.requests] == ["/api/status"] * 3


def test_wait_for_kibana_times_out_naming_the_url(fake_kibana):
    fake_kibana.replies = [(503, {"status": {"overall": {"level": "unavailable"}}})]
    with pytest.raises(TimeoutError, match=rf"{fake_kibana.url}/api/status.*unavailable"):
        wait_for_kibana(fake_kibana.url, timeout=0.3, interval=0.05)
