"""
### news_monitor: one monitoring pass over the arms-control feeds

Polls every enabled feed of `feeds.yaml` (`$NEWSMON_CONFIG_DIR`, or `$NEWSMON_FEEDS_FILE`), fetches
the articles not yet indexed, extracts their text and metadata, tags arms-control topics, indexes
them into Elasticsearch (`${NEWSMON_INDEX_PREFIX}articles`) and joins copies of the same story.

| task | does | retries |
| --- | --- | --- |
| `prepare` | validates the config, checks Elasticsearch, installs templates/alias, reads the feed states (`${NEWSMON_INDEX_PREFIX}feeds`) and deals the feeds that are due into one batch per worker slot (or at most `NEWSMON_MAX_BATCHES`) | yes, exponential backoff |
| `process_batch` (mapped, one per batch) | conditional GET of the feeds (304 or an unchanged body: nothing parsed), fetch new pages, extract, tag, bulk-index, write the feeds' new state and next due time | yes, exponential backoff |
| `cluster` | joins copies of one story across all batches and earlier runs (`duplicate_of`, `cluster_size`) | yes |
| `alert` | matches the new stories (first-seen copies) against the alert rules, writes alert events, delivers instant alerts | yes |
| `summarize` | run summary (logged and stored in `${NEWSMON_INDEX_PREFIX}runs`), emits the `newsmon_articles` asset; fails (red run) when every polled feed failed | yes |

Every task has a time limit (`EXECUTION_TIMEOUTS` in `newsmon.airflow_support`); the batches
run in the pool `newsmon_fetch` (`config/airflow-pools.json`), as many at once as the worker slots,
the pool and the scheduler's parallelism allow. A task that fails tells the
operations channels of `alerts.yaml` (`operations: {channels: [...]}`).

A feed or page that fails is listed in the summary and the rest goes on; a task fails only when
the pass itself cannot run (Elasticsearch unreachable, broken config) or every polled feed failed. XCom carries ids and
counts, never article text. Elasticsearch comes from the connection `newsmon_es` if defined,
else `NEWSMON_ES_URL`. The same code runs outside Airflow as `newsmon run`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, task

from newsmon.airflow_support import EXECUTION_TIMEOUTS, FETCH_POOL, RETRY_POLICY, notify_failure
from newsmon.settings import feeds_schedule

ARTICLES = Asset(name="newsmon_articles", uri="newsmon://articles")


@dag(
    dag_id="news_monitor",
    schedule=feeds_schedule(),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    # Task-level failure callback (a DAG-level failure notifier breaks dag.test).
    default_args={"owner": "newsmon", "on_failure_callback": notify_failure, **RETRY_POLICY},
    dagrun_timeout=timedelta(hours=1),
    doc_md=__doc__,
    tags=["newsmon", "arms-control"],
)
def news_monitor():
    @task(execution_timeout=EXECUTION_TIMEOUTS["prepare"])
    def prepare() -> list[list[str]]:
        from newsmon import run
        from newsmon.airflow_support import task_settings

        return run.prepare(task_settings(plan_batches=True))

    # No cap of its own: as many batches run at once as the worker slots, the pool and the
    # scheduler's parallelism allow (doc/scaling.md, "Sizing").
    @task(pool=FETCH_POOL, execution_timeout=EXECUTION_TIMEOUTS["process_batch"])
    def process_batch(feed_ids: list[str]) -> dict:
        import logging

        from newsmon import run
        from newsmon.airflow_support import task_settings, worker_name

        worker = worker_name()  # the Celery worker (w1@host) under the CeleryExecutor
        logging.getLogger("newsmon.run").info("batch %s on worker %s", ",".join(feed_ids), worker)
        return run.process_batch(feed_ids, task_settings()).to_dict() | {"worker": worker}

    # all_done: the batches that succeeded are clustered and alerted on even when another failed;
    # articles of failed runs stay flagged in Elasticsearch and are picked up by the next pass.
    @task(trigger_rule="all_done", execution_timeout=EXECUTION_TIMEOUTS["cluster"])
    def cluster(results) -> dict:
        from newsmon import run
        from newsmon.airflow_support import task_settings

        batches = []
        for i in range(len(results)):
            try:
                batches.append(results[i])
            except Exception:  # a failed batch left no counts; its articles are still flagged
                continue
        return run.cluster(task_settings(), [b for b in batches if b])

    @task(trigger_rule="all_done", execution_timeout=EXECUTION_TIMEOUTS["alert"])
    def alert() -> dict:
        from newsmon import run
        from newsmon.airflow_support import task_settings, task_smtp

        return run.alert(task_settings(), smtp=task_smtp())

    @task(outlets=[ARTICLES], execution_timeout=EXECUTION_TIMEOUTS["summarize"])
    def summarize(summary: dict, alerts: dict, **context) -> dict:
        from newsmon import run
        from newsmon.airflow_support import task_settings

        dag_run = context["dag_run"]
        started = (dag_run.start_date or pendulum.now("UTC")).isoformat().replace("+00:00", "Z")
        result = run.summarize(task_settings(), summary, alerts, "airflow", started, dag_run.run_id)
        context["outlet_events"][ARTICLES].extra = {
            "indexed": result.indexed,
            "new": result.articles_new,
            "alerts_fired": result.alerts_fired,
            "run_id": dag_run.run_id,
        }
        if result.all_failed:
            from airflow.exceptions import AirflowFailException

            # Not retried: the summary is recorded; the run must show red, once.
            raise AirflowFailException(f"every polled feed failed ({result.feeds_failed}); see the summary")
        return result.to_contract()

    merged = cluster(process_batch.expand(feed_ids=prepare()))
    alerts = alert()
    merged >> alerts
    summarize(merged, alerts)


news_monitor()
