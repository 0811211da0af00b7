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
