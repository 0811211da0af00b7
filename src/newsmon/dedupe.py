"""Story clusters of exact copies: the same normalized body under different URLs.

The cluster leader is the copy published first (page date, then fetch time, then id): a rule that
gives the same answer whatever order the copies arrive in and however often a run is retried, so
re-running it is always safe.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from newsmon.store import Store

log = logging.getLogger(__name__)

_FIELDS = ["content_hash", "published_at", "fetched_at", "source_domain", "duplicate_of", "cluster_size", "outlets"]


def _order(hit: dict[str, Any]) -> tuple[str, str, str]:
    src = hit["_source"]
    return (src.get("published_at") or "9999", src.get("fetched_at") or "9999", hit["_id"])


def cluster_exact(store: Store, new_ids: list[str]) -> dict[str, int]:
    """Mark copies of the stories behind `new_ids`; returns counts of duplicates among them."""
    if not new_ids:
        return {"duplicates": 0, "clusters_touched": 0}
    store.refresh()
    hashes = sorted({h["_source"].get("content_hash") for h in store.get_many(new_ids, _FIELDS)} - {None, ""})
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for start in range(0, len(hashes), 500):
        for hit in store.by_field("content_hash", hashes[start : start + 500], _FIELDS):
            members[hit["_source"]["content_hash"]].append(hit)
    updates: list[tuple[str, str, dict[str, Any]]] = []
    new = set(new_ids)
    duplicates = 0
    touched = 0
    for group in members.values():
        group.sort(key=_order)
        leader, copies = group[0], group[1:]
        outlets = sorted({h["_source"].get("source_domain") or "" for h in group} - {""})
        want = {"duplicate_of": None, "cluster_size": len(group), "outlets": outlets}
        if any(leader["_source"].get(k) != v for k, v in want.items()):
            updates.append((leader["_index"], leader["_id"], want))
        for copy in copies:
            want_copy = {"duplicate_of": leader["_id"], "cluster_size": len(group), "outlets": outlets}
            if any(copy["_source"].get(k) != v for k, v in want_copy.items()):
                updates.append((copy["_index"], copy["_id"], want_copy))
            if copy["_id"] in new:
                duplicates += 1
        if len(group) > 1:
            touched += 1
    if updates:
        store.bulk_update(updates)
        store.refresh()
    log.info("clusters: %d exact-copy group(s) touched, %d new duplicate(s)", touched, duplicates)
    return {"duplicates": duplicates, "clusters_touched": touched}
