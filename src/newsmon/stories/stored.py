"""Stored story clusters: the pipeline joins each round's new articles with their copies anywhere in
the index, by the rules of newsmon.stories.clustering, reading and writing through newsmon.storage.

Candidates come from one screening scan of the whole alias (recent window) per CANDIDATE_CHUNK new
articles, ranked here. Confirmation uses the shingle sketch stored with each article, so no body is
refetched or re-shingled; the confirming rule is the same function as in memory (`is_copy`).

The cluster leader is the copy published first (page date, then fetch time, then id): the answer
does not depend on the order copies arrive in, and re-running is always safe. The leader carries the
story's `cluster_size` and `outlets`; the others point to it with `duplicate_of` and carry the size
and outlets of when they joined (or last changed leader): rewriting every member whenever a story
grows re-indexed whole documents for two fields nobody reads on a copy.

A batch decides the copies among its new articles before writing them (newsmon.stories.decided);
`cluster_stories` is the cluster step for the others (articles updated in place, articles stored
by older versions) and shares its screening, confirming and writing back with it.
"""

from __future__ import annotations

import heapq
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from newsmon import clock
from newsmon.clock import iso, publication_bounds
from newsmon.storage.articles import Articles
from newsmon.stories.clustering import (
    EMPTY_HASH,
    MATCH_RANK,
    MIN_SHARED_PARAGRAPHS,
    Doc,
    ShingleCache,
    UnionFind,
    boilerplate_of,
    is_copy,
    note_match,
)
from newsmon.urls import domain, registered_domain

log = logging.getLogger(__name__)

WINDOW_DAYS = 30  # default of NEWSMON_DEDUPE_WINDOW_DAYS
MAX_CANDIDATES = 25
FIELDS = [
    "content_hash", "para_hashes", "lsh_bands", "shingle_sketch", "source", "source_domain", "published_at",
    "fetched_at", "duplicate_of", "cluster_size", "outlets", "match",
]  # fmt: skip


def doc_of(hit: dict[str, Any]) -> Doc:
    src = hit["_source"]
    return Doc(
        id=hit["_id"], body=src.get("body") or "", source=publisher(src),
        content_hash=src.get("content_hash") or "", paragraphs=src.get("para_hashes") or [],
        bands=src.get("lsh_bands") or [], published_at=src.get("published_at"), fetched_at=src.get("fetched_at"),
        duplicate_of=src.get("duplicate_of"), sketch=src.get("shingle_sketch") or None, match=src.get("match"),
    )  # fmt: skip


def outlet_of(source_domain: str | None) -> str:
    """Registered domain, also for articles stored before source_domain was one (edition.cnn.com)."""
    return domain(f"http://{source_domain}/") if source_domain else ""


def publisher(src: dict[str, Any]) -> str:
    """Who published a stored article, for the same-outlet rules (boilerplate, near copies only):
    its registered domain; on a host without a public suffix (loopback, an IP address, .example)
    several outlets may share the host, so the feed tells them apart."""
    outlet = outlet_of(src.get("source_domain"))
    if outlet and registered_domain(outlet) is None:
        return f"{outlet}#{src.get('source') or ''}"
    return outlet


class BoilerplateCounts:
    """How many stories of one outlet carry a paragraph, asked of Elasticsearch in one search per
    few thousand paragraphs, whatever the number of outlets."""

    def __init__(self, articles: Articles):
        self.articles = articles
        self.counts: dict[tuple[str, str], int] = {}

    def prefetch(self, docs: Iterable[Doc]) -> None:
        wanted: set[tuple[str, str]] = set()
        for d in docs:
            wanted.update((d.source, h) for h in d.paragraphs if (d.source, h) not in self.counts)
        ordered = sorted(wanted)
        for start in range(0, len(ordered), _PREFETCH_PAIRS):
            self._count(ordered[start : start + _PREFETCH_PAIRS])

    def _count(self, pairs: list[tuple[str, str]]) -> None:
        """One search: the stories of the pairs' outlets that carry one of their paragraphs, counted
        by outlet, feed and paragraph (a search per outlet cost Elasticsearch about a millisecond of
        fixed overhead each). `map` everywhere: counted from the few matching documents; global
        ordinals of a field with a million distinct hashes would be rebuilt after every refresh."""
        hashes = sorted({h for _, h in pairs})
        outlets = sorted({p.partition("#")[0] for p, _ in pairs})

        def terms(name: str, size: int, **extra: Any) -> dict[str, Any]:
            return {"terms": {"field": name, "size": size, "execution_hint": "map", **extra}}

        paras = terms("para_hashes", len(hashes), include=hashes)
        aggs = {
            "o": terms("source_domain", len(outlets))
            | {"aggs": {"f": terms("source", 10_000) | {"aggs": {"p": paras}}}}
        }
        query = {
            "bool": {"filter": [{"terms": {"source_domain": outlets}}, {"terms": {"para_hashes": hashes}}]}
        }
        resp = self.articles.search_many([{"size": 0, "query": query, "aggs": aggs}])[0]
        if "error" in resp:
            log.error("counting the outlets' paragraphs failed: %s", resp["error"])
        found: Counter[tuple[str, str]] = Counter()
        for outlet in resp.get("aggregations", {}).get("o", {}).get("buckets", []):
            for feed in outlet["f"]["buckets"]:
                for para in feed["p"]["buckets"]:
                    found[(outlet["key"], para["key"])] += para["doc_count"]
                    found[(f"{outlet['key']}#{feed['key']}", para["key"])] += para["doc_count"]
        for source, h in pairs:  # a publisher without a feed name ("outlet#") is counted by outlet
            self.counts[(source, h)] = found[(source.rstrip("#"), h)]

    def __call__(self, source: str, h: str) -> int:
        return self.counts.get((source, h), 0)


_PREFETCH_PAIRS = 5000  # (outlet, paragraph) pairs counted in one search


CANDIDATE_CHUNK = 100  # new articles whose candidates are fetched and confirmed together
# Screened stories per response of the screening scan. Each carries its bands and paragraph
# hashes (about 4.5 KB of JSON): a page of 1,000 was about 24 MiB of Python allocations at the
# pass's peak (response bytes, text and decoded objects) once a chunk screened that many; pages of
# 250 took 6 MiB off the peak RSS of a 5,000-page pass, for three more small requests per
# thousand screened.
SCREEN_PAGE = 250


def cluster_stories(articles: Articles, new_ids: list[str], window_days: int = WINDOW_DAYS) -> dict[str, int]:
    """Join the stories behind `new_ids` with their copies anywhere in the alias (near copies within
    `window_days`, exact ones at any age); returns counts.

    Candidates are fetched and confirmed CANDIDATE_CHUNK new articles at a time and let go after:
    memory holds the round's new articles and one chunk's candidates, however large the index.
    """
    if not new_ids:
        return {"duplicates": 0, "clusters_touched": 0}
    articles.refresh()
    new = [doc_of(h) for h in articles.get_many(new_ids, FIELDS)]
    read_unsketched(articles, new)
    boilerplate = BoilerplateCounts(articles)
    boilerplate.prefetch(new)
    union = UnionFind()
    matches: dict[str, str] = {}
    links = {d.id: d.duplicate_of for d in new if d.duplicate_of}  # stored cluster links of joined docs
    for d in new:
        union.find(d.id)
    for start in range(0, len(new), CANDIDATE_CHUNK):
        chunk = new[start : start + CANDIDATE_CHUNK]
        found = stored_candidates(articles, chunk, boilerplate, window_days)
        cache = ShingleCache()
        for d in chunk:
            for c in found[d.id]:
                kind = is_copy(d, c, boilerplate, cache)[0]
                if kind:
                    union.join(d.id, c.id)
                    note_match(matches, d.id, kind)
                    note_match(matches, c.id, kind)
                    if c.duplicate_of:
                        links[c.id] = c.duplicate_of
    # A stored copy brings its whole cluster: two new copies that each join a different member of
    # one stored story must end in one group, or each group would crown a leader of its own.
    for member, leader in links.items():
        union.join(member, leader)
    return write_clusters(articles, union.groups(), set(new_ids), matches)


def stored_candidates(
    articles: Articles, chunk: list[Doc], boilerplate: BoilerplateCounts, window_days: int
) -> dict[str, list[Doc]]:
    """Up to MAX_CANDIDATES likely copies of each article of `chunk`, with what confirming needs.

    A stored story is a candidate of an article when it has the same body hash (at any age), or,
    fetched within `window_days`, shares a MinHash band or at least MIN_SHARED_PARAGRAPHS of its
    paragraphs that are not boilerplate of its outlet (an outlet's footer and promo paragraphs would
    make each of its stories a candidate of every other). The likeliest are kept: same hash first,
    then the most shared bands and paragraphs.

    One screening scan for the whole chunk (hash, bands and paragraph hashes only), then one read
    of the chosen candidates' sketches: a search per article cost Elasticsearch about a
    millisecond of fixed overhead each, more than the matching itself.
    """
    keys = _ChunkKeys.of(chunk, boilerplate)
    # The window starts at midnight (newsmon's clock), so the filter's text is the same all day
    # and Elasticsearch can cache it across the round's scans.
    start = (clock.now() - timedelta(days=window_days)).replace(hour=0, minute=0, second=0, microsecond=0)
    since = iso(start) or ""
    query = _screening_query(keys, since)
    if query is None:
        return {d.id: [] for d in chunk}
    ranked: dict[str, list[tuple[int, str]]] = defaultdict(list)  # new id -> heap of (score, candidate)
    screened = articles.scan(
        query, source=["content_hash", "lsh_bands", "para_hashes", "fetched_at"], page_size=SCREEN_PAGE
    )
    for hit in screened:
        for did, points in keys.score(hit["_source"], since).items():
            if did != hit["_id"]:
                _keep_best(ranked[did], (points, hit["_id"]))
    return _read_candidates(articles, chunk, ranked, boilerplate)


@dataclass
class _ChunkKeys:
    """The new articles of a chunk by what makes a stored story their candidate."""

    by_hash: dict[str, list[Doc]] = field(default_factory=lambda: defaultdict(list))
    by_band: dict[str, list[Doc]] = field(default_factory=lambda: defaultdict(list))
    by_para: dict[str, list[Doc]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, chunk: list[Doc], boilerplate: BoilerplateCounts) -> _ChunkKeys:
        keys = cls()
        for d in chunk:
            if d.content_hash and d.content_hash != EMPTY_HASH:
                keys.by_hash[d.content_hash].append(d)
            for band in set(d.bands):
                keys.by_band[band].append(d)
            own = set(d.paragraphs) - boilerplate_of(d, boilerplate)
            if len(own) >= MIN_SHARED_PARAGRAPHS:
                for h in own:
                    keys.by_para[h].append(d)
        return keys

    def score(self, src: dict[str, Any], since: str) -> Counter[str]:
        """Points of a screened story for each new article: 1000 for the same body hash, and when it
        was fetched since `since`, one a shared band plus the paragraphs shared (if enough are)."""
        score: Counter[str] = Counter()
        for d in self.by_hash.get(src.get("content_hash") or "", ()):
            score[d.id] += 1000
        if (src.get("fetched_at") or "") >= since:
            for band in set(src.get("lsh_bands") or ()):
                for d in self.by_band.get(band, ()):
                    score[d.id] += 1
            shared = Counter(d.id for h in set(src.get("para_hashes") or ()) for d in self.by_para.get(h, ()))
            for did, n in shared.items():
                if n >= MIN_SHARED_PARAGRAPHS:
                    score[did] += n
        return score


def _screening_query(keys: _ChunkKeys, since: str) -> dict[str, Any] | None:
    """The stored stories that may be copies of the chunk's articles; None when nothing can be."""
    recent = {"range": {"fetched_at": {"gte": since}}}
    near = [
        {"terms": {f: sorted(by)}}
        for f, by in (("lsh_bands", keys.by_band), ("para_hashes", keys.by_para))
        if by
    ]
    should: list[dict[str, Any]] = [{"terms": {"content_hash": sorted(keys.by_hash)}}] if keys.by_hash else []
    if near:
        should.append({"bool": {"filter": [recent], "should": near, "minimum_should_match": 1}})
    if not should:
        return None
    return {"bool": {"should": should, "minimum_should_match": 1}}


def _keep_best(heap: list[tuple[int, str]], entry: tuple[int, str]) -> None:
    """Push `entry` on a min-heap that keeps the MAX_CANDIDATES highest entries."""
    if len(heap) < MAX_CANDIDATES:
        heapq.heappush(heap, entry)
    else:
        heapq.heappushpop(heap, entry)


def _read_candidates(
    articles: Articles,
    chunk: list[Doc],
    ranked: dict[str, list[tuple[int, str]]],
    boilerplate: BoilerplateCounts,
) -> dict[str, list[Doc]]:
    """The chosen candidates of each article, read with their sketches, likeliest first."""
    chosen = {cid for heap in ranked.values() for _, cid in heap}
    docs = {h["_id"]: doc_of(h) for h in articles.get_many(sorted(chosen), FIELDS)} if chosen else {}
    read_unsketched(articles, docs.values())
    boilerplate.prefetch(docs.values())
    return {
        d.id: [
            docs[cid] for _, cid in sorted(ranked.get(d.id, ()), key=lambda e: (-e[0], e[1])) if cid in docs
        ]
        for d in chunk
    }


def read_unsketched(articles: Articles, docs: Iterable[Doc]) -> None:
    """The bodies of articles indexed before sketches were stored (their shingles come from it)."""
    unsketched = {d.id: d for d in docs if not d.sketch}
    for h in articles.get_many(list(unsketched), ["body"]) if unsketched else []:
        unsketched[h["_id"]].body = h["_source"].get("body") or ""


def lead_orphans(articles: Articles, removed: list[str]) -> int:
    """After the articles `removed` are gone (retention deleted their index), the copies that
    pointed at one of them form their story again: the earliest becomes its first-seen copy and
    the others point at it, with the cluster's size and outlets recounted. Without this, a story
    whose leader was removed would vanish from every search that leaves copies out. Returns how
    many stories got a new leader."""
    regrouped = 0
    for start in range(0, len(removed), 1000):
        part = removed[start : start + 1000]
        orphans: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for hit in articles.by_field("duplicate_of", part, ["duplicate_of", "source_domain"]):
            orphans[hit["_source"]["duplicate_of"]].append(hit)
        # A copy left alone is a story of one; `write_clusters` regroups the others (it leaves
        # lone members as they are).
        alone = [
            (h["_index"], h["_id"], {"duplicate_of": None, "cluster_size": 1, "match": None,
                                     "outlets": [o for o in [outlet_of(h["_source"].get("source_domain"))] if o]})
            for h in (hits[0] for hits in orphans.values() if len(hits) == 1)
        ]  # fmt: skip
        if alone:
            articles.update_many(alone)
            articles.refresh()
        groups = [[h["_id"] for h in hits] for hits in orphans.values() if len(hits) > 1]
        if groups:
            write_clusters(articles, groups, set(), {})
        regrouped += len(orphans)
    return regrouped


def write_clusters(
    articles: Articles, groups: list[list[str]], new: set[str], matches: dict[str, str]
) -> dict[str, int]:
    fields = [
        "source_domain",
        "published_at",
        "fetched_at",
        "duplicate_of",
        "cluster_size",
        "outlets",
        "match",
    ]
    duplicates = touched = 0
    updates: list[tuple[str, str, dict[str, Any]]] = []
    singles = [g[0] for g in groups if len(g) == 1]
    # A lone new id still matters if copies already point at it (an updated leader): one query for all.
    led = (
        {h["_source"]["duplicate_of"] for h in articles.by_field("duplicate_of", singles, ["duplicate_of"])}
        if singles
        else set()
    )
    wanted = [g for g in groups if len(g) >= 2 or g[0] in led]
    # One multi-get and one scan for every group of the round: a round trip per group was most of
    # the clustering time, a search per group still a millisecond each.
    stored = (
        {h["_id"]: h for h in articles.get_many([i for g in wanted for i in g], fields)} if wanted else {}
    )
    leaders_of = [{stored[i]["_source"].get("duplicate_of") or i for i in g if i in stored} for g in wanted]
    every = sorted(set().union(*leaders_of))
    by_leader: dict[str, list[dict[str, Any]]] = defaultdict(list)  # a leader and the copies pointing at it
    for start in range(0, len(every), 1000):
        part = set(every[start : start + 1000])
        query = {
            "bool": {"should": [{"ids": {"values": sorted(part)}}, {"terms": {"duplicate_of": sorted(part)}}]}
        }
        for h in articles.scan(query, source=fields):
            for key in {h["_id"], h["_source"].get("duplicate_of")} & part:
                by_leader[key].append(h)
    clustered = [[h for leader in leaders for h in by_leader[leader]] for leaders in leaders_of]
    for group, others in zip(wanted, clustered, strict=True):
        # Everything already clustered with any member joins too: clusters merge, never split here.
        members = {i: stored[i] for i in group if i in stored}
        for h in others:
            members.setdefault(h["_id"], h)
        ordered = sorted(members.values(), key=lead_order)
        leader = ordered[0]
        outlets = sorted({outlet_of(h["_source"].get("source_domain")) for h in ordered} - {""})
        size = len(ordered)
        for h in ordered:
            match = h["_source"].get("match")
            if h["_id"] in matches and MATCH_RANK[matches[h["_id"]]] > MATCH_RANK.get(match or "", 0):
                match = matches[h["_id"]]
            want = {
                "duplicate_of": None if h is leader else leader["_id"],
                "cluster_size": size,
                "outlets": outlets,
                "match": match,
            }
            # The leader carries the story's size and outlets; a copy is rewritten only when its
            # leader or match changes (each rewrite re-indexes the whole document), and then takes
            # the current size and outlets along.
            checked = want if h is leader else {k: want[k] for k in ("duplicate_of", "match")}
            if any(h["_source"].get(k) != v for k, v in checked.items()):
                updates.append((h["_index"], h["_id"], want))
            if h is not leader and h["_id"] in new:
                duplicates += 1
        touched += size > 1
    if updates:
        articles.update_many(updates)
        articles.refresh()
    log.info("story clusters: %d touched, %d new copy(ies) of stories seen before", touched, duplicates)
    return {"duplicates": duplicates, "clusters_touched": touched}


def lead_order(hit: dict[str, Any]) -> tuple[str, str, str]:
    """First published first. A stored date outside clock.publication_bounds (written before dates
    were bounded at extraction) counts as no date: such a copy cannot lead its story."""
    src = hit["_source"]
    earliest, latest = (iso(t) or "" for t in publication_bounds())
    published = src.get("published_at") or ""
    if not earliest <= published <= latest:
        published = "9999"
    return (published, src.get("fetched_at") or "9999", hit["_id"])
