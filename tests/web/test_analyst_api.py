"""The analysts' API of the standalone `newsmon web` (the app behind its guard), on the real
Elasticsearch: who may change what (identity, CSRF, cross-site), rules, preview, saved searches,
visits, export and the OpenAPI document. Inside Airflow: test_plugin.py."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from newsmon import clock
from newsmon.alerts import owned
from newsmon.alerts.percolate import back_test
from newsmon.alerts.rules import AlertRule, load_alerts
from newsmon.alerts.service import sync
from newsmon.web import analysts
from newsmon.web.app import create_app
from newsmon.web.guard import COOKIE
from tests.helpers.analysts import BASE, analyst_settings, standalone, story, with_csrf

pytestmark = pytest.mark.integration
TOKEN = "analyst-token-for-the-tests-0123456789"
RULE = {"name": "Riabkov watch", "query": "Riabkov", "channels": ["log"]}
PREVIEW = {"query": "Riabkov", "since": "7d"}
SEARCH = {"name": "NPT", "query": "NPT", "filters": {"topics": ["arms_control"]}}


@pytest.fixture
def world(storage, es_url, prefix, tmp_path):
    """Settings, a synced configuration rule, stories of the last days, a page-made rule and a
    saved search of the user `local`."""
    settings = analyst_settings(es_url, prefix, tmp_path)
    sync(storage, settings)
    storage.articles.write([
        story(1, "Geneva talks", "Sergei Riabkov met Wendy Sherman on strategic stability.", days_ago=1),
        story(2, "Review conference", "The NPT review conference opened.", days_ago=3),
        story(3, "Riabkov again", "Riabkov spoke about the New START treaty.", days_ago=3.2),
        story(4, "=HYPERLINK(\"http://evil.example\")", "A title that is a formula; NPT.", days_ago=20),
    ], {})  # fmt: skip
    storage.articles.refresh()
    loaded = load_alerts(settings.alerts_path)
    rule = owned.create_rule(storage, loaded, RULE, "local")
    search = analysts.save_search(storage, "local", SEARCH)
    return settings, rule["id"], search["id"]


def routes(rule_id: str, search_id: str) -> list[tuple[str, str, dict | None]]:
    """Every state-changing route, with a body it accepts."""
    return [
        ("POST", "/api/rules", RULE),
        ("PUT", f"/api/rules/{rule_id}", {"enabled": False}),
        ("POST", "/api/rules/preview", PREVIEW),
        ("POST", "/api/saved-searches", SEARCH),
        ("POST", "/api/visits", None),
        ("DELETE", f"/api/saved-searches/{search_id}", None),
        ("DELETE", f"/api/rules/{rule_id}", None),
    ]


def send(client: TestClient, method: str, path: str, body: dict | None, headers: dict[str, str]):
    return client.request(method, path, json=body, headers=headers)


def state(storage) -> tuple:
    """What the state-changing routes change, to see that a refused request changed nothing."""
    storage.alert_rules.refresh()
    rules = sorted((r["rule_id"], r.get("enabled")) for r in storage.alert_rules.all())
    searches = sorted(s["id"] for s in storage.saved_searches.of_user("local"))
    return rules, searches, storage.visits.of_user("local"), len(storage.audit.entries())


def test_without_an_identity_every_route_of_the_api_answers_401(world, storage):
    settings, rule_id, search_id = world
    bare = TestClient(create_app(lambda: settings), base_url=BASE)  # no auth layer in front
    before = state(storage)
    reads = [("GET", p, None) for p in ("/api/me", "/api/rules", f"/api/rules/{rule_id}", "/api/channels",
                                        "/api/schedules", "/api/saved-searches", "/api/export?q=NPT")]  # fmt: skip
    for method, path, body in [*routes(rule_id, search_id), *reads]:
        resp = send(bare, method, path, body, {})
        assert resp.status_code == 401, (method, path, resp.text)
        assert resp.json()["error"]
    assert state(storage) == before


def test_browser_requests_without_the_csrf_token_or_from_another_site_change_nothing(world, storage):
    settings, rule_id, search_id = world
    client = standalone(settings)  # loopback, no token: the user `local`
    good = with_csrf(client)
    refused = {
        "no token": {"Origin": BASE},
        "wrong token": {"X-CSRF-Token": "0" * 64, "Origin": BASE},
        "cross-site": {**good, "Sec-Fetch-Site": "cross-site"},
        "other origin": {**good, "Origin": "http://evil.example"},
        "null origin": {**good, "Origin": "null"},
        "another port": {**good, "Origin": "http://127.0.0.1:9999"},
        # No token is configured: a bearer header proves nothing and exempts nothing.
        "bearer without a server token": {"Authorization": "Bearer anything-at-all"},
    }
    before = state(storage)
    for method, path, body in routes(rule_id, search_id):
        for why, headers in refused.items():
            resp = send(client, method, path, body, headers)
            assert resp.status_code == 403, (why, method, path, resp.text)
            assert "error" in resp.json()
    assert state(storage) == before
    # From the page itself (same origin, or no Origin header at all, with the token), all pass.
    expected = [201, 200, 200, 201, 200, 204, 204]
    for (method, path, body), status in zip(routes(rule_id, search_id), expected, strict=True):
        headers = good if method != "POST" else {"X-CSRF-Token": good["X-CSRF-Token"]}
        resp = send(client, method, path, body, headers | {"Sec-Fetch-Site": "same-origin"})
        assert resp.status_code == status, (method, path, resp.text)
    assert state(storage) != before


def test_with_a_token_api_clients_need_it_and_browsers_need_the_csrf_token_too(world, storage):
    settings, rule_id, search_id = world
    client = standalone(settings, TOKEN)
    before = state(storage)
    for method, path, body in routes(rule_id, search_id):
        assert send(client, method, path, body, {}).status_code == 401
        assert (
            send(client, method, path, body, {"Authorization": "Bearer wrong-token-0123456789"}).status_code
            == 401
        )
    # Signed in with the token, a browser carries a cookie: without the CSRF header it is refused.
    signed = client.post("/signin?next=/", data={"token": TOKEN})
    assert signed.status_code == 303 and COOKIE in signed.headers["set-cookie"]
    me = client.get("/api/me").json()
    assert me["user"] == "token" and me["can_edit"] is True
    for method, path, body in routes(rule_id, search_id):
        assert send(client, method, path, body, {}).status_code == 403
    assert state(storage) == before
    assert send(client, "POST", "/api/rules", RULE, {"X-CSRF-Token": me["csrf_token"]}).status_code == 201
    client.cookies.clear()
    # An API client with the bearer token needs no CSRF token. (Saved searches are each user's
    # own: the one deleted here is the user `token`'s.)
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    expected = [201, 200, 200, 201, 200, 204, 204]
    tokens_search = analysts.save_search(storage, "token", SEARCH)["id"]
    for (method, path, body), status in zip(routes(rule_id, tokens_search), expected, strict=True):
        resp = send(client, method, path, body, bearer)
        assert resp.status_code == status, (method, path, resp.text)
    owners = {r["created_by"] for r in storage.alert_rules.all() if r.get("source") == "page"}
    assert owners == {"token"}  # the rule of `local` was deleted; those made with the token remain


def test_rules_made_changed_paused_and_deleted_on_the_page_with_an_audit_record_each(world, storage):
    settings, _, _ = world
    client = standalone(settings)
    page = with_csrf(client)
    made = client.post("/api/rules", headers=page, json={
        "name": "NPT daily", "query": "NPT OR \"review conference\"", "filters": {"topics": ["arms_control"], "since": "7d"},
        "mode": "digest", "schedule": "weekdays-08", "channels": ["mail", "hook"],
    })  # fmt: skip
    assert made.status_code == 201, made.text
    rule = made.json()
    assert rule["id"].startswith("npt-daily-") and rule["source"] == "page" and rule["editable"] is True
    assert (rule["schedule"], rule["schedule_label"]) == ("weekdays-08", "Monday to Friday at 08:00 UTC")
    assert rule["owner"] == rule["created_by"] == rule["updated_by"] == "local" and rule["created_at"]
    assert rule["filters"]["topics"] == ["arms_control"] and "since" not in rule["filters"]
    stored = storage.alert_rules.get(rule["id"])
    assert stored["schedule"] == "0 8 * * 1-5" and stored["terms"] and stored["analysis_fingerprint"]
    assert AlertRule.model_validate(stored["definition"]).channels == ["mail", "hook"]

    listed = client.get("/api/rules").json()["rules"]
    by_id = {r["id"]: r for r in listed}
    assert by_id["strategic-stability"]["source"] == "configuration"
    assert (
        by_id["strategic-stability"]["editable"] is False
        and by_id["strategic-stability"]["origin"] == "config"
    )
    assert listed[0]["source"] == "page"  # the page's own rules first

    renamed = client.put(
        f"/api/rules/{rule['id']}", headers=page, json={"name": "NPT (weekdays)", "schedule": "0 7 * * *"}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "NPT (weekdays)" and renamed.json()["schedule"] == "0 7 * * *"
    assert renamed.json()["schedule_label"] == "On the schedule 0 7 * * * (cron, UTC)"
    assert renamed.json()["channels"] == ["mail", "hook"]  # what was not given stays
    paused = client.put(f"/api/rules/{rule['id']}", headers=page, json={"enabled": False})
    assert paused.json()["enabled"] is False and storage.alert_rules.get(rule["id"])["enabled"] is False
    assert rule["id"] not in {r["rule_id"] for r in storage.alert_rules.enabled()}
    resumed = client.put(f"/api/rules/{rule['id']}", headers=page, json={"enabled": True})
    assert resumed.json()["enabled"] is True
    assert client.get(f"/api/rules/{rule['id']}").json()["name"] == "NPT (weekdays)"
    assert client.delete(f"/api/rules/{rule['id']}", headers=page).status_code == 204
    assert client.get(f"/api/rules/{rule['id']}").status_code == 404
    assert client.delete(f"/api/rules/{rule['id']}", headers=page).status_code == 404

    trail = [(e["action"], e["user"], e["target_id"]) for e in storage.audit.entries(rule["id"])]
    assert trail == [(a, "local", rule["id"]) for a in
                     ("rule.delete", "rule.resume", "rule.pause", "rule.update", "rule.create")]  # fmt: skip
    update = storage.audit.entries(rule["id"])[3]
    assert update["changed"] == ["name", "schedule"] and update["before"]["name"] == "NPT daily"
    assert update["after"]["name"] == "NPT (weekdays)" and update["@timestamp"]


def test_configuration_rules_are_read_only_on_the_page(world, storage):
    settings, _, _ = world
    client = standalone(settings)
    page = with_csrf(client)
    before = storage.alert_rules.get("strategic-stability")
    for method, body in (("PUT", {"enabled": False}), ("DELETE", None)):
        resp = send(client, method, "/api/rules/strategic-stability", body, page)
        assert resp.status_code == 409 and "configuration" in resp.json()["error"]
    assert storage.alert_rules.get("strategic-stability") == before


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({**RULE, "query": "title:(treaty AND"}, "query", "Lucene"),
        ({**RULE, "query": "x " * 1200}, "query", "terms"),
        ({**RULE, "query": "*nuclear"}, "query", "wildcard"),
        ({**RULE, "channels": ["pager"]}, "channels", "unknown channel"),
        ({**RULE, "mode": "digest"}, "schedule", "needs a schedule"),
        ({**RULE, "mode": "digest", "schedule": "every morning"}, "schedule", "cron"),
        ({**RULE, "mode": "weekly"}, "mode", "instant"),
        ({**RULE, "name": "  "}, "name", "at least 1"),
        ({**RULE, "owner": "someone-else"}, "owner", "not a field"),
        ({**RULE, "filters": {"topics": "arms_control"}}, "filters.topics", "list"),
    ],
)  # fmt: skip
def test_a_rule_that_cannot_be_taken_is_refused_naming_the_field(world, storage, body, field, words):
    settings, _, _ = world
    client = standalone(settings)
    count = len(storage.alert_rules.all())
    resp = client.post("/api/rules", headers=with_csrf(client), json=body)
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == field and words.lower() in resp.json()["error"].lower(), resp.json()
    assert len(storage.alert_rules.all()) == count


def test_preview_counts_what_the_rule_would_have_sent_per_day(world, storage):
    settings, _, _ = world
    client = standalone(settings)
    page = with_csrf(client)
    week = client.post(
        "/api/rules/preview", headers=page, json={"query": "Riabkov OR NPT", "since": "7d"}
    ).json()
    assert week["total"] == week["count"] == 3 and [s["id"] for s in week["stories"]] == ["s1", "s2", "s3"]
    assert len(week["per_day"]) == 8 and sum(d["count"] for d in week["per_day"]) == 3  # every day, 0s too
    three_days_ago = (clock.now() - timedelta(days=3)).date().isoformat()
    assert {d["day"]: d["count"] for d in week["per_day"]}.get(three_days_ago, 0) >= 1
    assert week["stories"][0] == {"id": "s1", "title": "Geneva talks", "outlet": "news1.example",
                                  "published": week["stories"][0]["published"], "url": "https://news1.example/1",
                                  "cluster_size": 1}  # fmt: skip
    month = client.post(
        "/api/rules/preview", headers=page, json={"query": "Riabkov OR NPT", "since": "30d"}
    ).json()
    assert month["total"] == 4
    # The same as the back-test of the CLI (`newsmon alerts test`), for the same rule.
    rule = AlertRule(id="x", name="x", query="Riabkov OR NPT")
    assert back_test(storage, rule, "30d", 10).total == 4
    only_outlet = client.post("/api/rules/preview", headers=page,
                              json={"query": "Riabkov", "filters": {"outlets": ["news3.example"]}}).json()  # fmt: skip
    assert [s["id"] for s in only_outlet["stories"]] == ["s3"]
    bad = client.post("/api/rules/preview", headers=page, json={"query": "Riabkov", "since": "1y"})
    assert bad.status_code == 422 and bad.json()["field"] == "since"


def test_channels_are_named_without_their_addresses_and_schedules_are_presets(world):
    settings, _, _ = world
    client = standalone(settings)
    channels = client.get("/api/channels")
    assert channels.json() == [{"id": "hook", "type": "webhook"}, {"id": "log", "type": "log"},
                               {"id": "mail", "type": "email"}]  # fmt: skip
    assert "analyst@example.org" not in channels.text and "NEWSMON_TEST_HOOK" not in channels.text
    presets = client.get("/api/schedules").json()
    assert [p["id"] for p in presets] == ["hourly", "daily-08", "weekdays-08", "weekly-mon-08"]
    assert all(p["label"] and p["cron"] for p in presets)


def test_saved_searches_are_each_users_own(world, storage):
    settings, _, local_search = world
    theirs = analysts.save_search(storage, "ana", {"name": "Ana's", "query": "Geneva"})
    client = standalone(settings)
    page = with_csrf(client)
    mine = client.get("/api/saved-searches").json()["searches"]
    assert [s["id"] for s in mine] == [local_search] and mine[0]["filters"] == {"topics": ["arms_control"]}
    assert [s["name"] for s in analysts.saved_searches(storage, "ana")] == ["Ana's"]
    # Another user's search is not there for `local`: neither to list nor to delete.
    assert client.delete(f"/api/saved-searches/{theirs['id']}", headers=page).status_code == 404
    assert [s["id"] for s in analysts.saved_searches(storage, "ana")] == [theirs["id"]]
    made = client.post("/api/saved-searches", headers=page, json={
        "name": "Recent tests", "query": "\"nuclear test\"", "filters": {"since": "30d", "outlets": ["news1.example"],
                                                                       "date_from": "2026-01-01"},
    })  # fmt: skip
    assert made.status_code == 201 and made.json()["filters"]["date_from"] == "2026-01-01"
    bad = client.post(
        "/api/saved-searches", headers=page, json={"name": "x", "filters": {"date_to": "yesterday"}}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "filters.date_to"
    assert client.delete(f"/api/saved-searches/{local_search}", headers=page).status_code == 204
    assert [s["name"] for s in client.get("/api/saved-searches").json()["searches"]] == ["Recent tests"]
    actions = [
        (e["action"], e["user"]) for e in storage.audit.entries() if e["target_type"] == "saved_search"
    ]
    assert actions == [("search.delete", "local"), ("search.create", "local"), ("search.create", "ana"),
                       ("search.create", "local")]  # fmt: skip


def test_new_since_the_previous_visit(world, storage):
    settings, _, _ = world
    client = standalone(settings)
    page = with_csrf(client)
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    moments = iter([monday, monday + timedelta(minutes=5), monday + timedelta(hours=3)])
    now = [monday]

    def tick() -> datetime:
        return now[0]

    with clock.use(tick):
        now[0] = next(moments)
        assert client.post("/api/visits", headers=page).json() == {"previous_visit": None}
        now[0] = next(moments)  # a reload five minutes later: the same visit
        assert client.post("/api/visits", headers=page).json() == {"previous_visit": None}
        now[0] = next(moments)
        assert client.post("/api/visits", headers=page).json() == {"previous_visit": "2026-12-07T09:05:00Z"}
        assert client.get("/api/me").json()["previous_visit"] == "2026-12-07T09:05:00Z"
    assert storage.visits.of_user("ana") is None


def test_export_as_csv_and_json_with_the_pages_filters_and_its_cap(world, es_url, prefix, tmp_path):
    settings, _, _ = world
    client = standalone(settings)
    resp = client.get("/api/export", params={"q": "Riabkov OR NPT", "format": "csv"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    assert resp.headers["content-disposition"].startswith('attachment; filename="newsmon-export-')
    assert "x-newsmon-capped" not in resp.headers and resp.headers["x-newsmon-total"] == "4"
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0] == ["title", "outlet", "published", "language", "topics", "url", "cluster_size"]
    assert [r[5] for r in rows[1:]] == [f"https://news{n}.example/{n}" for n in (1, 2, 3, 4)]  # newest first
    assert (
        rows[1][:2] == ["Geneva talks", "news1.example"]
        and rows[1][4] == "arms_control"
        and rows[1][6] == "1"
    )
    assert rows[4][0] == '\'=HYPERLINK("http://evil.example")'  # a spreadsheet shows it, never runs it

    filtered = client.get(
        "/api/export", params={"q": "Riabkov OR NPT", "format": "json", "outlet": "news2.example"}
    )
    assert filtered.headers["content-type"] == "application/json"
    assert json.loads(filtered.content) == {
        "rows": [{"title": "Review conference", "outlet": "news2.example", "published": json.loads(filtered.content)["rows"][0]["published"],
                  "language": "en", "topics": ["arms_control"], "url": "https://news2.example/2", "cluster_size": 1}],
        "total": 1, "capped": False, "cap": 10000,
    }  # fmt: skip

    capped = standalone(analyst_settings(es_url, prefix, tmp_path, NEWSMON_EXPORT_MAX="2"))
    cut = capped.get("/api/export", params={"q": "Riabkov OR NPT", "format": "csv"})
    assert (
        cut.headers["x-newsmon-capped"] == "2"
        and len(cut.content.decode("utf-8-sig").strip().splitlines()) == 3
    )
    cut_json = json.loads(capped.get("/api/export", params={"q": "*", "format": "json"}).content)
    assert (len(cut_json["rows"]), cut_json["capped"], cut_json["cap"], cut_json["total"]) == (2, True, 2, 4)

    bad = client.get("/api/export", params={"q": "title:(treaty AND", "format": "csv"})
    assert bad.status_code == 400 and bad.json()["field"] == "q"
    assert client.get("/api/export", params={"q": "*", "format": "xlsx"}).status_code == 422


def test_the_export_streams_through_a_point_in_time_page_by_page(world, storage, monkeypatch):
    """With pages of 2 rows, 4 rows come through the point in time in three searches, in order."""
    settings, _, _ = world
    monkeypatch.setattr(type(storage.articles.backend), "page_size", 2)
    asked: list[dict] = []
    client = standalone(settings)
    app_storage = client.app.app.state.newsmon_backend.storage()  # the app's own storage
    search = app_storage.es.search

    def counting(**kw):
        asked.append(kw)
        return search(**kw)

    monkeypatch.setattr(app_storage.es, "search", counting)
    rows = json.loads(client.get("/api/export", params={"q": "*", "format": "json"}).content)["rows"]
    assert [r["url"][-1] for r in rows] == ["1", "2", "3", "4"]
    paged = [kw for kw in asked if "pit" in kw]
    assert len(paged) == 3 and "search_after" not in paged[0]
    assert all("search_after" in kw and kw["size"] == 2 for kw in paged[1:])


def test_the_openapi_document_lists_every_route_of_the_api(world):
    settings, _, _ = world
    doc = standalone(settings).get("/api/openapi.json").json()
    paths = doc["paths"]
    for path, methods in {
        "/api/me": {"get"}, "/api/visits": {"post"}, "/api/channels": {"get"}, "/api/schedules": {"get"},
        "/api/rules": {"get", "post"}, "/api/rules/{rule_id}": {"get", "put", "delete"},
        "/api/rules/{rule_id}/history": {"get"}, "/api/rules/preview": {"post"},
        "/api/saved-searches": {"get", "post"}, "/api/saved-searches/{search_id}": {"delete"}, "/api/export": {"get"},
    }.items():  # fmt: skip
        assert methods <= set(paths[path]), path
    assert "RuleIn" in doc["components"]["schemas"] and "X-CSRF-Token" in doc["info"]["description"]
    export_params = {p["name"] for p in paths["/api/export"]["get"]["parameters"]}
    assert {"q", "format", "topic", "outlet", "language", "since", "date_from", "date_to"} <= export_params


def test_a_body_too_large_is_refused_before_it_is_read(world, storage):
    settings, _, _ = world
    client = standalone(settings)
    page = with_csrf(client)
    count = len(storage.alert_rules.all())
    huge = json.dumps({**RULE, "query": "Riabkov " * 40_000})
    resp = client.post("/api/rules", content=huge, headers={**page, "Content-Type": "application/json"})
    assert resp.status_code == 413 and "larger than" in resp.json()["error"]
    assert len(storage.alert_rules.all()) == count
