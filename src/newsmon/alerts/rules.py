"""Alert rules of config/alerts.yaml, validated one by one: a broken rule is reported and skipped,
the others load. The query is Lucene query-string syntax, as analysts type it in Kibana."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from croniter import croniter
from luqum.exceptions import ParseError
from luqum.parser import parser as lucene
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from newsmon.alerts.channels import ChannelConfig
from newsmon.config import read_yaml, validation_problems
from newsmon.errors import ConfigError

_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
LOG_CHANNEL = ChannelConfig(id="log", type="log")


class RuleFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topics: list[str] = Field(default_factory=list, description="any of these topic ids")
    sources: list[str] = Field(default_factory=list, description="any of these feed ids")
    outlets: list[str] = Field(default_factory=list, description="any of these outlet domains")
    entities: list[str] = Field(default_factory=list, description="any of these entity names")
    languages: list[str] = Field(default_factory=list)
    # The search page's topic and entity facets narrow with each value chosen: a rule made from the
    # page keeps that meaning, so that it sends what the search showed.
    all_topics: list[str] = Field(default_factory=list, description="every one of these topic ids")
    all_entities: list[str] = Field(default_factory=list, description="every one of these entity names")
    min_topic_score: dict[str, float] = Field(default_factory=dict, description="topic id -> minimum score")


# A rule's query is refused past these, fast and before any parsing: a 20,000-term query took 44 s
# to be refused further on, in an error that repeated all 180 KB of it.
MAX_QUERY_CHARS = 10_000
MAX_QUERY_TERMS = 1_000
QUOTED_CHARS = 100  # of a refused query, quoted in its error
_TERM = re.compile(r'"[^"]*"|[^\s()"]+')
_OPERATORS = frozenset({"AND", "OR", "NOT", "&&", "||", "!", "+", "-"})


def query_size_problem(query: str) -> str | None:
    """Why `query` is too big for a rule (length, then terms), quoting at most QUOTED_CHARS of
    it; None when it is not."""
    shown = query[:QUOTED_CHARS] + ("..." if len(query) > QUOTED_CHARS else "")
    if len(query) > MAX_QUERY_CHARS:
        return f"query too long: {len(query)} characters, at most {MAX_QUERY_CHARS} ({shown!r})"
    terms = sum(1 for t in _TERM.findall(query) if t not in _OPERATORS)
    if terms > MAX_QUERY_TERMS:
        return f"query has {terms} terms, at most {MAX_QUERY_TERMS} ({shown!r})"
    return None


class AlertRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    query: str = Field(min_length=1)
    filters: RuleFilters = Field(default_factory=RuleFilters)
    channels: list[str] = Field(default_factory=lambda: ["log"], min_length=1)
    mode: Literal["instant", "digest"] = "instant"
    schedule: str | None = None
    enabled: bool = True

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _RULE_ID.match(value):
            raise ValueError("must be lowercase letters, digits, '.', '_' or '-' (max 64)")
        return value

    @field_validator("query")
    @classmethod
    def _lucene(cls, value: str) -> str:
        if problem := query_size_problem(value):
            raise ValueError(problem)  # before any parser or Elasticsearch sees it
        try:
            lucene.parse(value)
        except (ParseError, Exception) as exc:  # luqum raises several ParseError subclasses and TypeError
            raise ValueError(f"not valid Lucene query-string syntax: {exc}") from None
        return value

    @model_validator(mode="after")
    def _schedule(self) -> AlertRule:
        if self.mode == "digest":
            if not self.schedule:
                raise ValueError("a digest rule needs `schedule` (cron, e.g. '0 7 * * *')")
            if not croniter.is_valid(self.schedule):
                raise ValueError(f"schedule {self.schedule!r} is not a valid cron expression")
        return self

    def definition(self) -> dict[str, Any]:
        out = self.model_dump()
        # Filters added later are left out while empty, so that a rule stored by an older version
        # keeps its definition hash (and is not recomputed by the next sync).
        for name in ("outlets", "entities", "all_topics", "all_entities"):
            if not out["filters"][name]:
                del out["filters"][name]
        return out


@dataclass
class LoadedAlerts:
    rules: list[AlertRule]
    channels: dict[str, ChannelConfig]
    errors: list[str] = field(default_factory=list)
    # rule id -> problem, for rules with an id that were left out: their last good stored version
    # stays active (newsmon.alerts.percolate.sync_rules) rather than the alert silently stopping.
    failed: dict[str, str] = field(default_factory=dict)
    # channel ids that hear about failed tasks (`operations: {channels: [...]}`): newsmon.alerts.operations
    operations: list[str] = field(default_factory=list)

    def rule(self, rule_id: str) -> AlertRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        known = ", ".join(r.id for r in self.rules) or "none"
        raise ConfigError(f"no valid alert rule {rule_id!r} (rules: {known})")


def _fmt(path: Path, where: str, exc: ValidationError, label: str = "") -> str:
    return "; ".join(validation_problems(exc, path, where=where, label=label))


def load_alerts(path: Path) -> LoadedAlerts:
    """Rules and channels; per-rule problems go to `errors`, a broken file raises ConfigError."""
    if not path.exists():
        return LoadedAlerts(rules=[], channels={"log": LOG_CHANNEL})
    data = read_yaml(path) or {}
    if not isinstance(data, dict) or not isinstance(data.get("rules", []), list):
        raise ConfigError(f"{path}: expected a mapping with a `rules` list (and optional `channels`)")
    errors: list[str] = []
    failed: dict[str, str] = {}
    channels: dict[str, ChannelConfig] = {"log": LOG_CHANNEL}
    for i, raw in enumerate(data.get("channels") or []):
        try:
            ch = ChannelConfig.model_validate(raw)
        except ValidationError as exc:
            errors.append(_fmt(path, f"channels[{i}]", exc))
            continue
        channels[ch.id] = ch
    rules: list[AlertRule] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("rules") or []):
        rid = raw.get("id") if isinstance(raw, dict) else None
        where = f"rules[{i}] (id {rid!r})" if rid else f"rules[{i}]"
        try:
            rule = AlertRule.model_validate(raw)
        except ValidationError as exc:
            errors.append(_fmt(path, f"rules[{i}]", exc, f"(id {rid!r})" if rid else ""))
            if isinstance(rid, str) and rid not in seen:
                failed[rid] = errors[-1]
            continue
        if rule.id in seen:
            errors.append(f"{path}: {where}: id appears twice; this one is skipped")
            continue
        missing = [c for c in rule.channels if c not in channels]
        if missing:
            errors.append(
                f"{path}: {where}: channels: unknown channel(s) {missing} (defined: {sorted(channels)})"
            )
            failed[rule.id] = errors[-1]
            continue
        seen.add(rule.id)
        rules.append(rule)
    operations: list[str] = []
    ops = data.get("operations") or {}
    ops_channels = ops.get("channels") if isinstance(ops, dict) else None
    if ops and (not isinstance(ops_channels, list) or not all(isinstance(c, str) for c in ops_channels)):
        errors.append(f"{path}: operations: expected {{channels: [channel ids]}}")
    else:
        unknown = [c for c in ops_channels or [] if c not in channels]
        if unknown:
            errors.append(
                f"{path}: operations: channels: unknown channel(s) {unknown} (defined: {sorted(channels)})"
            )
        operations = [c for c in ops_channels or [] if c in channels]
    return LoadedAlerts(rules=rules, channels=channels, errors=errors, failed=failed, operations=operations)
