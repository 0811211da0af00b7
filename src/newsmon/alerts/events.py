"""Alert events: one per (rule, story), with a deterministic id, in ${prefix}alert-events.

A story is the cluster of its copies: before an event is written, the events of the rule are
searched for any member of the story's cluster, so a copy that arrives later — or a copy that
becomes the cluster's leader — never notifies twice. The write itself uses `create` with an id
derived from rule and story, so a retried task cannot duplicate it either.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from typing import Any

from newsmon.alerts.percolate import Match
from newsmon.clock import now_iso
from newsmon.storage import Storage
from newsmon.storage.articles import Articles

log = logging.getLogger(__name__)


def event_id(rule_id: str, story_id: str) -> str:
    return hashlib.sha256(f"{rule_id}\x00{story_id}".encode()).hexdigest()[:32]


def cluster_members(articles: Articles, story_ids: list[str]) -> dict[str, list[str]]:
    members: dict[str, set[str]] = {i: {i} for i in story_ids}
    for hit in articles.by_field("duplicate_of", story_ids, ["duplicate_of"]):
        members[hit["_source"]["duplicate_of"]].add(hit["_id"])
    return {k: sorted(v) for k, v in members.items()}


def _matched_terms(highlights: list[str]) -> list[str]:
    terms: list[str] = []
    for frag in highlights:
        parts = frag.split("**")
        for term in parts[1::2]:
            if term and term.lower() not in {t.lower() for t in terms}:
                terms.append(term)
    return terms


def record_matches(
    storage: Storage, matches: list[Match], channels_of: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Write an event for each match not yet alerted for its story; returns the new events."""
    events = storage.alert_events
    events.ensure()
    if not matches:
        return []
    members = cluster_members(storage.articles, sorted({m.story["_id"] for m in matches}))
    all_members = sorted({i for ids in members.values() for i in ids})
    rules = sorted({m.rule["rule_id"] for m in matches})
    seen: set[tuple[str, str]] = set()
    query = {"bool": {"filter": [{"terms": {"rule_id": rules}}, {"terms": {"member_ids": all_members}}]}}
    for hit in events.scan(query, source=["rule_id", "member_ids"]):
        for member in hit["_source"].get("member_ids", []):
            seen.add((hit["_source"]["rule_id"], member))
    created_at = now_iso()
    docs: list[dict[str, Any]] = []
    for m in matches:
        rule_id, story_id = m.rule["rule_id"], m.story["_id"]
        cluster = members[story_id]
        if any((rule_id, i) in seen for i in cluster):
            continue
        seen.update((rule_id, i) for i in cluster)
        src = m.story["_source"]
        docs.append(
            {
                "id": event_id(rule_id, story_id),
                "@timestamp": created_at,
                "created_at": created_at,
                "rule_id": rule_id,
                "rule_name": m.rule["name"],
                "article_id": story_id,
                "member_ids": cluster,
                "title": src.get("title"),
                "url": src.get("url"),
                "source": src.get("source"),
                "source_domain": src.get("source_domain"),
                "published_at": src.get("published_at"),
                "topics": src.get("topics") or [],
                "highlights": m.highlights,
                "matched_terms": _matched_terms(m.highlights),
                "cluster_size": src.get("cluster_size") or 1,
                "outlets": src.get("outlets") or [],
                "mode": m.rule["mode"],
                "channels": channels_of.get(rule_id) or m.rule.get("channels") or ["log"],
                "status": "pending",
                "attempts": 0,
                "deliveries": [],
            }
        )
    created: list[dict[str, Any]] = []
    by_id = {d["id"]: d for d in docs}
    for out in events.create(docs):
        info = out.info
        if out.ok or (out.resent and info.get("status") == 409):  # resent: our write got through
            created.append(by_id[info["_id"]])
        elif info.get("status") != 409:  # 409: written by an earlier try of this run
            log.error("could not write alert event %s: %s", info.get("_id"), info.get("error"))
    events.refresh()
    if created:
        log.info("%d new alert event(s): %s", len(created), dict(_count(created)))
    return created


def _count(events: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for e in events:
        out[e["rule_id"]] += 1
    return out
