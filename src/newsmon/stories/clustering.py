"""Story clusters, the rules: which two texts are copies of one story, and how documents fall into
stories. Pure and in memory: `newsmon similar`, the dedupe evaluation and the pipeline's stored
clustering (newsmon.stories.stored) share it.

Two copies are one story, and each member records how it was recognised (`match`):

- `exact`: bodies identical after normalization (`content_hash`);
- `near`: exact 5-word shingles at Jaccard >= 0.5 (newsmon.stories.similarity), boilerplate
  paragraphs of each outlet left out;
- `edited`: an edited wire copy (new lede, paragraphs cut or reordered) on another outlet: most of
  the smaller text is inside the larger (shingle containment >= EDITED_CONTAINMENT) and the shared
  text is a real share of both (Jaccard >= EDITED_MIN_JACCARD, at least EDITED_MIN_SHARED
  shingles).

Guards: two reports of one event written independently share quotes, not paragraphs (containment
<= 0.15 on the dedupe evaluation set (eval/dedupe.py) against >= 0.77 for edited copies). Within
one outlet only copies at SAME_OUTLET_JACCARD join: an outlet's own copy of a story under a second
URL (print, AMP, section path) is near-identical, while what two of its stories share otherwise is
its furniture (galleries, video promos, fact boxes of a running story) that the per-outlet
paragraph count has not yet seen three times.

Candidates come from MinHash band keys and from shared paragraph hashes (an edited copy keeps whole
paragraphs even when its Jaccard falls): `cluster_docs` finds them among the documents it is given,
the stored clustering in the index. Either way a candidate is confirmed by `is_copy`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from newsmon.extraction.language import content_hash
from newsmon.stories.similarity import (
    BOILERPLATE_MIN_DOCS,
    NEAR_DUPLICATE_JACCARD,
    Grams,
    decode_sketch_arrays,
    fingerprint,
    line_arrays,
    line_shingles,
    overlap_sorted,
    union_grams,
)

EMPTY_HASH = content_hash("")  # bodies without a word are not copies of one another
# Calibrated together on the dedupe evaluation set (eval/dedupe.py, per-line 5-word shingles):
# edited wire copies sit at containment 0.77-0.82 and Jaccard 0.52-0.57, independent reports of one
# event at containment <= 0.15 and Jaccard <= 0.06; wire and syndicated copies at Jaccard >= 0.72.
EDITED_CONTAINMENT = 0.6
EDITED_MIN_JACCARD = 0.3
EDITED_MIN_SHARED = 100  # shingles, about a 100-word paragraph run: less is a shared quote or box
SAME_OUTLET_JACCARD = 0.8
MIN_SHARED_PARAGRAPHS = 2  # paragraph-hash candidates: one shared paragraph may be a quoted statement
MATCH_RANK = {"exact": 3, "near": 2, "edited": 1}

BoilerplateCount = Callable[[str, str], int]  # (outlet, paragraph hash) -> stories of it carrying it


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
    sketch: str | None = None  # encoded per-line shingles (newsmon.stories.similarity.encode_sketch)
    match: str | None = None

    def lines(self) -> list[tuple[str | None, Grams]]:
        return decode_sketch_arrays(self.sketch) if self.sketch else line_arrays(line_shingles(self.body))


class UnionFind:
    """Disjoint sets of ids; a set's root is its smallest id."""

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


@dataclass
class ShingleCache:
    """What `is_copy` works out of each document, kept across the pairs of one clustering round."""

    lines: dict[str, list[tuple[str | None, Grams]]] = field(default_factory=dict)
    boilerplate: dict[str, frozenset[str]] = field(default_factory=dict)
    grams: dict[tuple[str, frozenset[str]], Grams] = field(default_factory=dict)


def is_copy(
    a: Doc, b: Doc, boilerplate_count: BoilerplateCount, cache: ShingleCache | None = None
) -> tuple[str | None, float]:
    """The one rule, for the pipeline and `newsmon similar` alike: (`exact` | `near` | `edited` or
    None, Jaccard). `cache` keeps each document's shingles across the pairs of one clustering round."""
    if a.content_hash and a.content_hash == b.content_hash and a.content_hash != EMPTY_HASH:
        return "exact", 1.0
    cache = ShingleCache() if cache is None else cache

    def boilerplate(d: Doc) -> frozenset[str]:
        if d.id not in cache.boilerplate:
            cache.boilerplate[d.id] = boilerplate_of(d, boilerplate_count)
        return cache.boilerplate[d.id]

    skip = boilerplate(a) | boilerplate(b)

    def grams(d: Doc) -> Grams:
        if d.id not in cache.lines:
            cache.lines[d.id] = d.lines()
        key = (d.id, skip & set(d.paragraphs))
        if key not in cache.grams:
            cache.grams[key] = union_grams(cache.lines[d.id], key[1])
        return cache.grams[key]

    ga, gb = grams(a), grams(b)
    score, contained, shared = overlap_sorted(ga, gb)
    if a.source == b.source:
        return ("near" if score >= SAME_OUTLET_JACCARD else None), score
    if score >= NEAR_DUPLICATE_JACCARD:
        return "near", score
    if score >= EDITED_MIN_JACCARD and shared >= EDITED_MIN_SHARED and contained >= EDITED_CONTAINMENT:
        return "edited", score
    return None, score


def boilerplate_of(doc: Doc, count: BoilerplateCount) -> frozenset[str]:
    """The paragraphs of `doc` that `count` finds in BOILERPLATE_MIN_DOCS or more stories of its outlet."""
    return frozenset(h for h in doc.paragraphs if count(doc.source, h) >= BOILERPLATE_MIN_DOCS)


def note_match(matches: dict[str, str], doc_id: str, kind: str) -> None:
    """Record how `doc_id` was recognised, keeping its strongest link (MATCH_RANK)."""
    if MATCH_RANK[kind] > MATCH_RANK.get(matches.get(doc_id) or "", 0):
        matches[doc_id] = kind


# -- in memory: `newsmon similar` and the evaluation --------------------------------------------


def make_doc(id: str, body: str, source: str | None = None, **extra: Any) -> Doc:
    fp = fingerprint(body)
    return Doc(
        id=id, body=body, source=source or f"(own:{id})", content_hash=content_hash(body),
        paragraphs=fp.paragraph_hashes, bands=fp.bands, sketch=fp.sketch, **extra,
    )  # fmt: skip


def cluster_docs(docs: list[Doc], matches: dict[str, str] | None = None) -> list[list[str]]:
    """Clusters (lists of ids, singletons included) of the given documents; `matches`, when given,
    receives how each clustered id was recognised (its strongest link)."""
    by_id = {d.id: d for d in docs}
    df = Counter((d.source, h) for d in docs for h in set(d.paragraphs))

    def count(source: str, h: str) -> int:
        return df[(source, h)]

    by_band: dict[str, list[str]] = defaultdict(list)
    by_hash: dict[str, list[str]] = defaultdict(list)
    by_para: dict[str, list[str]] = defaultdict(list)
    union = UnionFind()
    cache = ShingleCache()
    matches = {} if matches is None else matches
    for d in docs:
        union.find(d.id)
        shared = Counter(c for h in set(d.paragraphs) - boilerplate_of(d, count) for c in by_para[h])
        candidates = (
            {c for band in d.bands for c in by_band[band]}
            | set(by_hash[d.content_hash])
            | {c for c, n in shared.items() if n >= MIN_SHARED_PARAGRAPHS}
        )
        for c in sorted(candidates):
            kind = is_copy(d, by_id[c], count, cache)[0]
            if kind:
                union.join(d.id, c)
                note_match(matches, d.id, kind)
                note_match(matches, c, kind)
        for band in d.bands:
            by_band[band].append(d.id)
        by_hash[d.content_hash].append(d.id)
        for h in set(d.paragraphs):
            by_para[h].append(d.id)
    order = {d.id: n for n, d in enumerate(docs)}
    return sorted(union.groups(), key=lambda g: min(order[i] for i in g))
