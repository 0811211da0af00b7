"""The newsmon search page inside the Airflow UI: `newsmon web`'s app mounted on the API server at
/newsmon/, with a "Search articles" entry in the navigation that opens it inside the UI.

Elasticsearch is found as the DAG tasks find it: the Airflow connection `newsmon_es` when it is
defined (docker compose sets it), otherwise NEWSMON_ES_URL; it is looked up at the first request,
not when the plugin is loaded.

Airflow does not protect plugin apps (it mounts them beside its own API, whose login check is a
router dependency), so the app carries its own: every route asks Airflow's auth manager for the
user (the UI's JWT cookie or `Authorization: Bearer <jwt>` from `POST /auth/token`) and whether
that user may read the custom view "newsmon search" (viewers may). Without login an API client
gets 401 and a browser is sent to Airflow's login page; a user without the permission gets 403.
It also tells the app who the user is and whether they may edit alert rules (`may_edit`); the
app's API refuses rule changes to the others, and browser requests without its CSRF token.
"""

from __future__ import annotations

import logging

from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, HTTPException, Request

from newsmon.web.app import create_app

log = logging.getLogger(__name__)
URL_PREFIX = "/newsmon"
RESOURCE = "newsmon search"  # the custom view the auth manager is asked about
EDIT_RESOURCE = "newsmon alerts"  # ... and, with method POST, whether the user may edit alert rules


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


async def require_reader(request: Request) -> None:
    """The Airflow user of the request, who must be allowed to read the search page.

    Airflow's modules are imported here, at the first request: the plugin is also loaded by the
    scheduler and the DAG processor, which never serve it."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.security import HTTPBearer

    credentials = await HTTPBearer(auto_error=False)(request)
    try:
        user = await get_user(request, None, credentials)
    except HTTPException as exc:
        if exc.status_code == 401 and request.method == "GET" and _wants_html(request):
            login = get_auth_manager().get_url_login(next_url=str(request.url))
            raise HTTPException(status_code=303, headers={"Location": login}) from None
        raise
    auth = get_auth_manager()
    if not auth.is_authorized_custom_view(method="GET", resource_name=RESOURCE, user=user):
        raise HTTPException(status_code=403, detail=f"{user.get_name()} may not read {RESOURCE}")
    # Who is asking, for the analysts' API (newsmon.web.identity).
    request.state.newsmon_user = user.get_name()
    request.state.newsmon_can_edit = may_edit(auth, user)
    request.state.newsmon_auth = "bearer" if credentials is not None else "session"
    request.state.newsmon_csrf_key = _csrf_key()


def may_edit(auth, user) -> bool:
    """Whether `user` may create, change and delete alert rules: the auth manager grants the custom
    view "newsmon alerts" for POST (FAB: the permission `can_create` on `newsmon alerts`). The simple
    auth manager grants every custom view to every role, viewers included, so there the user's role
    must also be at least NEWSMON_AIRFLOW_EDIT_ROLE (default `user`)."""
    if not auth.is_authorized_custom_view(method="POST", resource_name=EDIT_RESOURCE, user=user):
        return False
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import (
        SimpleAuthManager,
        SimpleAuthManagerRole,
    )

    if not isinstance(auth, SimpleAuthManager):
        return True
    from newsmon.settings import load_settings

    wanted = SimpleAuthManagerRole[load_settings().airflow_edit_role.upper()]
    role = str(getattr(user, "role", None) or "").upper()
    return role in SimpleAuthManagerRole.__members__ and SimpleAuthManagerRole[role].order >= wanted.order


def _csrf_key() -> bytes:
    """The key of the CSRF tokens: derived from Airflow's JWT secret, which every API server
    process of a deployment shares (Airflow makes one for the process when none is set)."""
    from airflow.api_fastapi.auth.tokens import get_signing_key

    from newsmon.web.identity import csrf_key

    return csrf_key(get_signing_key("api_auth", "jwt_secret"))


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and not request.url.path.startswith(
        f"{URL_PREFIX}/api/"
    )


class NewsmonSearch(AirflowPlugin):
    name = "newsmon_search"
    fastapi_apps = [
        {
            "app": create_app(_settings, [Depends(require_reader)]),
            "url_prefix": URL_PREFIX,
            "name": "newsmon search",
        }
    ]
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
