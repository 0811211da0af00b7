"""Operations: a failed task tells the operations channels; the SMTP connection is read from Airflow's
own SMTP connection fields; every task has a time limit and a failure callback; the fetch pool."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from newsmon.alerts.rules import load_alerts

ROOT = Path(__file__).resolve().parents[2]

OPS_ALERTS = """
channels:
  - {id: ops-mail, type: email, to: [oncall@example.org]}
  - {id: ops-hook, type: webhook, url_env: NEWSMON_TEST_OPS_HOOK}
operations:
  channels: [ops-mail, ops-hook]
rules: []
"""


def _smtp_conn(monkeypatch, port: int, **extra) -> None:
    conn = {"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_NEWSMON_SMTP", json.dumps(conn))


def test_smtp_connection_is_read_from_airflows_own_fields(monkeypatch):
    from newsmon.airflow_support import task_smtp

    _smtp_conn(monkeypatch, 2525, from_email="airflow@example.org", disable_ssl=True, timeout=7)
    smtp = task_smtp()
    assert (smtp.from_addr, smtp.ssl, smtp.starttls, smtp.timeout) == (
        "airflow@example.org",
        False,
        True,
        7.0,
    )
    _smtp_conn(monkeypatch, 0, disable_ssl="true", disable_tls="true")
    smtp = task_smtp()
    assert (smtp.ssl, smtp.starttls, smtp.port) == (False, False, 25)
    _smtp_conn(monkeypatch, 0)  # Airflow's defaults: SSL on
    smtp = task_smtp()
    assert (smtp.ssl, smtp.starttls, smtp.port) == (True, False, 465)


def test_operations_section_of_alerts_yaml(tmp_path):
    path = tmp_path / "alerts.yaml"
    path.write_text(OPS_ALERTS)
    assert load_alerts(path).operations == ["ops-mail", "ops-hook"]
    path.write_text("operations: {channels: [nowhere]}\nrules: []\n")
    loaded = load_alerts(path)
    assert loaded.operations == [] and "unknown channel" in loaded.errors[0]


def test_a_failed_task_is_told_to_the_operations_channels(tmp_path, monkeypatch, smtp_sink, webhook):
    from newsmon.airflow_support import notify_failure

    path = tmp_path / "alerts.yaml"
    path.write_text(OPS_ALERTS)
    monkeypatch.setenv("NEWSMON_ALERTS_FILE", str(path))
    monkeypatch.setenv("NEWSMON_TEST_OPS_HOOK", webhook.url)
    _smtp_conn(
        monkeypatch, smtp_sink.port, from_email="airflow@example.org", disable_ssl=True, disable_tls=True
    )
    smtp_sink.start()
    ti = SimpleNamespace(
        dag_id="news_monitor", task_id="process_batch", run_id="scheduled__2026", try_number=2, map_index=1,
        log_url="http://127.0.0.1:8080/log",
    )  # fmt: skip
    notify_failure({"ti": ti, "exception": RuntimeError("Elasticsearch unreachable")})
    [mail] = smtp_sink.messages
    assert mail["From"] == "airflow@example.org" and mail["To"] == "oncall@example.org"
    assert "news_monitor.process_batch[1] failed" in mail["Subject"]
    assert "Elasticsearch unreachable" in mail.get_body(("plain",)).get_content()
    [hook] = webhook.received
    assert hook["task_id"] == "process_batch" and "Elasticsearch unreachable" in hook["error"]


def test_a_broken_operations_channel_does_not_raise(tmp_path, monkeypatch):
    from newsmon.airflow_support import notify_failure

    path = tmp_path / "alerts.yaml"
    path.write_text(OPS_ALERTS)
    monkeypatch.setenv("NEWSMON_ALERTS_FILE", str(path))
    monkeypatch.delenv("NEWSMON_TEST_OPS_HOOK", raising=False)
    _smtp_conn(monkeypatch, 1, disable_ssl=True, disable_tls=True, timeout=1)  # nothing listens
    notify_failure({"ti": SimpleNamespace(dag_id="d", task_id="t"), "exception": ValueError("x")})


@pytest.mark.dag
def test_every_task_has_a_time_limit_and_the_failure_callback_and_fetching_uses_the_pool():
    from airflow.dag_processing.dagbag import DagBag

    from newsmon.airflow_support import FETCH_POOL, notify_failure

    pools = json.loads((ROOT / "config" / "airflow-pools.json").read_text())
    assert pools[FETCH_POOL]["slots"] >= 1 and pools[FETCH_POOL]["description"]
    bag = DagBag(dag_folder=str(ROOT / "dags"))
    for dag_id in ("news_monitor", "news_alert_digest"):
        dag = bag.get_dag(dag_id)
        for t in dag.tasks:
            assert t.execution_timeout, f"{dag_id}.{t.task_id} has no execution_timeout"
            if dag.dagrun_timeout:
                assert t.execution_timeout < dag.dagrun_timeout
            callbacks = (
                t.on_failure_callback if isinstance(t.on_failure_callback, list) else [t.on_failure_callback]
            )
            assert notify_failure in callbacks, f"{dag_id}.{t.task_id}"
            assert t.pool == "default_pool" or t.pool in pools, (
                f"{dag_id}.{t.task_id}: pool {t.pool} not in the file"
            )
    tasks = {t.task_id: t for t in bag.get_dag("news_monitor").tasks}
    assert tasks["process_batch"].pool == FETCH_POOL


def test_scripts_create_the_pools_the_scheduler_needs():
    for script in ("run", "test"):
        assert "pools import config/airflow-pools.json" in (ROOT / "scripts" / script).read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "/opt/airflow/config/airflow-pools.json" in compose and "./config:/opt/airflow/config" in compose
