"""Operations messages: a failed task told to the people who run newsmon, over the channels that
`operations: {channels: [...]}` in alerts.yaml names (the same mail, Slack and webhook channels as
alerts). Without that section a failure is only logged."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from newsmon.alerts.channels import DeliveryError, send
from newsmon.alerts.messages import SUBJECT_PREFIX, Message
from newsmon.alerts.rules import LoadedAlerts
from newsmon.settings import SmtpSettings

log = logging.getLogger(__name__)


@dataclass
class TaskFailure:
    dag_id: str
    task_id: str
    run_id: str
    try_number: int | None
    map_index: int | None
    error: str
    log_url: str | None = None


def failure_message(f: TaskFailure) -> Message:
    where = f"{f.dag_id}.{f.task_id}" + (f"[{f.map_index}]" if f.map_index not in (None, -1) else "")
    subject = f"{SUBJECT_PREFIX} task {where} failed (run {f.run_id}, try {f.try_number})"
    lines = [f"Task {where} of run {f.run_id} failed on try {f.try_number}.", "", f"Error: {f.error}"]
    if f.log_url:
        lines += ["", f"Log: {f.log_url}"]
    text = "\n".join(lines)
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)
    payload = {
        "kind": "task_failed", "dag_id": f.dag_id, "task_id": f.task_id, "run_id": f.run_id,
        "try_number": f.try_number, "map_index": f.map_index, "error": f.error, "log_url": f.log_url,
    }  # fmt: skip
    return Message(subject=subject, text=text, html=body, payload=payload)


def notify_operations(
    loaded: LoadedAlerts, failure: TaskFailure, smtp: SmtpSettings | None
) -> dict[str, str]:
    """Send the failure to every operations channel; returns channel id -> receipt or error.
    Never raises: a broken channel must not hide the task's own failure."""
    message = failure_message(failure)
    log.error("%s", message.subject)
    out: dict[str, str] = {}
    for channel_id in loaded.operations:
        try:
            out[channel_id] = send(loaded.channels[channel_id], message, [], smtp=smtp)
        except DeliveryError as exc:
            out[channel_id] = f"failed: {exc}"
            log.error("operations channel %s: %s", channel_id, exc)
        except Exception as exc:  # noqa: BLE001 (a callback must not raise)
            out[channel_id] = f"failed: {type(exc).__name__}: {exc}"
            log.exception("operations channel %s", channel_id)
    return out
