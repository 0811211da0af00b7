"""
### news_maintenance: rollover, retention and backups

Daily, three tasks in a row (each a function of the same name in `newsmon.run`; `newsmon
maintenance` runs the same outside Airflow, `--dry-run` to see what they would do):

- `rollover`: a new write index behind the `${NEWSMON_INDEX_PREFIX}articles` alias (`...-000002`,
  `...-000003`, ...) once the oldest article of the current one was fetched more than
  `NEWSMON_ROLLOVER_MAX_AGE` (default `30d`) ago by newsmon's clock, or its primary shard holds
  more than `NEWSMON_ROLLOVER_MAX_SIZE` (default `25gb`). An empty index never rolls over by age.
- `prune`: retention, when `NEWSMON_RETENTION` is set (e.g. `180d`; unset keeps everything):
  whole articles indices (never the write index) whose newest article is older than that, the
  pending markers of articles no longer stored, failed-page records, alert events and run summaries
  older than that, and the state of feeds no longer configured.
- `backup`: a snapshot of every index of the prefix in the repository `${prefix}backups` (under the
  nodes' `path.repo`), then the oldest snapshots newsmon made beyond `NEWSMON_BACKUP_KEEP`
  (default 14) are deleted.

Searches go through the alias, so they see every index. On a cluster with index lifecycle
management (ILM: the full distribution, `docker compose`) a policy can roll over instead. Elasticsearch comes from the connection
`newsmon_es` if defined, else `NEWSMON_ES_URL`. See doc/operations.md, "Maintenance".
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from newsmon.airflow_support import EXECUTION_TIMEOUTS, RETRY_POLICY, notify_failure


@dag(
    dag_id="news_maintenance",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "newsmon", "on_failure_callback": notify_failure, **RETRY_POLICY},
    doc_md=__doc__,
    tags=["newsmon", "maintenance"],
)
def news_maintenance():
    @task(execution_timeout=EXECUTION_TIMEOUTS["rollover"])
    def rollover() -> dict:
        from newsmon import run
        from newsmon.airflow_support import task_settings

        return run.rollover(task_settings())

    @task(execution_timeout=EXECUTION_TIMEOUTS["prune"])
    def prune() -> dict:
        from newsmon import run
        from newsmon.airflow_support import task_settings

        return run.prune(task_settings())

    # A backup is worth taking even when rollover or retention failed today.
    @task(execution_timeout=EXECUTION_TIMEOUTS["backup"], trigger_rule="all_done")
    def backup() -> dict:
        from newsmon import run
        from newsmon.airflow_support import task_settings

        return run.backup(task_settings())

    rollover() >> prune() >> backup()


news_maintenance()
