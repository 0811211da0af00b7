"""Delivering alert events: instant ones after each run, digests on each rule's schedule.

Each channel of an event is tried a few times with exponential backoff; the outcome is written on
the event (per channel: status, attempts, last error, receipt), so a failure stays visible in
Kibana and the next run tries again. A channel that succeeded is never sent again, and an event
is only done when all its channels are. (A crash between sending and recording would send once
more on the next run: delivery is at-least-once, never lost.)

Bounds within one run, whatever the receivers do:
- events are claimed before they are sent (a conditional write on the version read, see
  AlertEvents.claim): two runs at once (a CLI run beside the DAG) never send one event twice; a
  claim left by a run that died is taken over after CLAIM_LEASE;
- one attempt ends by NEWSMON_ALERT_DEADLINE seconds (connecting, headers, body together);
- after NEWSMON_ALERT_BREAKER_FAILURES failed attempts in a row a channel is skipped for the rest
  of the run (its events stay undelivered for the next run);
- a rule sends at most NEWSMON_ALERT_CAP_PER_RULE instant messages per run; the rest of its events
  go out as one message ("and 290 more") and are marked delivered with `aggregated: true`.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from croniter import croniter

from newsmon import clock
from newsmon.alerts.channels import ChannelConfig, DeliveryError, send
from newsmon.alerts.messages import Message, digest_message, instant_message, more_message
from newsmon.alerts.rules import LoadedAlerts
from newsmon.clock import iso, now_iso
from newsmon.redaction import redact_text
from newsmon.settings import SmtpSettings, load_settings
from newsmon.storage import Storage

log = logging.getLogger(__name__)
CLAIM_LEASE = timedelta(minutes=15)  # a claim older than this was left by a run that died


def retry_delays() -> list[float]:
    """Seconds between delivery tries within a run (NEWSMON_ALERT_RETRY_DELAYS)."""
    return load_settings().alert_retry_delays


@dataclass
class DeliveryRun:
    """What one delivery run shares: its identity (for claims), its bounds and each channel's
    failures in a row (the circuit breaker)."""

    smtp: SmtpSettings | None
    sleep: Callable[[float], None]
    delays: list[float]
    deadline: float
    breaker_after: int
    cap_per_rule: int
    owner: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    failures: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(cls, smtp: SmtpSettings | None, sleep: Callable[[float], None]) -> DeliveryRun:
        settings = load_settings()
        return cls(smtp, sleep, retry_delays(), settings.alert_deadline, settings.alert_breaker_failures,
                   settings.alert_cap_per_rule)  # fmt: skip

    def skipped(self, channel_id: str) -> bool:
        return self.failures.get(channel_id, 0) >= self.breaker_after

    def failed(self, channel_id: str) -> None:
        self.failures[channel_id] = self.failures.get(channel_id, 0) + 1
        if self.failures[channel_id] == self.breaker_after:
            log.warning("alert channel %s failed %d times in a row: skipped for the rest of this run; its "
                        "events stay for the next run", channel_id, self.breaker_after)  # fmt: skip

    def succeeded(self, channel_id: str) -> None:
        self.failures[channel_id] = 0


def _try(
    channel: ChannelConfig, message: Message, events: list[dict[str, Any]], run: DeliveryRun
) -> tuple[bool, str, int]:
    """(ok, receipt or last error, attempts) after the first try and one retry per delay, unless
    the channel's breaker opens first."""
    delays = run.delays
    last = ""
    for attempt in range(1, len(delays) + 2):
        if run.skipped(channel.id):
            note = f"channel {channel.id}: skipped for the rest of the run after {run.breaker_after} failures in a row"
            return False, f"{note}; last: {last}" if last else note, attempt - 1
        try:
            receipt = send(channel, message, events, smtp=run.smtp, timeout=run.deadline)
            run.succeeded(channel.id)
            return True, receipt, attempt
        except DeliveryError as exc:
            run.failed(channel.id)
            # Stored in alert-events.last_error and logged: whatever a receiver echoed (a token, a
            # URL, an Authorization value) is masked again here, whichever channel raised it.
            last = redact_text(str(exc))
            log.warning(
                "alert delivery via %s failed (try %d/%d): %s", channel.id, attempt, len(delays) + 1, last
            )
            if getattr(exc, "permanent", False):  # a missing setting or a 4xx: retrying now cannot help
                return False, last, attempt
            if attempt <= len(delays) and not run.skipped(channel.id):
                run.sleep(delays[attempt - 1])
        except Exception as exc:  # a bug or an odd setting in a channel must not stop the others
            run.failed(channel.id)
            last = f"channel {channel.id}: {type(exc).__name__} (unexpected; see the log)"
            log.exception("alert delivery via %s failed unexpectedly", channel.id)
            return False, last, attempt
    return False, last, len(delays) + 1


def _deliver(
    storage: Storage, events: list[dict[str, Any]], message: Message, channel_ids: list[str], loaded: LoadedAlerts,
    run: DeliveryRun, extra: dict[str, Any] | None = None,
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
            ok, note, attempts = _try(channel, message, events, run)
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
    """Send the instant events not yet delivered: claimed first, at most the cap per rule one by
    one, the rest of a rule's in one message."""
    run = DeliveryRun.start(smtp, sleep)
    stale = iso(clock.now() - CLAIM_LEASE)
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for event in storage.alert_events.undelivered("instant", stale_before=stale):
        by_rule.setdefault(str(event.get("rule_id")), []).append(event)
    delivered = failed = aggregated = 0
    for events in by_rule.values():
        mine = storage.alert_events.claim(events, run.owner, now_iso())
        for event in mine[: run.cap_per_rule]:
            ok = _deliver(storage, [event], instant_message(event), _channels(event), loaded, run)
            delivered += ok
            failed += not ok
        for rest in _by_channels_done(mine[run.cap_per_rule :]):
            message = more_message(rest, sent_apart=run.cap_per_rule)
            ok = _deliver(storage, rest, message, _channels(rest[0]), loaded, run, {"aggregated": True})
            aggregated += len(rest) if ok else 0
            failed += 0 if ok else len(rest)
    storage.alert_events.refresh()
    if delivered or failed or aggregated:
        log.info("instant alerts: %d delivered, %d more in summaries, %d failed (kept for the next run)",
                 delivered, aggregated, failed)  # fmt: skip
    return {"delivered": delivered + aggregated, "aggregated": aggregated, "failed": failed}


def _channels(event: dict[str, Any]) -> list[str]:
    return list(event.get("channels") or ["log"])


def _by_channels_done(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Events grouped by the channels they already reached (an earlier run half failed), so that
    one message never reaches anybody twice."""
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for event in events:
        done = frozenset(d["channel"] for d in event.get("deliveries", []) if d.get("status") == "delivered")
        groups.setdefault(done, []).append(event)
    return list(groups.values())


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
    run = DeliveryRun.start(smtp, sleep)
    sent = stories = failed = 0
    for rule in storage.alert_rules.enabled():
        if rule.get("mode") != "digest":
            continue
        if not force and not due(rule["schedule"], rule.get("last_digest_at"), now):
            continue
        pending = storage.alert_events.undelivered(
            "digest", rule["rule_id"], stale_before=iso(clock.now() - CLAIM_LEASE)
        )
        # Events that already reached some channels (an earlier digest half failed) go out apart, so
        # nobody gets the same story twice.
        groups = _by_channels_done(storage.alert_events.claim(pending, run.owner, now_iso()))
        all_ok = True
        for events in groups:
            digest_id = hashlib.sha256(
                f"{rule['rule_id']}{now.isoformat()}{events[0]['id']}".encode()
            ).hexdigest()[:16]
            message = digest_message(rule, events)
            channels = rule.get("channels") or ["log"]
            ok = _deliver(storage, events, message, channels, loaded, run, {"digest_id": digest_id})
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
