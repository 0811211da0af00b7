"""Alert rules analysts make on the search page: validated here, stored in the rules index beside
the rules of alerts.yaml with the same fields (percolate.rule_document), so they match, deliver and
digest exactly alike; marked `source: page` with their owner and who changed them when. Rules of
alerts.yaml are shown but never changed here, and a sync never changes these. Every change goes to
the audit log. The HTTP API (newsmon.web.api) and `newsmon alerts export` call this module; nothing
in it needs the web.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import yaml
from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from newsmon import clock
from newsmon.alerts.channels import ChannelConfig
from newsmon.alerts.percolate import (
    CONFIGURATION,
    PAGE,
    analysis_fingerprint,
    back_test,
    rule_document,
    rule_query,
)
from newsmon.alerts.rules import AlertRule, LoadedAlerts, RuleFilters
from newsmon.errors import NewsmonError, QueryRejected, QueryTooCostly
from newsmon.query_budget import QueryBudget, check, for_visitors
from newsmon.storage import Storage


class Invalid(NewsmonError):
    """A rule, preview or search that cannot be taken: the message says why, `field` names where."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")
        self.reason = message


class NotFound(NewsmonError):
    pass


class ReadOnly(NewsmonError):
    """A rule of alerts.yaml: changed in that file, not on the page."""


class Conflict(NewsmonError):
    """The rule changed since it was read (another editor saved first)."""


@dataclass(frozen=True)
class Schedule:
    id: str
    label: str
    cron: str


# Digest times in plain words; cron expressions are evaluated in UTC, as the digest DAG runs them.
SCHEDULES = (
    Schedule("hourly", "Every hour", "0 * * * *"),
    Schedule("daily-08", "Every day at 08:00 UTC", "0 8 * * *"),
    Schedule("weekdays-08", "Monday to Friday at 08:00 UTC", "0 8 * * 1-5"),
    Schedule("weekly-mon-08", "Every Monday at 08:00 UTC", "0 8 * * 1"),
)
_BY_ID = {s.id: s for s in SCHEDULES}
_BY_CRON = {s.cron: s for s in SCHEDULES}
INSTANT_LABEL = "After each monitoring pass"
PREVIEW_STORIES = 10
MAX_PREVIEW_DAYS = 365

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _values(what: str) -> Any:
    return Field(default_factory=list, max_length=50, description=what)


class FacetsIn(BaseModel):
    """The page's facets: a story must have any of the values of each list."""

    model_config = ConfigDict(extra="forbid")

    topics: list[Text] = _values("topic ids")
    sources: list[Text] = _values("feed ids")
    outlets: list[Text] = _values("outlet domains (the page's `outlet` facet)")
    entities: list[Text] = _values("entity names")
    languages: list[Text] = _values("language codes")
    since: str | None = Field(
        None, description="the page's; a rule watches new stories, so a rule ignores it"
    )


class FiltersIn(FacetsIn):
    """A rule's filters: the facets (any of each list) and, as the search page's topic and entity
    facets mean, topics and entities a story must have every one of. A rule made from the page
    sends its topics and entities as `all_topics` and `all_entities`, so that the rule (and its
    preview) finds what the search showed."""

    all_topics: list[Text] = _values("topic ids, every one of them (the page's topic facets)")
    all_entities: list[Text] = _values("entity names, every one of them (the page's entity facets)")


class RuleIn(BaseModel):
    """A rule as the page sends it."""

    model_config = ConfigDict(extra="forbid")

    name: Text
    query: str = Field(min_length=1, description="Lucene query-string syntax, as in the search box")
    filters: FiltersIn = Field(default_factory=lambda: FiltersIn())
    mode: Literal["instant", "digest"] = "instant"
    schedule: str | None = Field(None, description="digest only: a preset id (GET /api/schedules) or cron")
    channels: list[Text] = Field(default_factory=lambda: ["log"], min_length=1, max_length=20)
    enabled: bool = True


class RuleChange(BaseModel):
    """A change of a rule: only the fields given change (`{"enabled": false}` pauses it)."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = None
    query: str | None = Field(None, min_length=1)
    filters: FiltersIn | None = None
    mode: Literal["instant", "digest"] | None = None
    schedule: str | None = None
    channels: list[Text] | None = Field(None, min_length=1, max_length=20)
    enabled: bool | None = None


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1)
    filters: FiltersIn = Field(default_factory=lambda: FiltersIn())
    since: str = Field("30d", pattern=r"^\d{1,3}d$", description="how far back: 7d, 30d (days, at most 365)")


def invalid(exc: ValidationError, prefix: str = "") -> Invalid:
    """The first problem of a pydantic error as Invalid, naming its field (`filters.topics`)."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "body"
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "not a field of this request"
    return Invalid(f"{prefix}{field}", message)


# -- reading ----------------------------------------------------------------------------------


def schedules() -> list[dict[str, str]]:
    return [{"id": s.id, "label": s.label, "cron": s.cron} for s in SCHEDULES]


def channels_of(loaded: LoadedAlerts) -> list[dict[str, str]]:
    """The operator's channels: id and type only (never addresses, URLs or variable names)."""
    return [{"id": c.id, "type": c.type} for c in sorted(loaded.channels.values(), key=lambda c: c.id)]


def view(doc: dict[str, Any], can_edit: bool) -> dict[str, Any]:
    """A stored rule as the API shows it."""
    d = doc.get("definition") or {}
    source = PAGE if doc.get("source") == PAGE else CONFIGURATION
    cron = d.get("schedule") if d.get("mode") == "digest" else None
    preset = _BY_CRON.get(cron) if cron else None
    filters = {
        k: list(d.get("filters", {}).get(k) or [])
        for k in ("topics", "sources", "outlets", "entities", "languages", "all_topics", "all_entities")
    }
    if d.get("filters", {}).get("min_topic_score"):
        filters["min_topic_score"] = d["filters"]["min_topic_score"]
    return {
        "id": doc.get("rule_id"), "name": d.get("name", doc.get("name")), "query": d.get("query", doc.get("query")),
        "filters": filters, "mode": d.get("mode", "instant"), "schedule": preset.id if preset else cron,
        "schedule_label": _label(cron), "channels": list(d.get("channels") or []), "enabled": bool(doc.get("enabled")),
        "source": source, "origin": "page" if source == PAGE else "config", "editable": source == PAGE and can_edit,
        "owner": doc.get("owner"), "created_at": doc.get("created_at"), "created_by": doc.get("created_by"),
        "updated_at": doc.get("updated_at"), "updated_by": doc.get("updated_by"), "last_error": doc.get("last_error"),
    }  # fmt: skip


def _label(cron: str | None) -> str:
    if not cron:
        return INSTANT_LABEL
    preset = _BY_CRON.get(cron)
    return preset.label if preset else f"On the schedule {cron} (cron, UTC)"


def list_rules(storage: Storage, can_edit: bool) -> list[dict[str, Any]]:
    """Every stored rule, those made on the page first, then by name."""
    rules = [view(doc, can_edit) for doc in storage.alert_rules.all()]
    return sorted(rules, key=lambda r: (r["source"] != PAGE, str(r["name"]).lower(), r["id"]))


def get_rule(storage: Storage, rule_id: str, can_edit: bool) -> dict[str, Any]:
    return view(_stored(storage, rule_id), can_edit)


def _stored(storage: Storage, rule_id: str) -> dict[str, Any]:
    doc = storage.alert_rules.get(rule_id)
    if doc is None:
        raise NotFound(f"no alert rule {rule_id!r}")
    return doc | {"rule_id": rule_id}


def history(storage: Storage, rule_id: str, size: int = 50) -> list[dict[str, Any]]:
    """What the rule sent, newest first: one row per story and channel (a pending or failed one
    too, with its status)."""
    events = storage.alert_events.history(rule_id, size=size)
    if not events and storage.alert_rules.get(rule_id) is None:
        raise NotFound(f"no alert rule {rule_id!r}")
    rows = []
    for e in events:
        done = {d.get("channel"): d for d in e.get("deliveries") or []}
        for channel in e.get("channels") or ["log"]:
            d = done.get(channel) or {}
            rows.append({
                "at": d.get("at") or e.get("created_at"), "story_id": e.get("article_id"), "title": e.get("title"),
                "url": e.get("url"), "channel": channel, "status": d.get("status") or e.get("status"),
                "mode": e.get("mode"), "aggregated": bool(e.get("aggregated")),
            })  # fmt: skip
    rows.sort(key=lambda r: str(r["at"] or ""), reverse=True)
    return rows


def preview(
    storage: Storage, body: PreviewIn | Mapping[str, Any], budget: QueryBudget | None = None
) -> dict[str, Any]:
    """What a rule of this query and filters would have sent for the stories published within
    `since`: how many, per day, and the newest stories (stories, not their copies)."""
    try:
        asked = body if isinstance(body, PreviewIn) else PreviewIn.model_validate(body)
    except ValidationError as exc:
        raise invalid(exc) from None
    if int(asked.since[:-1]) > MAX_PREVIEW_DAYS or int(asked.since[:-1]) == 0:
        raise Invalid("since", f"between 1d and {MAX_PREVIEW_DAYS}d")
    budget = budget or for_visitors()
    rule = _valid_rule(
        "preview", "preview", asked.query, asked.filters, "instant", None, ["log"], True, budget
    )
    try:
        found = back_test(storage, rule, asked.since, PREVIEW_STORIES, per_day=True, budget=budget)
    except QueryRejected as exc:
        raise Invalid("query", f"Elasticsearch cannot use this query: {exc.reason}") from None
    except QueryTooCostly as exc:
        raise Invalid("query", str(exc)) from None
    days = [{"day": day, "count": n} for day, n in found.per_day]
    stories = [
        {"id": m["article_id"], "title": m.get("title"), "outlet": m.get("source_domain") or m.get("source"),
         "published": m.get("published_at"), "url": m.get("url"), "cluster_size": m.get("cluster_size") or 1}
        for m in found.matches
    ]  # fmt: skip
    return {"since": asked.since, "total": found.total, "count": found.total, "per_day": days, "by_day": days,
            "stories": stories}  # fmt: skip


# -- changing ---------------------------------------------------------------------------------


def _cron(mode: str, schedule: str | None) -> str | None:
    if mode != "digest":
        return None
    if not schedule or not schedule.strip():
        ids = ", ".join(_BY_ID)
        raise Invalid("schedule", f"a digest needs a schedule: one of {ids}, or a cron expression")
    value = schedule.strip()
    if value in _BY_ID:
        return _BY_ID[value].cron
    if not croniter.is_valid(value) or len(value.split()) != 5:
        raise Invalid(
            "schedule", f"{value[:100]!r} is neither a preset ({', '.join(_BY_ID)}) nor a cron expression"
        )
    return value


def _valid_rule(
    rule_id: str, name: str, query: str, filters: FiltersIn, mode: Literal["instant", "digest"], schedule: str | None,
    channels: list[str], enabled: bool, budget: QueryBudget,
) -> AlertRule:  # fmt: skip
    try:
        rule = AlertRule(
            id=rule_id, name=name, query=query, mode=mode, schedule=_cron(mode, schedule), channels=channels,
            enabled=enabled, filters=RuleFilters(**filters.model_dump(exclude={"since"})),
        )  # fmt: skip
    except ValidationError as exc:
        raise invalid(exc) from None
    try:
        check(rule.query, budget)  # what the search box refuses, a rule refuses too
    except QueryTooCostly as exc:
        raise Invalid("query", str(exc)) from None
    return rule


def _checked(storage: Storage, loaded: LoadedAlerts, rule_id: str, body: RuleIn) -> AlertRule:
    unknown = [c for c in body.channels if c not in loaded.channels]
    if unknown:
        raise Invalid(
            "channels", f"unknown channel(s) {unknown}; the operator defined {sorted(loaded.channels)}"
        )
    rule = _valid_rule(rule_id, body.name, body.query, body.filters, body.mode, body.schedule, body.channels,
                       body.enabled, for_visitors())  # fmt: skip
    try:
        rejected = storage.articles.validate(rule_query(rule))
    except QueryRejected as exc:
        rejected = exc.reason
    if rejected:
        raise Invalid("query", f"Elasticsearch cannot use this query: {rejected}")
    return rule


def new_rule_id(name: str) -> str:
    """A readable id from the name, made unique by a random tail: `npt-review-3fa9c1`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:40].rstrip("-") or "rule"
    return f"{slug}-{secrets.token_hex(3)}"


def create_rule(
    storage: Storage, loaded: LoadedAlerts, body: RuleIn | Mapping[str, Any], user: str
) -> dict[str, Any]:
    """Store a new page-made rule owned by `user`; the rule as the API shows it."""
    try:
        asked = body if isinstance(body, RuleIn) else RuleIn.model_validate(body)
    except ValidationError as exc:
        raise invalid(exc) from None
    taken = {r.id for r in loaded.rules} | set(loaded.failed)
    now = clock.now_iso()
    fingerprint = analysis_fingerprint(storage.articles)
    for _ in range(5):
        rule_id = new_rule_id(asked.name)
        if rule_id in taken:
            continue
        rule = _checked(storage, loaded, rule_id, asked)
        doc = rule_document(storage.articles, rule, fingerprint, now) | {
            "source": PAGE, "owner": user, "created_at": now, "created_by": user, "updated_at": now, "updated_by": user,
        }  # fmt: skip
        if storage.alert_rules.create(rule_id, doc):
            record_change(storage, user, "rule.create", rule_id, rule.name, None, rule.definition())
            return view(doc, can_edit=True)
    raise Conflict("could not find a free rule id; try again")


def update_rule(
    storage: Storage, loaded: LoadedAlerts, rule_id: str, change: RuleChange | Mapping[str, Any], user: str
) -> dict[str, Any]:
    """Change the fields given of a page-made rule (the others stay); the rule as the API shows it."""
    try:
        asked = change if isinstance(change, RuleChange) else RuleChange.model_validate(change)
    except ValidationError as exc:
        raise invalid(exc) from None
    stored = _stored(storage, rule_id)
    if stored.get("source") != PAGE:
        raise ReadOnly(f"rule {rule_id!r} is from configuration, read-only: change it in alerts.yaml")
    before = dict(stored["definition"])
    given = asked.model_dump(exclude_unset=True)
    if given.get("mode") == "instant" and "schedule" not in given:
        given["schedule"] = None
    current = {k: before.get(k) for k in ("name", "query", "mode", "schedule", "channels", "enabled")}
    current["filters"] = {k: v for k, v in (before.get("filters") or {}).items() if k != "min_topic_score"}
    try:
        merged = RuleIn.model_validate(current | given)
    except ValidationError as exc:
        raise invalid(exc) from None
    rule = _checked(storage, loaded, rule_id, merged)
    now = clock.now_iso()
    fingerprint = analysis_fingerprint(storage.articles)
    same_terms = stored.get("query") == rule.query and stored.get("analysis_fingerprint") == fingerprint
    doc = rule_document(
        storage.articles, rule, fingerprint, now, terms=stored.get("terms") if same_terms else None
    )
    keep = ("source", "owner", "created_at", "created_by", "last_digest_at")
    doc |= {k: stored[k] for k in keep if k in stored} | {"updated_by": user}
    if not storage.alert_rules.replace(rule_id, doc, stored["_seq_no"], stored["_primary_term"]):
        raise Conflict(f"rule {rule_id!r} was changed by someone else meanwhile: load it again")
    changed = sorted(k for k in rule.definition() if rule.definition()[k] != before.get(k))
    action = "rule.update"
    if changed == ["enabled"]:
        action = "rule.resume" if rule.enabled else "rule.pause"
    record_change(storage, user, action, rule_id, rule.name, before, rule.definition(), changed)
    return view(doc | {"rule_id": rule_id}, can_edit=True)


def delete_rule(storage: Storage, rule_id: str, user: str) -> None:
    stored = _stored(storage, rule_id)
    if stored.get("source") != PAGE:
        raise ReadOnly(f"rule {rule_id!r} is from configuration, read-only: remove it from alerts.yaml")
    storage.alert_rules.delete(rule_id, wait_for_refresh=True)
    record_change(storage, user, "rule.delete", rule_id, stored.get("name"), stored.get("definition"), None)


def record_change(
    storage: Storage, user: str, action: str, target_id: str, name: Any, before: dict[str, Any] | None,
    after: dict[str, Any] | None, changed: list[str] | None = None, target_type: str = "rule",
) -> None:  # fmt: skip
    now = clock.now()
    # @timestamp is to the second, as every stored time; seq orders the changes of one second.
    seq = f"{int(now.timestamp() * 1_000_000):017d}-{secrets.token_hex(3)}"
    entry = {"@timestamp": clock.iso(now), "seq": seq, "user": user, "action": action, "target_type": target_type,
             "target_id": target_id, "target_name": name, "before": before, "after": after}  # fmt: skip
    if changed is not None:
        entry["changed"] = changed
    storage.audit.record(entry)


# -- export -----------------------------------------------------------------------------------


def export_yaml(storage: Storage, loaded: LoadedAlerts) -> tuple[str, int]:
    """The page-made rules as an alerts.yaml document (with the channels they use, so the file
    loads by itself), and how many. Owner and dates go in comments: alerts.yaml has no field for them."""
    made = [r for r in storage.alert_rules.all() if r.get("source") == PAGE]
    used = sorted({c for r in made for c in (r.get("definition") or {}).get("channels") or []})
    lines = [
        f"# Alert rules made on the newsmon search page, exported {clock.now_iso()}.",
        "# The same format as config/alerts.yaml: the rules (and channels) can be copied there. A",
        "# rule of alerts.yaml may not take the id of a rule still stored from the page: delete the",
        "# page's rule (or change the id) when you move it.",
    ]
    channels = [_channel(loaded.channels[c]) for c in used if c in loaded.channels]
    lines.append(yaml.safe_dump({"channels": channels}, sort_keys=False, allow_unicode=True).rstrip())
    lines.append("rules:" if made else "rules: []")
    for r in made:
        lines.append(f"  # by {r.get('created_by')} at {r.get('created_at')}; last changed by "
                     f"{r.get('updated_by')} at {r.get('updated_at')}")  # fmt: skip
        text = yaml.safe_dump([r["definition"]], sort_keys=False, allow_unicode=True, width=120)
        lines += [f"  {line}" for line in text.rstrip().splitlines()]
    return "\n".join(lines) + "\n", len(made)


def _channel(channel: ChannelConfig) -> dict[str, Any]:
    return channel.model_dump(exclude_defaults=True)
