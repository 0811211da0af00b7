"""The one package module that imports Airflow (inside functions): settings and mail for tasks from the
Airflow connections `newsmon_es` and `newsmon_smtp`, and the tasks' retry policy."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from newsmon.redaction import redact_url
from newsmon.settings import Settings, load_settings, workers_from_environment

log = logging.getLogger(__name__)

# The retry policy of every newsmon task (both DAGs): network faults pass, so try again with
# exponential backoff (30 s doubling, at most 10 minutes). Plain values, cheap at DAG parse time.
RETRY_POLICY: dict[str, Any] = {
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}

ES_CONN_ID = "newsmon_es"


def es_overrides_from_connection(conn: Any) -> dict[str, Any]:
    """NEWSMON_ES_* settings from an Airflow connection (host may be a full URL or a bare host)."""
    host = (conn.host or "").strip()
    if not host:
        return {}
    if "://" in host:
        url = host
    else:
        scheme = conn.schema if conn.schema in ("http", "https") else "http"
        url = f"{scheme}://{host}"
    if conn.port and url.count(":") < 2:
        url = f"{url}:{conn.port}"
    extra = conn.extra_dejson if hasattr(conn, "extra_dejson") else {}
    out: dict[str, Any] = {"es_url": url}
    if conn.login:
        out["es_username"] = conn.login
        out["es_password"] = conn.password
    if extra.get("api_key"):
        out["es_api_key"] = extra["api_key"]
    if "verify_certs" in extra:
        out["es_verify_certs"] = str(extra["verify_certs"]).lower() in ("1", "true", "yes")
    return out


def task_settings() -> Settings:
    """Settings for a task: the environment, with the `newsmon_es` connection winning when it exists.

    In Airflow the parallelism comes from mapped batches running side by side, so a task extracts
    in its own process (one worker) unless NEWSMON_WORKERS says otherwise.
    """
    from airflow.sdk import Connection

    workers = None if workers_from_environment() else 1
    try:
        conn = Connection.get(ES_CONN_ID)
    except Exception as exc:  # AirflowNotFoundException, or no connection backend in this context
        log.info("no Airflow connection %r (%s); using NEWSMON_ES_URL", ES_CONN_ID, type(exc).__name__)
        return load_settings(workers=workers)
    overrides = es_overrides_from_connection(conn)
    shown = redact_url(str(overrides.get("es_url", "")))  # a URL-shaped host may carry credentials
    log.info("Elasticsearch from Airflow connection %r: %s", ES_CONN_ID, shown)
    return load_settings(workers=workers, **overrides)


SMTP_CONN_ID = "newsmon_smtp"


def task_smtp() -> Any:
    """SMTP settings for alert mail: the connection `newsmon_smtp` if defined, else NEWSMON_SMTP_*."""
    from airflow.sdk import Connection

    from newsmon.settings import SmtpSettings

    try:
        conn = Connection.get(SMTP_CONN_ID)
    except Exception as exc:
        log.info("no Airflow connection %r (%s); using NEWSMON_SMTP_*", SMTP_CONN_ID, type(exc).__name__)
        return load_settings().smtp()
    extra = conn.extra_dejson if hasattr(conn, "extra_dejson") else {}

    def flag(name: str) -> bool:
        return str(extra.get(name, "")).lower() in ("1", "true", "yes")

    return SmtpSettings(
        host=conn.host,
        port=int(conn.port or 25),
        username=conn.login or None,
        password=conn.password or None,
        from_addr=extra.get("from_addr") or extra.get("from") or "newsmon@localhost",
        starttls=flag("starttls"),
        ssl=flag("ssl"),
    )
