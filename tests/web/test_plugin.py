"""The Airflow plugin in plugins/ loads through Airflow's own plugin manager."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.dag
ROOT = Path(__file__).resolve().parents[2]


def test_newsmon_links_plugin_loads():
    from airflow import plugins_manager

    plugins, import_errors = plugins_manager._get_plugins()
    assert import_errors == {}
    names = {p.name for p in plugins}
    assert "newsmon_links" in names
    views, _apps = plugins_manager._get_ui_plugins()
    routes = {v["url_route"] for v in views}
    assert "newsmon-kibana-stories" in routes


def test_newsmon_search_plugin_mounts_the_app_and_adds_a_nav_entry():
    from airflow import plugins_manager

    plugins, import_errors = plugins_manager._get_plugins()
    assert import_errors == {}
    assert "newsmon_search" in {p.name for p in plugins}
    apps, _middlewares = plugins_manager.get_fastapi_plugins()
    mounted = {a["url_prefix"]: a for a in apps}
    assert "/newsmon" in mounted and mounted["/newsmon"]["name"] == "newsmon search"
    views, _apps = plugins_manager._get_ui_plugins()
    search_view = next(v for v in views if v.get("url_route") == "newsmon-search")
    assert search_view["href"] == "/newsmon/" and search_view["destination"] == "nav"


@pytest.fixture
def airflow_api(monkeypatch, tmp_path):
    """Airflow's real API server app (plugins mounted as `airflow api-server` mounts them), with three
    users of the simple auth manager: ana (viewer), uma (user) and ed (admin). No Elasticsearch
    listens where the page looks (the plugin app is made once per process; every test here sees it
    unreachable)."""
    import json

    from airflow.api_fastapi import app as api_app
    from fastapi.testclient import TestClient

    from tests.helpers.servers import free_port

    passwords = tmp_path / "passwords.json"
    passwords.write_text(
        json.dumps({"ana": "ana-secret-pw", "ed": "ed-secret-pw", "uma": "uma-secret-pw"}), encoding="utf-8"
    )
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "ana:viewer,ed:admin,uma:user")
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(passwords))
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "False")
    monkeypatch.delenv("AIRFLOW_CONN_NEWSMON_ES", raising=False)
    monkeypatch.setenv("NEWSMON_ES_URL", f"http://127.0.0.1:{free_port()}")
    api_app.purge_cached_app()
    app = api_app.create_app(apps="core")
    with TestClient(app, follow_redirects=False) as client:
        yield client
    api_app.purge_cached_app()


def _token(client, user: str, password: str) -> str:
    resp = client.post("/auth/token", json={"username": user, "password": password})
    assert resp.status_code in (200, 201), resp.text
    return resp.json()["access_token"]


def test_anonymous_visitor_cannot_read_the_search_page_inside_airflow(airflow_api):
    """Airflow's own API answers 401 without login; the newsmon page and its API do the same (a
    browser is sent to the login page), while a viewer and an admin get what they ask for."""
    client = airflow_api
    assert client.get("/api/v2/dags").status_code == 401
    assert client.get("/newsmon/api/search", params={"q": "treaty"}).status_code == 401
    assert client.get("/newsmon/").status_code == 401
    browser = client.get("/newsmon/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert browser.status_code == 303 and "/auth/login" in browser.headers["location"]
    forged = client.get("/newsmon/api/search", params={"q": "treaty"},
                        headers={"Authorization": "Bearer not-a-jwt"})  # fmt: skip
    assert forged.status_code in (401, 403)

    for user, password in (("ana", "ana-secret-pw"), ("ed", "ed-secret-pw")):
        auth = {"Authorization": f"Bearer {_token(client, user, password)}"}
        # Nothing listens where Elasticsearch should be: the app says so in its own words, past the login.
        api = client.get("/newsmon/api/search", params={"q": "treaty"}, headers=auth)
        assert api.status_code == 503 and "unreachable" in api.json()["error"]
        # The UI's cookie works as the header does.
        client.cookies.set("_token", auth["Authorization"].split()[1])
        assert client.get("/newsmon/").status_code == 503
        client.cookies.clear()


def test_search_app_works_under_the_plugin_prefix(airflow_api):
    """Mounted by Airflow's API server: the page, its stylesheet and its JSON are all under /newsmon/."""
    client = airflow_api
    auth = {"Authorization": f"Bearer {_token(client, 'ana', 'ana-secret-pw')}"}
    page = client.get("/newsmon/", headers=auth)
    assert page.status_code == 503
    assert "Elasticsearch is not reachable" in page.text and "Traceback" not in page.text
    assert 'href="/newsmon/static/style.css"' in page.text
    assert client.get("/newsmon/static/style.css").status_code == 200


# -- the analysts' API inside Airflow ------------------------------------------------------------

RULE = {"name": "Riabkov watch", "query": "Riabkov", "channels": ["log"]}
SEARCH = {"name": "NPT", "query": "NPT"}


def changes(
    rule_id: str = "some-rule-0a1b2c", search_id: str = "0123456789abcdef"
) -> list[tuple[str, str, dict | None]]:
    """Every state-changing route of the analysts' API, with a body it accepts."""
    return [
        ("POST", "rules", RULE), ("PUT", f"rules/{rule_id}", {"enabled": False}), ("DELETE", f"rules/{rule_id}", None),
        ("POST", "rules/preview", {"query": "Riabkov"}), ("POST", "saved-searches", SEARCH),
        ("DELETE", f"saved-searches/{search_id}", None), ("POST", "visits", None),
    ]  # fmt: skip


RULE_CHANGES = {"rules", "rules/some-rule-0a1b2c"}


def test_state_changing_routes_inside_airflow_need_login_permission_and_csrf(airflow_api):
    """Anonymous: 401. A viewer may not change rules (403) but passes to the store (here unreachable:
    503) for the rest; a user and an admin may change rules. A browser's cookie without the CSRF
    token is refused whoever it belongs to."""
    client = airflow_api
    tokens = {u: _token(client, u, f"{u}-secret-pw") for u in ("ana", "uma", "ed")}
    for method, path, body in changes():
        url = f"/newsmon/api/{path}"
        assert client.request(method, url, json=body).status_code == 401, url
        forged = client.request(method, url, json=body, headers={"Authorization": "Bearer not-a-jwt"})
        assert forged.status_code in (401, 403), url
        for user, token in tokens.items():
            resp = client.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"})
            refused = user == "ana" and path in RULE_CHANGES
            assert resp.status_code == (403 if refused else 503), (user, method, url, resp.text)
            if refused:
                assert "may not create or change alert rules" in resp.json()["error"]
            client.cookies.set("_token", token)  # the UI's session, without the page's CSRF token
            assert client.request(method, url, json=body).status_code == 403, (user, url)
            crossed = client.request(method, url, json=body, headers={"Sec-Fetch-Site": "cross-site"})
            assert crossed.status_code == 403
            client.cookies.clear()


@pytest.fixture
def airflow_with_store(airflow_api, storage, es_url, prefix, tmp_path):
    """The Airflow API server with a second copy of the plugin's app, behind the plugin's own login
    check, mounted at /newsmon-t/ and pointed at this test's Elasticsearch prefix (the plugin's own
    app is made once per process, before a test can choose its prefix)."""
    import importlib.util

    from fastapi import Depends
    from starlette.routing import Mount

    from newsmon.alerts.service import sync
    from newsmon.web.app import create_app
    from tests.helpers.analysts import analyst_settings

    spec = importlib.util.spec_from_file_location(
        "newsmon_search_under_test", ROOT / "plugins" / "newsmon_search.py"
    )
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    settings = analyst_settings(es_url, prefix, tmp_path)
    sync(storage, settings)
    app = create_app(lambda: settings, [Depends(plugin.require_reader)])
    airflow_api.app.router.routes.insert(0, Mount("/newsmon-t", app=app))
    return airflow_api


def test_inside_airflow_the_user_is_the_airflow_user_and_viewers_need_the_edit_permission(
    airflow_with_store, storage
):
    client = airflow_with_store
    ana, ed = _token(client, "ana", "ana-secret-pw"), _token(client, "ed", "ed-secret-pw")
    # A viewer in the UI (cookie session): who they are, and that they may not edit rules.
    client.cookies.set("_token", ana)
    me = client.get("/newsmon-t/api/me").json()
    assert (me["user"], me["can_edit"]) == ("ana", False) and len(me["csrf_token"]) == 64
    page = {"X-CSRF-Token": me["csrf_token"], "Origin": "http://testserver"}
    saved = client.post("/newsmon-t/api/saved-searches", json=SEARCH, headers=page)
    assert saved.status_code == 201, saved.text
    assert (
        client.post(
            "/newsmon-t/api/saved-searches", json=SEARCH, headers={"X-CSRF-Token": "0" * 64}
        ).status_code
        == 403
    )
    preview = client.post("/newsmon-t/api/rules/preview", json={"query": "Riabkov"}, headers=page)
    assert preview.status_code == 200 and preview.json()["total"] == 0
    assert client.post("/newsmon-t/api/rules", json=RULE, headers=page).status_code == 403
    assert client.get("/newsmon-t/api/export", params={"q": "*"}).status_code == 200
    rules = client.get("/newsmon-t/api/rules").json()["rules"]
    assert [r["editable"] for r in rules] == [False]
    client.cookies.clear()
    # An admin with a bearer token (an API client): no CSRF token needed; the rule is theirs.
    made = client.post("/newsmon-t/api/rules", json=RULE, headers={"Authorization": f"Bearer {ed}"})
    assert made.status_code == 201, made.text
    assert made.json()["owner"] == "ed" and made.json()["editable"] is True
    paused = client.put(f"/newsmon-t/api/rules/{made.json()['id']}", json={"enabled": False},
                        headers={"Authorization": f"Bearer {ed}"})  # fmt: skip
    assert paused.status_code == 200 and paused.json()["updated_by"] == "ed"
    # The CSRF token is the user's own: ana's does not pass for ed's session.
    client.cookies.set("_token", ed)
    assert client.delete(f"/newsmon-t/api/rules/{made.json()['id']}", headers=page).status_code == 403
    assert client.get(f"/newsmon-t/api/rules/{made.json()['id']}").json()["enabled"] is False
    client.cookies.clear()
    assert [(e["user"], e["action"]) for e in storage.audit.entries()] == [
        ("ed", "rule.pause"),
        ("ed", "rule.create"),
        ("ana", "search.create"),
    ]
    assert [s["name"] for s in storage.saved_searches.of_user("ana")] == ["NPT"]
