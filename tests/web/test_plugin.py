"""The Airflow plugin in plugins/ loads through Airflow's own plugin manager."""

import pytest

pytestmark = pytest.mark.dag


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
    """Airflow's real API server app (plugins mounted as `airflow api-server` mounts them), with two
    users of the simple auth manager: ana (viewer) and ed (admin). No Elasticsearch listens where the
    page looks (the plugin app is made once per process; every test here sees it unreachable)."""
    import json

    from airflow.api_fastapi import app as api_app
    from fastapi.testclient import TestClient

    from tests.helpers.servers import free_port

    passwords = tmp_path / "passwords.json"
    passwords.write_text(json.dumps({"ana": "ana-secret-pw", "ed": "ed-secret-pw"}), encoding="utf-8")
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "ana:viewer,ed:admin")
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
