"""Dedupe cost per new article with 1,000 and with 100,000 articles already indexed, and against
the cost of extracting the article.

The stored articles are filler documents with random band keys and paragraph hashes (what the
candidate look-up sees of a real article); the measured new articles are generated stories, a
third of them edited copies of others, so candidates are found and confirmed from the stored
shingle sketches. Targets: the cost per article at 100,000 within 1.5x of the cost at 1,000;
clustering at most 10% of extraction per article, extraction measured as `extract_page` CPU time
on the real pages of the extraction evaluation set (EXTRACTION_PAGES; generated pages if absent).

    .venv/bin/python -m bench.dedupe [--sizes 1000 100000] [--after-indexing]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.loopback import local_es_cpu
from devsite.text import generate_story
from newsmon.clock import iso
from newsmon.extraction import content_hash, extract_page
from newsmon.records import Article
from newsmon.settings import load_settings
from newsmon.storage import PENDING_CLUSTER, Storage
from newsmon.stories.decided import SCREENED, CopyDecider, settle_decided
from newsmon.stories.similarity import BANDS, fingerprint
from newsmon.stories.stored import cluster_stories

NEW = 60
EXTRACTION_PAGES = Path(__file__).resolve().parents[2] / "shared" / "eval" / "extraction"
EXTRACTION_SAMPLE = 40


# Inside the clustering window whenever the bench runs: fillers are candidates as recent stories are.
RECENT = iso(datetime.now(UTC) - timedelta(days=3))


def _filler(n: int, rng: random.Random) -> tuple[str, dict[str, Any]]:
    return (
        f"f{n}",
        {
            "title": f"filler {n}", "body": f"filler article {n}", "source_domain": f"site{n % 500}.example",
            "content_hash": f"{rng.getrandbits(64):016x}", "published_at": "2026-11-01T00:00:00Z",
            "fetched_at": RECENT, "cluster_size": 1,
            "lsh_bands": [f"{b:02d}{rng.getrandbits(48):012x}" for b in range(BANDS)],
            "para_hashes": [f"{rng.getrandbits(64):016x}" for _ in range(12)],
        },
    )  # fmt: skip


def _new_articles(run: str, base: int) -> list[Article]:
    """NEW articles of fresh stories (from story number `base` on): every measurement builds
    clusters of the same sizes, so only the size of the index differs between them."""
    out = []
    for i in range(NEW):
        story = generate_story(base + (i // 3) * 3)  # three copies of each story, two of them edited
        paras = list(story.paragraphs)
        if i % 3:  # an edited copy: one paragraph cut, a sentence added
            paras = paras[:-1] + [f"An editor's note was added to version {i % 3} of this story."]
        body = "\n".join(paras)
        fp = fingerprint(body)
        out.append(
            Article(
                id=f"{run}-{i}", url=f"https://o{i}.example/{i}", canonical_url=f"https://o{i}.example/{i}",
                source=f"o{i}", source_domain=f"o{i}.example", title=story.title, body=body, summary=None,
                authors=[], published_at=f"2026-11-27T{i % 24:02d}:00:00Z", fetched_at="2026-11-28T00:00:00Z",
                language="en", content_hash=content_hash(body), para_hashes=fp.paragraph_hashes,
                lsh_bands=fp.bands, shingle_sketch=fp.sketch, url_ids=[f"{run}-{i}"],
            )
        )  # fmt: skip
    return out


def _es_cpu(storage: Storage) -> float:
    """CPU seconds the Elasticsearch processes have used so far: from /proc for the local node
    (exact), else the nodes' stats (refreshed only every second: too coarse for one measurement)."""
    local = local_es_cpu()
    if local:
        return local
    return storage.nodes_cpu_seconds()


class _Clock:
    """Wall, client CPU and Elasticsearch CPU spent inside `with clock:` blocks, summed."""

    def __init__(self, storage: Storage):
        self.storage, self.wall, self.client, self.server = storage, 0.0, 0.0, 0.0

    def __enter__(self) -> None:
        self._at = (time.perf_counter(), time.process_time(), _es_cpu(self.storage))

    def __exit__(self, *_exc: object) -> None:
        wall, cpu, es = self._at
        self.wall += time.perf_counter() - wall
        self.client += time.process_time() - cpu
        self.server += _es_cpu(self.storage) - es


def _measure(storage: Storage, run: str, base: int, decided: bool = True) -> tuple[float, float, float]:
    """(wall, client CPU, Elasticsearch CPU) seconds per article spent on clustering. On a shared
    machine the wall time is mostly waiting for a core; the CPU of both sides is the cost to compare
    with extraction.

    `decided` (what a pass does): the batch decides the copies before writing them, the cluster
    step settles them; the write itself is indexing, not counted. Otherwise the articles are
    written first and clustered after (`cluster_stories`, the path of updated and older articles)."""
    articles = _new_articles(run, base)
    ids = [a.id for a in articles]
    clock = _Clock(storage)
    if not decided:
        storage.articles.write(articles, {})
        storage.articles.refresh()
        with clock:
            cluster_stories(storage.articles, ids)
    else:
        with clock:
            markers = CopyDecider(storage.articles)(articles)
        storage.articles.write(articles, {}, markers=markers)
        storage.articles.refresh()
        with clock:
            settle_decided(storage.articles, storage.pending.decisions(ids, SCREENED))
    storage.pending.clear(ids, PENDING_CLUSTER)
    n = len(articles)
    return clock.wall / n, clock.client / n, clock.server / n


def extraction_cost() -> tuple[float, str]:
    """CPU seconds of extract_page per page, best of two passes over a sample of pages."""
    pages: list[tuple[bytes, str]] = []
    truth = EXTRACTION_PAGES / "ground-truth.json"
    if truth.exists():
        rows = sorted(json.loads(truth.read_text(encoding="utf-8")).items())[:EXTRACTION_SAMPLE]
        for key, row in rows:
            pages.append(
                (gzip.decompress((EXTRACTION_PAGES / "html" / f"{key}.html.gz").read_bytes()), row["url"])
            )
        what = f"{len(pages)} real pages of shared/eval/extraction"
    else:
        for n in range(EXTRACTION_SAMPLE):
            story = generate_story(n)
            paras = "".join(f"<p>{p}</p>" for p in story.paragraphs)
            html = f"<html><body><article><h1>{story.title}</h1>{paras}</article></body></html>"
            pages.append((html.encode(), f"https://dev.example/{n}"))
        what = f"{len(pages)} generated pages"
    best = float("inf")
    for _ in range(2):
        cpu = time.process_time()
        for html, url in pages:
            extract_page(html, url)
        best = min(best, (time.process_time() - cpu) / len(pages))
    return best, what


def run(sizes: tuple[int, ...] = (1_000, 100_000), decided: bool = True) -> list[str]:
    settings = load_settings(dict(os.environ, NEWSMON_INDEX_PREFIX=f"bench-{uuid.uuid4().hex[:8]}-"))
    with Storage.from_settings(settings) as storage:
        rng = random.Random(5)
        try:
            storage.setup()
            results = {}
            have = 0
            for size in sizes:
                docs = [_filler(n, rng) for n in range(have, size)]
                storage.articles.load(docs, chunk_size=2000, timeout=120)
                have = size
                storage.articles.merge_segments(timeout=600)
                base = 10_000 * (1 + len(results))
                _measure(
                    storage, f"warm{size}", base, decided
                )  # the first queries after a bulk load warm caches
                runs = [_measure(storage, f"r{size}-{k}", base + 1_000 * (k + 1), decided) for k in range(5)]
                results[size] = min(runs, key=lambda r: r[1] + r[2])
        finally:
            storage.drop_all()
    small, large = min(sizes), max(sizes)
    ratio = results[large][0] / results[small][0]
    extract, what = extraction_cost()
    how = "decided in the batch, settled by the cluster step" if decided else "written, then clustered"
    lines = [f"{NEW} new articles per measurement (two thirds edited copies; {how}), best of 5"]
    for size in sizes:
        wall, client, server = results[size]
        lines.append(
            f"with {size:>7,} indexed: {wall * 1000:7.2f} ms wall per article; CPU {client * 1000:.2f} ms client "
            f"+ {server * 1000:.2f} ms Elasticsearch = {(client + server) / extract:.1%} of extraction"
        )
    cost = (results[large][1] + results[large][2]) / extract
    lines += [
        f"growth {small:,} -> {large:,} (wall): {ratio:.2f}   (target < 1.5: {'met' if ratio < 1.5 else 'NOT met'})",
        f"extraction: {extract * 1000:.1f} ms CPU per page ({what})",
        f"cluster CPU (client + Elasticsearch) / extraction CPU at {large:,}: {cost:.1%}   "
        f"(target <= 10%: {'met' if cost <= 0.10 else 'NOT met'})",
    ]
    return lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1_000, 100_000])
    parser.add_argument(
        "--after-indexing", action="store_true", help="cluster after writing (the cluster step's own path)"
    )
    args = parser.parse_args()
    print("\n".join(run(tuple(args.sizes), decided=not args.after_indexing)))
