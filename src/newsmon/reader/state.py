"""Per-feed state: what newsmon remembers of a feed between polls, and how a poll changes it.

Records only: their documents (`FeedState.to_doc`, `states_from`) are stored, one per feed id,
by newsmon.storage.feed_states.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from newsmon.clock import iso, parse_iso
from newsmon.reader.hints import FeedHints, HttpHints
from newsmon.reader.schedule import (
    CEILING,
    FLOOR,
    GONE_AFTER,
    RETRY_AFTER_CAP,
    PollOutcome,
    ScheduleState,
    health,
    next_poll,
)

_DATES = ("last_poll_at", "last_success_at", "failing_since", "next_due", "retry_until")


@dataclass
class FeedState:
    id: str
    url: str
    final_url: str | None = None
    moved_to: str | None = None  # target of a permanent redirect (301/308) not yet in the config
    enabled: bool = True
    conditional: bool = True  # validators sent (per-feed switch `conditional:` in feeds.yaml)
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    format: str | None = None
    last_poll_at: datetime | None = None
    last_status: int | None = None
    last_outcome: str | None = None
    error_class: str | None = None
    last_error: str | None = None
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    next_due: datetime | None = None
    retry_until: datetime | None = None  # Retry-After: no request before this, schedule or not
    interval_s: int = FLOOR
    interval_reason: str | None = None
    recent_yield: list[int] = field(default_factory=list)
    last_entries: int = 0
    last_new: int = 0
    hints: dict[str, Any] = field(default_factory=dict)
    health: str = "ok"
    warnings: list[str] = field(default_factory=list)
    # type: page -- the canonical URLs of the links already seen (the baseline and every link taken
    # since), newest first and bounded (NEWSMON_PAGE_SEEN_MAX); None before the first poll. `seen_key`
    # names the URL and pattern they were seen under: a new one takes a new baseline.
    seen: list[str] | None = None
    seen_key: str | None = None
    # type: sitemap -- validators of each child sitemap of an index: {url: {etag, last_modified,
    # body_hash}}, so that an index that changed asks only its changed children for a body.
    parts: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        # A shallow copy, field by field: dataclasses.asdict deep-copies every value, which cost
        # more than the write at a thousand feeds. The lists are copied; `hints` holds scalars.
        doc: dict[str, Any] = {}
        for f in _FIELDS:
            value = getattr(self, f)
            doc[f] = (
                list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value
            )
        for key in _DATES:
            doc[key] = iso(doc[key])
        doc["@timestamp"] = doc["last_poll_at"]
        return {k: v for k, v in doc.items() if v is not None}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> FeedState:
        names = {f.name for f in fields(cls)}
        data = {k: v for k, v in doc.items() if k in names}
        for key in _DATES:
            if data.get(key):
                data[key] = parse_iso(data[key])
        return cls(**data)

    def is_due(self, now: datetime, slack: timedelta = timedelta(0)) -> bool:
        return self.next_due is None or self.next_due <= now + slack

    def deferred_until(self, now: datetime) -> datetime | None:
        """The Retry-After time still ahead, if any: honoured even by --ignore-schedule.

        Never more than RETRY_AFTER_CAP after the poll that asked for it, even for a state
        stored before Retry-After was clamped (a feed silenced for years comes back)."""
        if not self.retry_until:
            return None
        until = min(self.retry_until, (self.last_poll_at or now) + timedelta(seconds=RETRY_AFTER_CAP))
        return until if until > now else None

    def schedule_state(self) -> ScheduleState:
        return ScheduleState(
            interval=self.interval_s,
            consecutive_failures=self.consecutive_failures,
            recent_yield=tuple(self.recent_yield),
            failing_since=self.failing_since,
        )


_FIELDS = tuple(f.name for f in fields(FeedState))


def states_from(docs: Mapping[str, dict[str, Any]]) -> dict[str, FeedState]:
    """Feed id -> FeedState of stored state documents (as newsmon.storage.feed_states returns them)."""
    return {feed_id: FeedState.from_doc(doc) for feed_id, doc in docs.items()}


@dataclass
class Poll:
    """What one poll of one feed found, before the schedule is applied."""

    outcome: str  # one of schedule.OUTCOMES
    status: int | None = None
    final_url: str | None = None
    moved_to: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    format: str | None = None
    error_class: str | None = None
    error: str | None = None
    retry_after: int | None = None
    entries: int = 0
    new: int = 0
    warnings: list[str] = field(default_factory=list)
    feed_hints: FeedHints | None = None
    http_hints: HttpHints | None = None
    # Sitemap and page sources: what their state keeps besides the validators (see FeedState), and
    # the child sitemaps that failed while the source as a whole was read ("<url>: <reason>").
    seen: list[str] | None = None
    seen_key: str | None = None
    parts: dict[str, dict[str, str]] | None = None
    part_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # for the run summary only (a page's baseline)


def error_class(reason: str) -> str:
    """A short class of a FetchError's reason, for filtering in Kibana: http_404, timeout, ..."""
    if match := re.match(r"HTTP (\d{3})", reason):
        return f"http_{match.group(1)}"
    for needle, name in (
        ("timed out", "timeout"),
        ("too slow", "timeout"),
        ("redirect loop", "redirect_loop"),
        ("redirects", "too_many_redirects"),
        ("too large", "too_large"),
        ("connection failed", "connection"),
        ("cannot resolve", "dns"),
        ("refused", "refused"),
    ):
        if needle in reason:
            return name
    return "error"


def apply_poll(
    state: FeedState,
    poll: Poll,
    now: datetime,
    *,
    floor: int = FLOOR,
    ceiling: int = CEILING,
    gone_after: timedelta = GONE_AFTER,
    configured_url: str | None = None,
) -> FeedState:
    """The state after `poll`: validators, schedule (schedule.next_poll) and health."""
    decided = next_poll(
        state.schedule_state(),
        PollOutcome(
            kind=poll.outcome,
            new_entries=poll.new,
            total_entries=poll.entries,
            error_class=poll.error_class,
            status=poll.status,
            retry_after=poll.retry_after,
        ),
        now,
        feed_hints=poll.feed_hints,
        http_hints=poll.http_hints,
        floor=floor,
        ceiling=ceiling,
    )
    s = FeedState(**{f.name: getattr(state, f.name) for f in fields(FeedState)})
    s.url = configured_url or state.url
    s.last_poll_at = now
    s.last_outcome = poll.outcome
    s.last_status = poll.status
    s.next_due = decided.next_due
    s.interval_s = decided.state.interval
    s.interval_reason = decided.reason
    s.consecutive_failures = decided.state.consecutive_failures
    s.failing_since = decided.state.failing_since
    s.recent_yield = list(decided.state.recent_yield)
    wait = min(poll.retry_after, RETRY_AFTER_CAP) if poll.retry_after else 0
    s.retry_until = now + timedelta(seconds=wait) if wait > 0 else None
    if poll.feed_hints is not None or poll.http_hints is not None:
        s.hints = _hints(poll.feed_hints, poll.http_hints)
    if poll.outcome in ("failed", "deferred"):
        s.error_class = poll.error_class
        s.last_error = poll.error
    else:
        s.error_class = None
        s.last_error = None
        s.last_success_at = now
        s.final_url = poll.final_url or s.final_url
        if poll.moved_to is not None or poll.outcome != "not_modified":
            s.moved_to = poll.moved_to
        # A 304 carries no new validators as a rule; keep the ones that earned it.
        s.etag = poll.etag or (s.etag if poll.outcome == "not_modified" else None)
        s.last_modified = poll.last_modified or (s.last_modified if poll.outcome == "not_modified" else None)
        s.body_hash = poll.body_hash or s.body_hash
        s.format = poll.format or s.format
        if poll.seen is not None:
            s.seen, s.seen_key = list(poll.seen), poll.seen_key
        if poll.parts is not None:
            s.parts = dict(poll.parts)
        if poll.outcome == "new_content":
            s.warnings = list(poll.warnings)
            s.last_entries = poll.entries
            s.last_new = poll.new
    if s.moved_to and s.moved_to == s.url:  # the operator copied the new URL into the config
        s.moved_to = None
    s.health = health(
        enabled=s.enabled,
        consecutive_failures=s.consecutive_failures,
        last_status=s.last_status,
        failing_since=s.failing_since,
        warnings=s.warnings,
        moved_to=s.moved_to,
        now=now,
        gone_after=gone_after,
    )
    return s


def _hints(feed: FeedHints | None, http: HttpHints | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if feed is not None:
        out.update(
            ttl_minutes=feed.ttl_minutes,
            update_period=feed.update_period,
            update_frequency=feed.update_frequency,
        )
    if http is not None:
        out.update(fresh_for=http.fresh_for, fresh_source=http.source, retry_after=http.retry_after)
    return {k: v for k, v in out.items() if v is not None}
