"""Copies decided before they are indexed.

A batch knows each new article's fingerprint (body hash, MinHash bands, paragraph hashes, shingle
sketch) before it writes it. `CopyDecider` screens a chunk of new articles against the stored
stories (the screening and confirming of the cluster step: `stored_candidates`, `is_copy`) and
against each other, and sets each article's cluster fields (`duplicate_of`, `cluster_size`,
`outlets`, `match`) as its story stands with it: a copy is written once, with them. The leader is
the copy published first, stored or new (`lead_order`); a new article published before a stored
story's leader is written as the leader.

Its pending marker says the article was decided (`screened`: the batch's token) and names the
stored stories it joined (`cluster_with`, their leaders and the new leader) and how stored copies
were recognised (`match_of`). The cluster step then settles decided articles (`settle_decided`):
it joins what two batches running side by side could not see of each other (each screened before
the other wrote), and writes back only what the decisions left to the stored side: the leaders
whose size or outlets changed (a partial update of the leader only), and every member of a story
whose leader changed. Re-running it finds nothing left to write.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from newsmon.records import Article
from newsmon.storage.articles import Articles
from newsmon.stories.clustering import (
    EMPTY_HASH,
    MIN_SHARED_PARAGRAPHS,
    Doc,
    ShingleCache,
    UnionFind,
    boilerplate_of,
    is_copy,
    note_match,
)
from newsmon.stories.stored import (
    CANDIDATE_CHUNK,
    FIELDS,
    WINDOW_DAYS,
    BoilerplateCounts,
    doc_of,
    lead_order,
    outlet_of,
    publisher,
    read_unsketched,
    stored_candidates,
    write_clusters,
)

SCREENED, CLUSTER_WITH, MATCH_OF = "screened", "cluster_with", "match_of"  # what a marker says of a decision
_MEMBER_FIELDS = ["source_domain", "published_at", "fetched_at", "duplicate_of"]


class _CountsWithChunk(BoilerplateCounts):
    """Stories of an outlet carrying a paragraph: the stored ones (asked of Elasticsearch) plus the
    chunk's, which are not written yet (the cluster step, run after indexing, counted them too)."""

    def __init__(self, articles: Articles, docs: Iterable[Doc]):
        super().__init__(articles)
        self.local = Counter((d.source, h) for d in docs for h in set(d.paragraphs))

    def __call__(self, source: str, h: str) -> int:
        return super().__call__(source, h) + self.local[(source, h)]


def _doc(art: Article) -> Doc:
    return Doc(
        id=art.id, body="" if art.shingle_sketch else art.body,
        source=publisher({"source_domain": art.source_domain, "source": art.source}),
        content_hash=art.content_hash, paragraphs=list(art.para_hashes), bands=list(art.lsh_bands),
        published_at=art.published_at, fetched_at=art.fetched_at, sketch=art.shingle_sketch or None,
    )  # fmt: skip


def _hit(art: Article) -> dict[str, Any]:
    """A new article as `lead_order` and the outlet count read a stored one."""
    fields = {
        "source_domain": art.source_domain,
        "published_at": art.published_at,
        "fetched_at": art.fetched_at,
    }
    return {"_id": art.id, "_source": fields}


def _chunk_pairs(docs: list[Doc], count: BoilerplateCounts) -> Iterable[tuple[Doc, Doc]]:
    """Candidate pairs within the chunk, as `cluster_docs` finds them: a shared band, the same body
    hash, or at least MIN_SHARED_PARAGRAPHS shared paragraphs that are not boilerplate."""
    by_band: dict[str, list[Doc]] = defaultdict(list)
    by_hash: dict[str, list[Doc]] = defaultdict(list)
    by_para: dict[str, list[Doc]] = defaultdict(list)
    for d in docs:
        shared = Counter(c.id for h in set(d.paragraphs) - boilerplate_of(d, count) for c in by_para[h])
        seen: dict[str, Doc] = {c.id: c for band in set(d.bands) for c in by_band[band]}
        if d.content_hash and d.content_hash != EMPTY_HASH:
            seen.update((c.id, c) for c in by_hash[d.content_hash])
        seen.update(
            (c.id, c) for h in set(d.paragraphs) for c in by_para[h] if shared[c.id] >= MIN_SHARED_PARAGRAPHS
        )
        yield from ((d, seen[c]) for c in sorted(seen))
        for band in set(d.bands):
            by_band[band].append(d)
        by_hash[d.content_hash].append(d)
        for h in set(d.paragraphs):
            by_para[h].append(d)


class CopyDecider:
    """Decides the cluster fields of a batch's new articles, chunk by chunk, before they are written
    (called by newsmon.indexing); returns the marker fields of each article."""

    def __init__(self, articles: Articles, window_days: int = WINDOW_DAYS):
        self.articles, self.window_days = articles, window_days
        self.token = uuid.uuid4().hex[:12]  # one per batch: which articles saw each other's writes
        self.decided_before = False

    def __call__(self, arts: list[Article]) -> dict[str, dict[str, Any]]:
        if not arts:
            return {}
        if self.decided_before:
            self.articles.refresh()  # the batch's earlier chunks, written since, are screened too
        self.decided_before = True
        by_id = {a.id: a for a in arts}
        docs = [_doc(a) for a in arts]
        counts = _CountsWithChunk(self.articles, docs)
        counts.prefetch(docs)
        union, matches = UnionFind(), dict[str, str]()
        led_by: dict[str, str] = {}  # stored copy found -> the leader of its stored story
        cache = ShingleCache()
        for d in docs:
            union.find(d.id)
        for start in range(0, len(docs), CANDIDATE_CHUNK):
            part = docs[start : start + CANDIDATE_CHUNK]
            found = stored_candidates(self.articles, part, counts, self.window_days)
            for d in part:
                for c in found[d.id]:
                    kind = is_copy(d, c, counts, cache)[0] if c.id not in by_id else None
                    if kind:
                        union.join(d.id, c.id)
                        note_match(matches, d.id, kind)
                        note_match(matches, c.id, kind)
                        led_by[c.id] = c.duplicate_of or c.id
        for d, c in _chunk_pairs(docs, counts):
            kind = is_copy(d, c, counts, cache)[0]
            if kind:
                union.join(d.id, c.id)
                note_match(matches, d.id, kind)
                note_match(matches, c.id, kind)
        for member, leader in led_by.items():  # a stored copy brings its whole story
            union.join(member, leader)
        markers: dict[str, dict[str, Any]] = {a.id: {SCREENED: self.token} for a in arts}
        groups = [g for g in union.groups() if len(g) > 1]
        stories = self._stored_stories(sorted({led_by[i] for g in groups for i in g if i in led_by}))
        for group in groups:
            self._decide(group, by_id, led_by, stories, matches, markers)
        return markers

    def _stored_stories(self, leaders: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Each stored leader with the copies pointing at it (one scan per 1,000 leaders)."""
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for start in range(0, len(leaders), 1000):
            part = set(leaders[start : start + 1000])
            query = {
                "bool": {
                    "should": [{"ids": {"values": sorted(part)}}, {"terms": {"duplicate_of": sorted(part)}}]
                }
            }
            for h in self.articles.scan(query, source=_MEMBER_FIELDS):
                for key in {h["_id"], h["_source"].get("duplicate_of")} & part:
                    out[key].append(h)
        return out

    @staticmethod
    def _decide(
        group: list[str],
        by_id: dict[str, Article],
        led_by: dict[str, str],
        stories: dict[str, list[dict[str, Any]]],
        matches: dict[str, str],
        markers: dict[str, dict[str, Any]],
    ) -> None:
        """The cluster fields of the group's new articles, and what their markers tell the cluster step."""
        joined = sorted({led_by[i] for i in group if i in led_by})
        members = {i: _hit(by_id[i]) for i in group if i in by_id}
        for leader in joined:
            for h in stories[leader]:
                members.setdefault(h["_id"], h)
        ordered = sorted(members.values(), key=lead_order)
        leader_id = ordered[0]["_id"]
        outlets = sorted({outlet_of(h["_source"].get("source_domain")) for h in ordered} - {""})
        match_of = {i: matches[i] for i in group if i not in by_id and i in matches}
        for i in (i for i in group if i in by_id):
            art = by_id[i]
            art.duplicate_of = None if i == leader_id else leader_id
            art.cluster_size, art.outlets, art.match = len(ordered), outlets, matches.get(i)
            with_ = sorted((set(joined) | {leader_id}) - {i})
            markers[i].update(
                {CLUSTER_WITH: with_, MATCH_OF: match_of} if match_of else {CLUSTER_WITH: with_}
            )


def settle_decided(articles: Articles, markers: dict[str, dict[str, Any]]) -> dict[str, int]:
    """The cluster step for articles whose batch decided their copies (`markers`: id -> its pending
    marker). Joins what parallel batches did not see of each other, then writes back, by the rules
    of `write_clusters`, only what the stored side lacks (a leader's size and outlets, the members
    of a story whose leader changed). Returns counts as `cluster_stories` does."""
    union, matches = UnionFind(), dict[str, str]()
    for i, marker in markers.items():
        union.find(i)
        for other in marker.get(CLUSTER_WITH) or ():
            union.join(i, other)
        for sid, kind in (marker.get(MATCH_OF) or {}).items():
            note_match(matches, sid, kind)
    if len({m.get(SCREENED) for m in markers.values()}) > 1:  # the pass had parallel batches
        for a, b, kind in _across_batches(articles, markers, union):
            union.join(a, b)
            note_match(matches, a, kind)
            note_match(matches, b, kind)
    groups = [g for g in union.groups() if len(g) > 1]
    if not groups:
        return {"duplicates": 0, "clusters_touched": 0}
    return write_clusters(articles, groups, set(markers), matches)


def _across_batches(
    articles: Articles, markers: dict[str, dict[str, Any]], union: UnionFind
) -> list[tuple[str, str, str]]:
    """Copies among `markers`' articles that different batches decided without seeing each other:
    candidates (hash, band, shared paragraphs) of another batch's token, not yet in one story,
    confirmed by `is_copy` from the stored sketches."""
    keys = ["content_hash", "lsh_bands", "para_hashes", "source", "source_domain", "duplicate_of"]
    docs = [doc_of(h) for h in articles.get_many(sorted(markers), keys)]
    story = {d.id: union.find(d.duplicate_of or d.id) for d in docs}
    token = {i: m.get(SCREENED) for i, m in markers.items()}
    counts = BoilerplateCounts(articles)
    counts.prefetch(d for d in docs if len(d.paragraphs) >= MIN_SHARED_PARAGRAPHS)
    pairs = {
        (d.id, c.id)
        for d, c in _chunk_pairs(docs, counts)
        if token.get(d.id) != token.get(c.id) and story[d.id] != story[c.id]
    }
    if not pairs:
        return []
    involved = sorted({i for pair in pairs for i in pair})
    full = {h["_id"]: doc_of(h) for h in articles.get_many(involved, FIELDS)}
    read_unsketched(articles, full.values())
    cache = ShingleCache()
    found = []
    for a, b in sorted(pairs):
        if a in full and b in full:
            kind = is_copy(full[a], full[b], counts, cache)[0]
            if kind:
                found.append((a, b, kind))
    return found
