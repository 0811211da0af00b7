"""The Elasticsearch client newsmon uses: nodes, credentials and timeouts from the settings."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from newsmon.settings import Settings


def make_client(settings: Settings) -> Elasticsearch:
    kwargs: dict[str, Any] = {
        "request_timeout": 30,
        "retry_on_timeout": True,
        "max_retries": 2,
        "verify_certs": settings.es_verify_certs,
    }
    if settings.es_api_key:
        kwargs["api_key"] = settings.es_api_key.get_secret_value()
    elif settings.es_username:
        password = settings.es_password.get_secret_value() if settings.es_password else ""
        kwargs["basic_auth"] = (settings.es_username, password)
    # Several nodes may be listed, comma-separated: the client spreads requests and fails over.
    nodes = [u.strip() for u in settings.es_url.get_secret_value().split(",") if u.strip()]
    return Elasticsearch(nodes, **kwargs)
