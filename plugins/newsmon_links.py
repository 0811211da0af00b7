"""Airflow UI links to where analysts read the results: Kibana's arms-control stories and alert events.

Set NEWSMON_KIBANA_PUBLIC_URL to the Kibana address users open in their browser
(docker compose: http://localhost:5601).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from newsmon.settings import load_settings

_KIBANA = load_settings().kibana_public_url.rstrip("/")


class NewsmonLinks(AirflowPlugin):
    name = "newsmon_links"
    external_views = [
        {
            "name": "Arms-control stories (Kibana)",
            "href": f"{_KIBANA}/app/discover#/view/newsmon-arms-control-stories",
            "destination": "nav",
            "category": "browse",
            "url_route": "newsmon-kibana-stories",
        },
    ]
