"""
### news_maintenance: keeps the articles indices a manageable size

Daily. `rollover` asks Elasticsearch to roll the `${NEWSMON_INDEX_PREFIX}articles` alias over to a
new write index (`...-000002`, `...-000003`, ...) once the current one is older than
`NEWSMON_ROLLOVER_MAX_AGE` (default `30d`) or its primary shard holds more than
`NEWSMON_ROLLOVER_MAX_SIZE` (default `25gb`). Nothing happens when neither is reached. Searches
and duplicate checks go through the alias, so they see every index; new indices take the index
template, replicas included (`auto_expand_replicas: 0-1`).

On a cluster with index lifecycle management (the full Elasticsearch distribution, `docker
compose`), an ILM policy with a `rollover` action can do the same instead: see doc/operations.md,
"Maintenance: rollover". Elasticsearch comes from the connection `newsmon_es` if defined, else `NEWSMON_ES_URL`.
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

    rollover()


news_maintenance()
