"""The one package module that imports Airflow (inside functions): settings and mail for tasks from the
Airflow connections `newsmon_es` and `newsmon_smtp`, the tasks' retry policy, time limits and pool,
and the failure callback that tells the operations channels."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from newsmon.redaction import redact_url
from newsmon.settings import Settings, load_settings, max_batches_from_environment, workers_from_environment

log = logging.getLogger(__name__)

# The retry policy of every newsmon task (both DAGs): network faults pass, so try again with
# exponential backoff (30 s doubling, at most 10 minutes). Plain values, cheap at DAG parse time.
RETRY_POLICY: dict[str, Any] = {
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}

# Wall-clock limits per task (Airflow kills the task past it, then retries per RETRY_POLICY). Generous
# next to normal runs (a batch of 20 feeds takes a few minutes) and inside the DAG run's one hour,
# so a hung task is caught and retried instead of holding the run until dagrun_timeout.
EXECUTION_TIMEOUTS: dict[str, timedelta] = {
    "prepare": timedelta(minutes=5),
    "process_batch": timedelta(minutes=30),
    "cluster": timedelta(minutes=10),
    "alert": timedelta(minutes=10),
    "summarize": timedelta(minutes=5),
    "send_digests": timedelta(minutes=10),
    # A rollover is one request; minutes only when the cluster is struggling, and then the next
    # day's run tries again.
    "rollover": timedelta(minutes=15),
    # Retention deletes whole indices and a few delete-by-query requests.
    "prune": timedelta(minutes=30),
    # A snapshot copies only the segments the previous ones lack; the first one copies everything.
    "backup": timedelta(hours=2),
}

# The tasks that fetch from the web share this pool (config/airflow-pools.json; scripts/run, the tests
# and compose's airflow-init create it): it bounds concurrent fetching across DAG runs.
FETCH_POOL = "newsmon_fetch"

ES_CONN_ID = "newsmon_es"


def _node_url(host: str, scheme: str, port: int | None) -> str:
    """One node as a URL: `host`, `host:port` or a full URL; the connection's port when none is given."""
    from urllib.parse import urlsplit

    url = host if "://" in host else f"{scheme}://{host}"
    parts = urlsplit(url)
    try:
        has_port = parts.port is not None
    except ValueError:
        has_port = True  # leave a malformed port for the settings to refuse
    if port and not has_port:
        parts = parts._replace(netloc=f"{parts.netloc}:{port}")
    return parts.geturl()


def es_overrides_from_connection(conn: Any) -> dict[str, Any]:
    """NEWSMON_ES_* settings from an Airflow connection.

    The nodes come from `host` (a full URL, a bare host, or several of either, comma-separated)
    or from extra `hosts` (a list or a comma-separated string); the connection's port and schema
    complete the nodes that lack them. The result is NEWSMON_ES_URL's comma-separated form.
    """
    extra = conn.extra_dejson if hasattr(conn, "extra_dejson") else {}
    listed = extra.get("hosts") or conn.host or ""
    hosts = [h.strip() for h in (listed.split(",") if isinstance(listed, str) else listed) if str(h).strip()]
    if not hosts:
        return {}
    scheme = conn.schema if conn.schema in ("http", "https") else "http"
    out: dict[str, Any] = {"es_url": ",".join(_node_url(str(h), scheme, conn.port) for h in hosts)}
    if conn.login:
        out["es_username"] = conn.login
        out["es_password"] = conn.password
    if extra.get("api_key"):
        out["es_api_key"] = extra["api_key"]
    if "verify_certs" in extra:
        out["es_verify_certs"] = str(extra["verify_certs"]).lower() in ("1", "true", "yes")
    return out


def worker_name() -> str:
    """Who runs this task: the Celery worker's name (`w1@host`) under the CeleryExecutor, else the host."""
    import socket

    try:
        from celery import current_task

        name = current_task.request.hostname if current_task else None
    except Exception:  # no Celery installed, or not inside a Celery task
        name = None
    return name or socket.gethostname()


def celery_worker_slots(timeout: float = 2.0) -> int | None:
    """Task slots of the Celery workers that answer within `timeout` seconds (the sum of their
    `--concurrency`); None when there is no Celery app or no worker answers."""
    try:
        from airflow.providers.celery.executors.celery_executor_utils import app

        stats = app.control.inspect(timeout=timeout).stats() or {}
    except Exception as exc:  # no Celery provider, or the broker does not answer
        log.info("no Celery worker slots (%s: %s)", type(exc).__name__, exc)
        return None
    slots = sum(int(s.get("pool", {}).get("max-concurrency", 0) or 0) for s in stats.values())
    return slots or None


def worker_slots() -> int:
    """How many tasks of one DAG run can run at once here: the smallest of the scheduler's
    `parallelism`, `max_active_tasks_per_dag` and, under the CeleryExecutor, the slots of the
    workers present (the fetch pool follows `parallelism`: see config/airflow-pools.json)."""
    from airflow.configuration import conf

    limits = {
        "core.parallelism": conf.getint("core", "parallelism"),
        "core.max_active_tasks_per_dag": conf.getint("core", "max_active_tasks_per_dag"),
    }
    if "celery" in conf.get("core", "executor").lower():
        celery = celery_worker_slots()
        if celery:
            limits["celery workers"] = celery
    slots = max(1, min(limits.values()))
    log.info("worker slots: %d (%s)", slots, ", ".join(f"{k} {v}" for k, v in limits.items()))
    return slots


def task_settings(plan_batches: bool = False) -> Settings:
    """Settings for a task: the environment, with the `newsmon_es` connection winning when it exists.

    In Airflow the parallelism comes from mapped batches running side by side, so a task extracts
    in its own process (one worker) unless NEWSMON_WORKERS says otherwise. With `plan_batches`
    (the prepare task) and no NEWSMON_MAX_BATCHES, a pass is dealt into as many batches as there
    are worker slots (`worker_slots`): every slot gets a batch, and adding workers adds batches.
    """
    from airflow.sdk import Connection

    chosen: dict[str, Any] = {"workers": None if workers_from_environment() else 1}
    if plan_batches and not max_batches_from_environment():
        chosen["max_batches"] = worker_slots()
    try:
        conn = Connection.get(ES_CONN_ID)
    except Exception as exc:  # AirflowNotFoundException, or no connection backend in this context
        log.info("no Airflow connection %r (%s); using NEWSMON_ES_URL", ES_CONN_ID, type(exc).__name__)
        return load_settings(**chosen)
    overrides = es_overrides_from_connection(conn)
    shown = redact_url(str(overrides.get("es_url", "")))  # a URL-shaped host may carry credentials
    log.info("Elasticsearch from Airflow connection %r: %s", ES_CONN_ID, shown)
    return load_settings(**chosen, **overrides)


SMTP_CONN_ID = "newsmon_smtp"


def task_smtp() -> Any:
    """SMTP settings for alert mail: the connection `newsmon_smtp` if defined, else NEWSMON_SMTP_*."""
    from airflow.sdk import Connection

    try:
        conn = Connection.get(SMTP_CONN_ID)
    except Exception as exc:
        log.info("no Airflow connection %r (%s); using NEWSMON_SMTP_*", SMTP_CONN_ID, type(exc).__name__)
        return load_settings().smtp()
    return smtp_from_connection(conn)


def smtp_from_connection(conn: Any) -> Any:
    """SmtpSettings from Airflow's own SMTP connection fields, as its connection form writes them:
    host, port, login, password; extra `from_email`, `disable_ssl`, `disable_tls`, `timeout`.
    As in Airflow, SSL is on unless disabled, and STARTTLS is used only when SSL is disabled."""
    from newsmon.settings import SmtpSettings

    extra = conn.extra_dejson if hasattr(conn, "extra_dejson") else {}

    def flag(name: str) -> bool:
        return str(extra.get(name, "")).lower() in ("1", "true", "yes", "on")

    ignored = sorted({"from_addr", "from", "starttls", "ssl"} & set(extra))
    if ignored:
        log.warning(
            "connection %r: extra %s ignored; use Airflow's fields from_email, disable_ssl, disable_tls",
            SMTP_CONN_ID, ignored,
        )  # fmt: skip
    use_ssl = not flag("disable_ssl")
    starttls = not use_ssl and not flag("disable_tls")
    default_port = 465 if use_ssl else 587 if starttls else 25
    return SmtpSettings(
        host=conn.host,
        port=int(conn.port or default_port),
        username=conn.login or None,
        password=conn.password or None,
        from_addr=extra.get("from_email") or "newsmon@localhost",
        starttls=starttls,
        ssl=use_ssl,
        timeout=float(extra.get("timeout") or 30),
    )


def notify_failure(context: Any) -> None:
    """on_failure_callback of every newsmon task: tell the operations channels of alerts.yaml."""
    from newsmon.alerts.operations import TaskFailure, notify_operations
    from newsmon.alerts.rules import load_alerts

    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    failure = TaskFailure(
        dag_id=str(getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", "?")),
        task_id=getattr(ti, "task_id", "?"),
        run_id=str(getattr(ti, "run_id", None) or getattr(dag_run, "run_id", "?")),
        try_number=getattr(ti, "try_number", None),
        map_index=getattr(ti, "map_index", None),
        error=f"{type(context['exception']).__name__}: {context['exception']}"
        if context.get("exception") is not None
        else "unknown (no exception in the context)",
        log_url=getattr(ti, "log_url", None),
    )
    try:
        loaded = load_alerts(load_settings().alerts_path)
        smtp = task_smtp() if any(loaded.channels[c].type == "email" for c in loaded.operations) else None
    except Exception:  # a broken config must not hide the task's own failure
        log.exception("task %s.%s failed; operations not told (alerts.yaml)", failure.dag_id, failure.task_id)
        return
    notify_operations(loaded, failure, smtp)
