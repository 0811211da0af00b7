"""Scale-out pieces that need no cluster: node lists from the Airflow connection, fail-over across
listed nodes, the rollover of the articles alias and the news_maintenance DAG, the Celery worker
name a batch reports. (The cluster faults are in test_scale_faults.py, marker `cluster`.)"""

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace

import pytest

from newsmon.airflow_support import es_overrides_from_connection, worker_name
from newsmon.errors import ConfigError
from newsmon.settings import load_settings
from newsmon.storage import Storage
from newsmon.storage.client import make_client
from tests.helpers.servers import free_port

ROOT = Path(__file__).resolve().parents[1]


def conn(host="", port=None, schema=None, login=None, password=None, extra=None):
    return SimpleNamespace(
        host=host, port=port, schema=schema, login=login, password=password, extra_dejson=extra or {}
    )


@pytest.mark.parametrize(
    "connection, url",
    [
        (conn("es1", 9200), "http://es1:9200"),
        (conn("https://es1:9243"), "https://es1:9243"),
        (conn("es1,es2:9201, es3", 9200), "http://es1:9200,http://es2:9201,http://es3:9200"),
        (conn("ignored", 9200, "https", extra={"hosts": ["a", "http://b:1"]}), "https://a:9200,http://b:1"),
        (conn("", None, extra={"hosts": "a:1, b:2"}), "http://a:1,http://b:2"),
    ],
)
def test_the_connection_may_list_several_nodes(connection, url):
    overrides = es_overrides_from_connection(connection)
    assert overrides["es_url"] == url
    # ...and the settings accept what it gives (NEWSMON_ES_URL's comma-separated form).
    assert load_settings({}, **overrides).es_url.get_secret_value() == url


def test_credentials_of_the_connection_apply_to_every_node():
    overrides = es_overrides_from_connection(conn("a,b", 9200, login="newsmon", password="pw"))
    settings = load_settings({}, **overrides)
    assert settings.es_url_shown == "http://a:9200,http://b:9200"
    assert settings.es_username == "newsmon" and settings.es_password.get_secret_value() == "pw"


def test_an_empty_connection_leaves_the_environment_in_charge():
    assert es_overrides_from_connection(conn("")) == {}


def test_rollover_thresholds_are_validated():
    settings = load_settings({"NEWSMON_ROLLOVER_MAX_AGE": "7d", "NEWSMON_ROLLOVER_MAX_SIZE": "50gb"})
    assert (settings.rollover_max_age, settings.rollover_max_size) == ("7d", "50gb")
    with pytest.raises(ConfigError, match="NEWSMON_ROLLOVER_MAX_SIZE"):
        load_settings({"NEWSMON_ROLLOVER_MAX_SIZE": "lots"})
    with pytest.raises(ConfigError, match="NEWSMON_ROLLOVER_MAX_AGE"):
        load_settings({"NEWSMON_ROLLOVER_MAX_AGE": "a month"})


def test_worker_name_outside_celery_is_the_host():
    assert worker_name() == socket.gethostname()


def test_every_index_follows_the_node_count():
    import json

    for name in (ROOT / "src" / "newsmon" / "resources").glob("*.json"):
        body = json.loads(name.read_text())
        settings = body.get("template", body).get("settings", {})
        assert settings.get("auto_expand_replicas") == "0-1", name.name


@pytest.mark.dag
def test_news_maintenance_shape():
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(ROOT / "dags")).get_dag("news_maintenance")
    assert dag.doc_md and "rollover" in dag.doc_md and "ILM" in dag.doc_md
    assert [t.task_id for t in dag.tasks] == ["rollover", "prune", "backup"]
    assert dag.get_task("prune").upstream_task_ids == {"rollover"}
    assert dag.get_task("backup").upstream_task_ids == {"prune"}
    assert not dag.catchup and dag.max_active_runs == 1


# -- on the real node ---------------------------------------------------------------------------


@pytest.mark.integration
def test_requests_fail_over_to_a_live_node(es_url):
    dead = f"http://127.0.0.1:{free_port()}"
    client = make_client(
        load_settings({"NEWSMON_ES_URL": f"{dead},{es_url},{dead.replace('127.0.0.1', 'localhost')}"})
    )
    try:
        # Round-robin would send a third of the requests to each dead node; none may fail.
        # (The local node has no `GET /` info handler: the health API it is.)
        answers = [client.cluster.health() for _ in range(12)]
        assert len({a["cluster_name"] for a in answers}) == 1
        assert {a["status"] for a in answers} <= {"green", "yellow"}
    finally:
        client.close()


@pytest.mark.integration
def test_rollover_by_age_and_size(es_url, prefix):
    from newsmon import run

    settings = load_settings({"NEWSMON_ES_URL": es_url, "NEWSMON_INDEX_PREFIX": prefix})
    # Not set up yet: the task sets up, and a young, small index stays the write index.
    first = run.rollover(settings)
    assert first["rolled_over"] is False and first["old_index"] == f"{prefix}articles-000001"
    with Storage(make_client(settings), prefix, es_url) as storage:
        storage.es.index(index=storage.articles.alias, id="a1", document={"title": "x"}, refresh=True)
        dry = storage.rollover("30d", "1b", dry_run=True)
        assert dry["rolled_over"] is False and dry["dry_run"] is True
        assert dry["conditions"] == {"[max_age: 30d]": False, "[max_primary_shard_size: 1b]": True}
        done = storage.rollover("30d", "1b")
        assert done["rolled_over"] is True and done["new_index"] == f"{prefix}articles-000002"
        indices = storage.es.indices.get_alias(name=storage.articles.alias)
        assert (
            indices[f"{prefix}articles-000002"]["aliases"][storage.articles.alias]["is_write_index"] is True
        )
        assert (
            indices[f"{prefix}articles-000001"]["aliases"][storage.articles.alias].get("is_write_index")
            is False
        )
        new = storage.es.indices.get_settings(index=f"{prefix}articles-000002")
        assert new[f"{prefix}articles-000002"]["settings"]["index"]["auto_expand_replicas"] == "0-1"
        # The article of the old index is still found (and not created again) through the alias.
        assert set(storage.articles.known(["a1"])) == {"a1"}
        again = storage.rollover("1000d", "100gb")
        assert again["rolled_over"] is False and again["old_index"] == f"{prefix}articles-000002"


def test_a_batch_result_names_its_worker_and_still_merges():
    from newsmon.summary import RunSummary

    batch = RunSummary(articles_new=2).to_dict() | {"worker": "w1@host"}
    merged = RunSummary().merge(batch).merge(batch)
    assert merged.articles_new == 4 and not hasattr(merged, "worker")


# -- concurrency follows capacity ------------------------------------------------------------------


def test_prepare_deals_one_batch_per_worker_slot_unless_told(monkeypatch):
    """Outside a Celery deployment the slots are the scheduler's: the smaller of `parallelism` and
    `max_active_tasks_per_dag`; NEWSMON_MAX_BATCHES, when set, wins."""
    from newsmon.airflow_support import task_settings, worker_slots

    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    monkeypatch.setenv("AIRFLOW__CORE__PARALLELISM", "6")
    monkeypatch.setenv("AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG", "16")
    monkeypatch.delenv("NEWSMON_MAX_BATCHES", raising=False)
    assert worker_slots() == 6
    assert task_settings(plan_batches=True).max_batches == 6
    monkeypatch.setenv("AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG", "3")
    assert task_settings(plan_batches=True).max_batches == 3
    # The other tasks keep the setting's default: only prepare deals batches.
    assert task_settings().max_batches == load_settings({}).max_batches
    monkeypatch.setenv("NEWSMON_MAX_BATCHES", "7")
    assert task_settings(plan_batches=True).max_batches == 7


def test_worker_slots_under_celery_without_workers_fall_back_to_the_scheduler(monkeypatch):
    """No broker answering (a closed port): the Celery workers add no limit, the scheduler's stand."""
    from newsmon.airflow_support import worker_slots

    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    monkeypatch.setenv("AIRFLOW__CELERY__BROKER_URL", f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setenv("AIRFLOW__CORE__PARALLELISM", "5")
    assert worker_slots() == 5


@pytest.mark.dag
def test_the_batches_have_no_cap_of_their_own():
    """How many batches run at once is left to the pool, the scheduler and the workers present."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(ROOT / "dags")).get_dag("news_monitor")
    batch = dag.get_task("process_batch")
    assert batch.max_active_tis_per_dagrun is None and batch.max_active_tis_per_dag is None
    assert "max_active_tis" not in (ROOT / "dags" / "news_monitor.py").read_text()


def test_most_running_at_once_counts_overlapping_attempts():
    import importlib.util
    from datetime import datetime, timedelta
    from importlib.machinery import SourceFileLoader

    loader = SourceFileLoader("pass_concurrency", str(ROOT / "scripts" / "pass-concurrency"))
    report = importlib.util.module_from_spec(importlib.util.spec_from_loader("pass_concurrency", loader))
    loader.exec_module(report)
    t = datetime(2026, 1, 1)

    def at(a, b):
        return (t + timedelta(seconds=a), t + timedelta(seconds=b))

    assert report.most_at_once([]) == 0
    assert report.most_at_once([at(0, 10), at(1, 11), at(2, 12), at(3, 13)]) == 4
    assert report.most_at_once([at(0, 10), at(10, 20), at(20, 30)]) == 1  # one ends as the next starts
    assert report.most_at_once([at(0, 10), at(5, 15), at(12, 20), at(14, 16)]) == 3
