"""The run summary: counts a person can read, and the JSON shape of `newsmon run --json`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from newsmon.redaction import for_log, redact_url, strip_credentials

CONTRACT_KEYS = (
    "feeds_total", "feeds_ok", "feeds_failed", "entries_seen", "articles_new", "articles_updated",
    "duplicates", "tagged", "indexed", "alerts_fired", "errors",
)  # fmt: skip


@dataclass
class RunSummary:
    feeds_total: int = 0
    feeds_ok: int = 0
    feeds_failed: int = 0
    feeds_deferred: int = 0
    feeds_not_due: int = 0
    entries_seen: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    already_indexed: int = 0
    past_retention: int = 0  # new stories older than NEWSMON_RETENTION: not stored
    not_articles: int = 0
    duplicates: int = 0
    tagged: int = 0
    indexed: int = 0
    pdf_documents: int = 0  # of `indexed`, the PDF documents
    alerts_fired: int = 0
    alerts_delivered: int = 0
    alerts_failed: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    per_feed: dict[str, dict[str, Any]] = field(default_factory=dict)
    new_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> RunSummary:
        """The summary of a stored run record (`newsmon runs`); keys it has no field for are left out
        (the record's `@timestamp`, `mode`, `run_id`, ...)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in known})

    def merge(self, other: RunSummary | dict[str, Any]) -> RunSummary:
        data = other if isinstance(other, dict) else asdict(other)
        for key, value in data.items():
            if key == "duration_s" or not hasattr(self, key):  # e.g. a batch's `worker`
                continue
            mine = getattr(self, key)
            if isinstance(mine, list):
                mine.extend(value)
            elif isinstance(mine, dict):
                mine.update(value)
            elif isinstance(mine, int):
                setattr(self, key, mine + int(value))
        return self

    @property
    def all_failed(self) -> bool:
        """Every feed this pass requested failed (deferred feeds were not requested): exit 4."""
        requested = self.feeds_total - self.feeds_deferred
        return requested > 0 and self.feeds_failed == requested

    def shown_errors(self) -> list[dict[str, str]]:
        """`errors` as printed and stored: no URL carries its user and password."""
        return [
            {
                k: redact_url(v) if k == "url" else strip_credentials(v) if k == "error" else v
                for k, v in err.items()
            }
            for err in self.errors
        ]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "errors": self.shown_errors()}

    def to_contract(self) -> dict[str, Any]:
        data = self.to_dict()
        out = {k: data[k] for k in CONTRACT_KEYS}
        out.update(
            already_indexed=self.already_indexed,
            not_articles=self.not_articles,
            pdf_documents=self.pdf_documents,
            alerts_delivered=self.alerts_delivered,
            alerts_failed=self.alerts_failed,
            feeds_deferred=self.feeds_deferred,
            feeds_not_due=self.feeds_not_due,
            per_feed=self.per_feed,
            duration_s=round(self.duration_s, 2),
        )
        return out

    def render(self, title: str = "newsmon run") -> str:
        lines = [
            f"{title} finished in {self.duration_s:.1f} s",
            f"  feeds      {self.feeds_ok} ok, {self.feeds_failed} failed, {self.feeds_deferred} deferred, "
            f"of {self.feeds_total} polled; {self.feeds_not_due} not due",
            f"  entries    {self.entries_seen} seen, {self.already_indexed} already indexed"
            + (f", {self.past_retention} older than the retention" if self.past_retention else ""),
            f"  articles   {self.articles_new} new, {self.articles_updated} updated, "
            f"{self.not_articles} not articles, {self.indexed} indexed"
            + (
                f" ({self.pdf_documents} PDF document{'' if self.pdf_documents == 1 else 's'})"
                if self.pdf_documents
                else ""
            ),
            f"  stories    {self.tagged} tagged with a topic, {self.duplicates} "
            f"cop{'y' if self.duplicates == 1 else 'ies'} of stories seen before",
            f"  alerts     {self.alerts_fired} fired, {self.alerts_delivered} delivered, "
            f"{self.alerts_failed} failed (retried next run)",
        ]
        if self.per_feed:
            lines.append("  per feed:")
            for feed_id, stats in sorted(self.per_feed.items()):
                state = stats.get("outcome") or ("ok" if stats.get("ok") else "failed")
                kind = stats.get("type") or "feed"
                lines.append(
                    f"    {feed_id:<28} {state:<12} {stats.get('entries', 0):>4} entries, "
                    f"{stats.get('new', 0):>4} new" + ("" if kind == "feed" else f"  ({kind})")
                )
                lines.extend(f"      {note}" for note in stats.get("notes") or [])
        problems = {
            feed_id: stats
            for feed_id, stats in sorted(self.per_feed.items())
            if stats.get("outcome") in ("failed", "deferred")
            or stats.get("warnings")
            or stats.get("moved_to")
        }
        if problems:
            lines.append(f"  problem feeds ({len(problems)}):")
            for feed_id, stats in list(problems.items())[:50]:
                why = stats.get("error") or "; ".join(stats.get("warnings") or [])
                if stats.get("moved_to"):
                    why = f"moved permanently to {stats['moved_to']} (update the config)" + (
                        f"; {why}" if why else ""
                    )
                lines.append(f"    - {feed_id} [{stats.get('outcome')}]: {why}")
        if self.errors:
            lines.append(f"  problems ({len(self.errors)}):")
            for err in self.shown_errors()[:50]:
                what = (
                    f"feed {err['feed']}"
                    if "feed" in err
                    else f"rule {err['rule']}"
                    if "rule" in err
                    else err.get("url", "?")
                )
                lines.append(f"    - {for_log(what)}: {for_log(err['error'])}")
            if len(self.errors) > 50:
                lines.append(f"    … and {len(self.errors) - 50} more")
        return "\n".join(lines)
