"""The DAG folder parses cleanly, cheaply, and without connection or variable look-ups."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.dag

PARSE_PROBE = r"""
import json, sys
from airflow.sdk import Connection, Variable
from airflow.sdk.bases.hook import BaseHook
calls = []
def refuse(name):
    def fn(*a, **k):
        calls.append(name)
        raise RuntimeError(f"{name} called while parsing a DAG")
    return fn
Connection.get = classmethod(refuse("Connection.get"))
Variable.get = staticmethod(refuse("Variable.get"))
BaseHook.get_connection = classmethod(refuse("BaseHook.get_connection"))
before = set(sys.modules)
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
heavy = sorted(m for m in ("trafilatura", "elasticsearch", "feedparser", "httpx", "newsmon.run", "newsmon.articles", "newsmon.indexing", "newsmon.tagging", "pydantic_core")
               if m in sys.modules and m not in before and m != "httpx" and m != "pydantic_core")
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": sorted(bag.dag_ids),
                  "calls": calls, "heavy": heavy}))
"""


@pytest.fixture(scope="module")
def parsed() -> dict:
    env = os.environ | {"PYTHONWARNINGS": "ignore"}
    out = subprocess.run(
        [sys.executable, "-c", PARSE_PROBE, str(ROOT / "dags")],
        capture_output=True, text=True, env=env, timeout=300, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_dags_import_without_errors(parsed):
    assert parsed["errors"] == {}
    assert "news_monitor" in parsed["dags"]


def test_parsing_makes_no_connection_or_variable_lookups(parsed):
    assert parsed["calls"] == []


def test_parsing_does_not_import_the_pipeline(parsed):
    # Parsing runs every 30 s in the DAG processor: the heavy pipeline modules load in tasks only.
    assert parsed["heavy"] == []


def test_news_monitor_shape():
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(ROOT / "dags")).get_dag("news_monitor")
    assert dag.max_active_runs == 1 and not dag.catchup
    assert dag.doc_md and "news_monitor" in dag.doc_md
    tasks = {t.task_id: t for t in dag.tasks}
    assert set(tasks) == {"prepare", "process_batch", "cluster", "alert", "summarize"}
    assert tasks["prepare"].retries >= 1 and tasks["prepare"].retry_exponential_backoff
    assert tasks["process_batch"].retries >= 1
    assert [o.name for o in tasks["summarize"].outlets] == ["newsmon_articles"]
    assert tasks["alert"].upstream_task_ids == {"cluster"}
    assert "MappedOperator" in type(tasks["process_batch"]).__name__  # one task per batch, not per article


def test_every_task_has_a_time_limit_and_tells_operations_when_it_fails():
    from airflow.dag_processing.dagbag import DagBag

    from newsmon.airflow_support import EXECUTION_TIMEOUTS, notify_failure

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert set(bag.dag_ids) == {"news_monitor", "news_alert_digest", "news_maintenance"}
    for dag in bag.dags.values():
        for task in dag.tasks:
            where = f"{dag.dag_id}.{task.task_id}"
            assert task.execution_timeout == EXECUTION_TIMEOUTS[task.task_id], where
            callbacks = task.on_failure_callback
            assert callbacks is notify_failure or notify_failure in (callbacks or []), where
