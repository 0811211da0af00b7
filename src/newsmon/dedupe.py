"""Story clusters: exact and near copies of one story across URLs and outlets.

Two copies are one story when their bodies are identical after normalization (`content_hash`) or
when their exact 5-word shingles reach the resemblance threshold of newsmon.similarity, boilerplate
paragraphs of each outlet left out. Candidates come from MinHash band keys: in memory for
`newsmon similar`, from a terms query over the whole alias (recent window) in the pipeline; the
confirming rule is the same function in both.

The cluster leader is the copy published first (page date, then fetch time, then id): the answer
does not depend on the order copies arrive in, and re-running is always safe. Every member carries
`cluster_size` and `outlets`; the others point to the leader with `duplicate_of`.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from newsmon.extract import content_hash
from newsmon.similarity import BOILERPLATE_MIN_DOCS, NEAR_DUPLICATE_JACCARD, fingerprint, jaccard, shingles
from newsmon.store import Store

log = logging.getLogger(__name__)

EMPTY_HASH = content_hash("")  # bodies without a word are not copies of one another
WINDOW_DAYS = 30  # default of NEWSMON_DEDUPE_WINDOW_DAYS
MAX_CANDIDATES = 25
_FIELDS = [
    "body", "content_hash", "para_hashes", "lsh_bands", "source_domain", "published_at", "fetched_at",
    "duplicate_of", "cluster_size", "outlets",
]  # fmt: skip


@dataclass
class Doc:
    id: str
    body: str
    source: str
    content_hash: str = ""
    paragraphs: list[str] = field(default_factory=list)
    bands: list[str] = field(default_factory=list)
    published_at: str | None = None
    fetched_at: str | None = None
    duplicate_of: str | None = None


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for x in list(self.parent):
            out[self.find(x)].append(x)
        return [sorted(g) for g in out.values()]


def is_copy(
    a: Doc, b: Doc, boilerplate_count: Callable[[str, str], int], cache: dict[Any, set[int]] | None = None
) -> tuple[bool, float]:
    """The one rule, for the pipeline and `newsmon similar` alike. `cache` keeps each document's
    shingles across the pairs of one clustering round."""
    if a.content_hash and a.content_hash == b.content_hash and a.content_hash != EMPTY_HASH:
        return True, 1.0
    skip = frozenset(
        {h for h in a.paragraphs if boilerplate_count(a.source, h) >= BOILERPLATE_MIN_DOCS}
        | {h for h in b.paragraphs if boilerplate_count(b.source, h) >= BOILERPLATE_MIN_DOCS}
    )
    cache = {} if cache is None else cache

    def grams(d: Doc) -> set[int]:
        key = (d.id, skip & set(d.paragraphs))
        if key not in cache:
            cache[key] = shingles(d.body, key[1])
        return cache[key]

    score = jaccard(grams(a), grams(b))
    return score >= NEAR_DUPLICATE_JACCARD, score


# -- in memory: `newsmon similar` and the evaluation --------------------------------------------


def make_doc(id: str, body: str, source: str | None = None, **extra: Any) -> Doc:
    fp = fingerprint(body)
    return Doc(
        id=id, body=body, source=source or f"(own:{id})", content_hash=content_hash(body),
        paragraphs=fp.paragraph_hashes, bands=fp.bands, **extra,
    )  # fmt: skip


def cluster_docs(docs: list[Doc]) -> list[list[str]]:
    """Clusters (lists of ids, singletons included) of the given documents."""
    by_id = {d.id: d for d in docs}
    df = Counter((d.source, h) for d in docs for h in set(d.paragraphs))
    by_band: dict[str, list[str]] = defaultdict(list)
    by_hash: dict[str, list[str]] = defaultdict(list)
    union = _Union()
    cache: dict[Any, set[int]] = {}
    for d in docs:
        union.find(d.id)
        candidates = {c for band in d.bands for c in by_band[band]} | set(by_hash[d.content_hash])
        for c in sorted(candidates):
            if is_copy(d, by_id[c], lambda s, h: df[(s, h)], cache)[0]:
                union.join(d.id, c)
        for band in d.bands:
            by_band[band].append(d.id)
        by_hash[d.content_hash].append(d.id)
    order = {d.id: n for n, d in enumerate(docs)}
    return sorted(union.groups(), key=lambda g: min(order[i] for i in g))


# -- in Elasticsearch: the pipeline ------------------------------------------------------------


def _doc(hit: dict[str, Any]) -> Doc:
    src = hit["_source"]
    return Doc(
        id=hit["_id"], body=src.get("body") or "", source=src.get("source_domain") or "",
        content_hash=src.get("content_hash") or "", paragraphs=src.get("para_hashes") or [],
        bands=src.get("lsh_bands") or [], published_at=src.get("published_at"), fetched_at=src.get("fetched_at"),
        duplicate_of=src.get("duplicate_of"),
    )  # fmt: skip


def _candidate_query(doc: Doc, window_days: int) -> dict[str, Any]:
    # Scored by how many bands a candidate shares (one point each), so the MAX_CANDIDATES kept are
    # the likeliest copies, not the first stories in index order that share a single band.
    near = {
        "bool": {
            "should": [{"constant_score": {"filter": {"term": {"lsh_bands": b}}}} for b in doc.bands],
            "minimum_should_match": 1,
            "filter": [{"range": {"fetched_at": {"gte": f"now-{window_days}d"}}}],
        }
    }
    should: list[dict[str, Any]] = (
        [{"constant_score": {"filter": {"term": {"content_hash": doc.content_hash}}, "boost": 100}}]
        if doc.content_hash and doc.content_hash != EMPTY_HASH
        else []
    )
    if doc.bands:
        should.append(near)
    return {
        "bool": {"should": should, "minimum_should_match": 1, "must_not": [{"ids": {"values": [doc.id]}}]}
    }


class _BoilerplateCounts:
    """How many stories of one outlet carry a paragraph, asked of Elasticsearch once per outlet."""

    def __init__(self, store: Store):
        self.store = store
        self.counts: dict[tuple[str, str], int] = {}

    def prefetch(self, docs: Iterable[Doc]) -> None:
        wanted: dict[str, set[str]] = defaultdict(set)
        for d in docs:
            wanted[d.source].update(h for h in d.paragraphs if (d.source, h) not in self.counts)
        sources = [(source, sorted(hashes)) for source, hashes in wanted.items() if hashes]
        for start in range(0, len(sources), 100):
            chunk = sources[start : start + 100]
            body: list[dict[str, Any]] = []
            for source, hashes in chunk:
                # map: count from the outlet's own documents; global ordinals of a field with a
                # million distinct hashes would be rebuilt after every refresh.
                agg = {
                    "terms": {
                        "field": "para_hashes",
                        "include": hashes,
                        "size": len(hashes),
                        "execution_hint": "map",
                    }
                }
                body += [
                    {"index": self.store.alias},
                    {"size": 0, "query": {"term": {"source_domain": source}}, "aggs": {"p": agg}},
                ]
            for (source, hashes), resp in zip(
                chunk, self.store.es.msearch(searches=body)["responses"], strict=True
            ):
                for h in hashes:
                    self.counts[(source, h)] = 0
                for bucket in resp.get("aggregations", {}).get("p", {}).get("buckets", []):
                    self.counts[(source, bucket["key"])] = bucket["doc_count"]

    def __call__(self, source: str, h: str) -> int:
        return self.counts.get((source, h), 0)


def cluster_stories(store: Store, new_ids: list[str], window_days: int = WINDOW_DAYS) -> dict[str, int]:
    """Join the stories behind `new_ids` with their copies anywhere in the alias (near copies within
    `window_days`, exact ones at any age); returns counts."""
    if not new_ids:
        return {"duplicates": 0, "clusters_touched": 0}
    store.refresh()
    new = [_doc(h) for h in store.get_many(new_ids, _FIELDS)]
    docs: dict[str, Doc] = {d.id: d for d in new}
    candidates: dict[str, list[str]] = {}
    for start in range(0, len(new), 100):
        chunk = new[start : start + 100]
        body: list[dict[str, Any]] = []
        for d in chunk:
            body += [
                {"index": store.alias},
                {"query": _candidate_query(d, window_days), "size": MAX_CANDIDATES, "_source": _FIELDS},
            ]
        for d, resp in zip(chunk, store.es.msearch(searches=body)["responses"], strict=True):
            hits = resp.get("hits", {}).get("hits", [])
            candidates[d.id] = [h["_id"] for h in hits]
            for h in hits:
                docs.setdefault(h["_id"], _doc(h))
    boilerplate = _BoilerplateCounts(store)
    boilerplate.prefetch(docs.values())
    union = _Union()
    cache: dict[Any, set[int]] = {}
    for d in new:
        union.find(d.id)
        for c in candidates[d.id]:
            if is_copy(d, docs[c], boilerplate, cache)[0]:
                union.join(d.id, c)
    # A stored copy brings its whole cluster: two new copies that each join a different member of
    # one stored story must end in one group, or each group would crown a leader of its own.
    for d in docs.values():
        if d.duplicate_of and d.id in union.parent:
            union.join(d.id, d.duplicate_of)
    return _write_clusters(store, union.groups(), set(new_ids))


def _write_clusters(store: Store, groups: list[list[str]], new: set[str]) -> dict[str, int]:
    fields = ["source_domain", "published_at", "fetched_at", "duplicate_of", "cluster_size", "outlets"]
    duplicates = touched = 0
    updates: list[tuple[str, str, dict[str, Any]]] = []
    singles = [g[0] for g in groups if len(g) == 1]
    # A lone new id still matters if copies already point at it (an updated leader): one query for all.
    led = (
        {h["_source"]["duplicate_of"] for h in store.by_field("duplicate_of", singles, ["duplicate_of"])}
        if singles
        else set()
    )
    for group in groups:
        if len(group) < 2 and group[0] not in led:
            continue
        # Everything already clustered with any member joins too: clusters merge, never split here.
        hits = store.get_many(group, fields)
        leaders = {h["_source"].get("duplicate_of") or h["_id"] for h in hits}
        members = {h["_id"]: h for h in hits}
        leaders_query = {
            "bool": {
                "should": [{"ids": {"values": sorted(leaders)}}, {"terms": {"duplicate_of": sorted(leaders)}}]
            }
        }
        for h in store.scan(leaders_query, source=fields):
            members.setdefault(h["_id"], h)
        ordered = sorted(members.values(), key=_order)
        leader = ordered[0]
        outlets = sorted({h["_source"].get("source_domain") or "" for h in ordered} - {""})
        size = len(ordered)
        for h in ordered:
            want = {
                "duplicate_of": None if h is leader else leader["_id"],
                "cluster_size": size,
                "outlets": outlets,
            }
            if any(h["_source"].get(k) != v for k, v in want.items()):
                updates.append((h["_index"], h["_id"], want))
            if h is not leader and h["_id"] in new:
                duplicates += 1
        touched += size > 1
    if updates:
        store.bulk_update(updates)
        store.refresh()
    log.info("story clusters: %d touched, %d new copy(ies) of stories seen before", touched, duplicates)
    return {"duplicates": duplicates, "clusters_touched": touched}


def _order(hit: dict[str, Any]) -> tuple[str, str, str]:
    src = hit["_source"]
    return (src.get("published_at") or "9999", src.get("fetched_at") or "9999", hit["_id"])
