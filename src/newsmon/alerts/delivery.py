"""Delivering alert events: instant ones after each run, digests on each rule's schedule.

Each channel of an event is tried a few times with exponential backoff; the outcome is written on
the event (per channel: status, attempts, last error, receipt), so a failure stays visible in
Kibana and the next run tries again. A channel that succeeded is never sent again, and an event
is only done when all its channels are. (A crash between sending and recording would send once
more on the next run: delivery is at-least-once, never lost.)
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from croniter import croniter

from newsmon import clock
from newsmon.alerts.channels import ChannelConfig, DeliveryError, send
from newsmon.alerts.messages import Message, digest_message, instant_message
from newsmon.alerts.rules import LoadedAlerts
from newsmon.clock import now_iso
from newsmon.redaction import redact_text
from newsmon.settings import SmtpSettings, load_settings
from newsmon.storage import Storage

log = logging.getLogger(__name__)


def retry_delays() -> list[float]:
    """Seconds between delivery tries within a run (NEWSMON_ALERT_RETRY_DELAYS)."""
    return load_settings().alert_retry_delays


def _try(
    channel: ChannelConfig, message: Message, events: list[dict[str, Any]], smtp: SmtpSettings | None,
    sleep: Callable[[float], None],
) -> tuple[bool, str, int]:  # fmt: skip
    """(ok, receipt or last error, attempts) after the first try and one retry per delay."""
    delays = retry_delays()
    last = ""
    for attempt in range(1, len(delays) + 2):
        try:
            return True, send(channel, message, events, smtp=smtp), attempt
        except DeliveryError as exc:
            # Stored in alert-events.last_error and logged: whatever a receiver echoed (a token, a
            # URL, an Authorization value) is masked again here, whichever channel raised it.
            last = redact_text(str(exc))
            log.warning(
                "alert delivery via %s failed (try %d/%d): %s", channel.id, attempt, len(delays) + 1, last
            )
            if getattr(exc, "permanent", False):  # a missing setting or a 4xx: retrying now cannot help
                return False, last, attempt
            if attempt <= len(delays):
                sleep(delays[attempt - 1])
        except Exception as exc:  # a bug or an odd setting in a channel must not stop the others
            last = f"channel {channel.id}: {type(exc).__name__} (unexpected; see the log)"
            log.exception("alert delivery via %s failed unexpectedly", channel.id)
            return False, last, attempt
    return False, last, len(delays) + 1


def _deliver(
    storage: Storage, events: list[dict[str, Any]], message: Message, channel_ids: list[str], loaded: LoadedAlerts,
    smtp: SmtpSettings | None, sleep: Callable[[float], None], extra: dict[str, Any] | None = None,
) -> bool:  # fmt: skip
    """Send one message for `events` to each channel not yet done; record the outcome on every event."""
    lead = events[0]
    done = {d["channel"] for d in lead.get("deliveries", []) if d.get("status") == "delivered"}
    records = {d["channel"]: d for d in lead.get("deliveries", [])}
    all_ok = True
    for channel_id in channel_ids:
        if channel_id in done:
            continue
        channel = loaded.channels.get(channel_id)
        if channel is None:
            ok, note, attempts = False, f"channel {channel_id!r} is not defined in alerts.yaml", 0
        else:
            ok, note, attempts = _try(channel, message, events, smtp, sleep)
        prev = records.get(channel_id, {})
        records[channel_id] = {
            "channel": channel_id,
            "status": "delivered" if ok else "failed",
            "attempts": int(prev.get("attempts", 0)) + attempts,
            "last_error": None if ok else note,
            "receipt": note if ok else prev.get("receipt"),
            "at": now_iso(),
        }
        all_ok &= ok
    for event in events:
        event["deliveries"] = list(records.values())
        event["attempts"] = int(event.get("attempts", 0)) + 1
        event["status"] = "delivered" if all_ok else "failed"
        event["last_error"] = (
            None
            if all_ok
            else "; ".join(
                f"{r['channel']}: {r['last_error']}" for r in records.values() if r["status"] != "delivered"
            )
        )
        if all_ok:
            event["delivered_at"] = now_iso()
        event.update(extra or {})
        storage.alert_events.save(event)
    return all_ok


def deliver_instant(
    storage: Storage,
    loaded: LoadedAlerts,
    smtp: SmtpSettings | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    delivered = failed = 0
    for event in storage.alert_events.undelivered("instant"):
        if _deliver(
            storage, [event], instant_message(event), event.get("channels") or ["log"], loaded, smtp, sleep
        ):
            delivered += 1
        else:
            failed += 1
    storage.alert_events.refresh()
    if delivered or failed:
        log.info("instant alerts: %d delivered, %d failed (kept for the next run)", delivered, failed)
    return {"delivered": delivered, "failed": failed}


def due(schedule: str, last: str | None, now: datetime) -> bool:
    """Whether a cron tick fell after the last digest (or ever, for a rule never sent). A tick at
    `now` itself counts: the digest DAG can start on the very second of its cron tick, where
    croniter's `get_prev` alone would answer the tick before."""
    prev_tick = croniter(schedule, now + timedelta(seconds=1)).get_prev(datetime)
    if last is None:
        return True
    return datetime.fromisoformat(last.replace("Z", "+00:00")) < prev_tick


def send_digests(
    storage: Storage, loaded: LoadedAlerts, smtp: SmtpSettings | None = None, *, now: datetime | None = None,
    force: bool = False, sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:  # fmt: skip
    now = now or clock.now()
    sent = stories = failed = 0
    for rule in storage.alert_rules.enabled():
        if rule.get("mode") != "digest":
            continue
        if not force and not due(rule["schedule"], rule.get("last_digest_at"), now):
            continue
        pending = storage.alert_events.undelivered("digest", rule["rule_id"])
        # Events that already reached some channels (an earlier digest half failed) go out apart, so
        # nobody gets the same story twice.
        groups: dict[frozenset[str], list[dict[str, Any]]] = {}
        for event in pending:
            done = frozenset(
                d["channel"] for d in event.get("deliveries", []) if d.get("status") == "delivered"
            )
            groups.setdefault(done, []).append(event)
        all_ok = True
        for events in groups.values():
            digest_id = hashlib.sha256(
                f"{rule['rule_id']}{now.isoformat()}{events[0]['id']}".encode()
            ).hexdigest()[:16]
            message = digest_message(rule, events)
            channels = rule.get("channels") or ["log"]
            ok = _deliver(storage, events, message, channels, loaded, smtp, sleep, {"digest_id": digest_id})
            sent += ok
            failed += not ok
            stories += len({e["article_id"] for e in events}) if ok else 0
            all_ok &= ok
        if not all_ok:
            continue  # the schedule stays due: the next run tries again
        storage.alert_rules.update(
            rule["rule_id"], {"last_digest_at": now.isoformat()}, wait_for_refresh=True
        )
    storage.alert_events.refresh()
    return {"digests_sent": sent, "digest_stories": stories, "digests_failed": failed}
