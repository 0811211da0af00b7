"""The newsmon search page inside the Airflow UI: `newsmon web`'s app mounted on the API server at
/newsmon/, with a "Search articles" entry in the navigation that opens it inside the UI.

Elasticsearch is found as the DAG tasks find it: the Airflow connection `newsmon_es` when it is
defined (docker compose sets it), otherwise NEWSMON_ES_URL; it is looked up at the first request,
not when the plugin is loaded. Airflow does not protect plugin apps: the page is as public as the
API server's address.
"""

from __future__ import annotations

import logging

from airflow.plugins_manager import AirflowPlugin

from newsmon.web.app import create_app

log = logging.getLogger(__name__)
URL_PREFIX = "/newsmon"


def _settings():
    from airflow.models.connection import Connection

    from newsmon.airflow_support import ES_CONN_ID, es_overrides_from_connection
    from newsmon.settings import load_settings

    try:
        conn = Connection.get_connection_from_secrets(ES_CONN_ID)
    except Exception as exc:  # AirflowNotFoundException: no such connection; use the environment
        log.info("newsmon search: no Airflow connection %r (%s); using NEWSMON_ES_URL", ES_CONN_ID, exc)
        return load_settings()
    return load_settings(**es_overrides_from_connection(conn))


class NewsmonSearch(AirflowPlugin):
    name = "newsmon_search"
    fastapi_apps = [{"app": create_app(_settings), "url_prefix": URL_PREFIX, "name": "newsmon search"}]
    external_views = [
        {
            "name": "Search articles",
            # Airflow answers /newsmon itself; the app is at /newsmon/.
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "category": "browse",
            "url_route": "newsmon-search",
        },
    ]
