"""
### news_alert_digest: scheduled alert digests

Every 15 minutes, sends the digest of each `mode: digest` rule of `alerts.yaml` whose own
`schedule` (cron) has ticked since its last digest: one message per rule and channel, the new
stories grouped by topic and story. Digests that fail stay pending and go out on the next run.
Mail uses the Airflow connection `newsmon_smtp` (else `NEWSMON_SMTP_*`); webhook URLs come from
the environment variables named in `alerts.yaml`. A failed run tells the operations channels of
`alerts.yaml`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from newsmon.airflow_support import EXECUTION_TIMEOUTS, RETRY_POLICY, notify_failure


@dag(
    dag_id="news_alert_digest",
    schedule="*/15 * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "newsmon", "on_failure_callback": notify_failure, **RETRY_POLICY},
    doc_md=__doc__,
    tags=["newsmon", "alerts"],
)
def news_alert_digest():
    @task(execution_timeout=EXECUTION_TIMEOUTS["send_digests"])
    def send_digests() -> dict:
        from newsmon import run
        from newsmon.airflow_support import task_settings, task_smtp

        return run.send_digests(task_settings(), smtp=task_smtp())

    send_digests()


news_alert_digest()
