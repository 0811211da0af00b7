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


def test_search_app_works_under_the_plugin_prefix(monkeypatch):
    """Mounted as Airflow's API server mounts plugin apps (`app.mount(url_prefix, app)`): the page,
    its stylesheet and its JSON are all under /newsmon/."""
    from airflow import plugins_manager
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from tests.helpers.servers import free_port

    apps, _middlewares = plugins_manager.get_fastapi_plugins()
    plugin_app = next(a for a in apps if a["name"] == "newsmon search")
    host = FastAPI()
    host.mount(plugin_app["url_prefix"], plugin_app["app"])
    # Nothing listens there: the page must say so in words, its assets still under the prefix.
    monkeypatch.delenv("AIRFLOW_CONN_NEWSMON_ES", raising=False)
    monkeypatch.setenv("NEWSMON_ES_URL", f"http://127.0.0.1:{free_port()}")
    with TestClient(host) as client:
        page = client.get("/newsmon/")
        assert page.status_code == 503
        assert "Elasticsearch is not reachable" in page.text and "Traceback" not in page.text
        assert 'href="/newsmon/static/style.css"' in page.text
        assert client.get("/newsmon/static/style.css").status_code == 200
        assert client.get("/newsmon/api/search", params={"q": "x"}).status_code == 503
