"""Tagging cost: per article as a share of extraction on the same pages, and against taxonomy size.

Pages: the real article pages of ../shared/eval/extraction (if present) and generated articles of
the dev site. Extraction is the pipeline's own step (`newsmon.extraction.extract_page`); tagging is
`Tagger.tag` with the shipped taxonomy and entity catalog. For the growth measurement the
taxonomy's first 100 terms are padded with synthetic ones (pseudo-words, a tenth with a wildcard)
up to 1,000 and 10,000: the hits stay the same, so what is measured is the cost of size itself.
"""

from __future__ import annotations

import gzip
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devsite.text import render_article
from newsmon.extraction import extract_page
from newsmon.tagging import Tagger, Taxonomy, load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
EVAL_PAGES = ROOT.parent / "shared" / "eval" / "extraction" / "html"
GENERATED = 100
SIZES = (100, 1_000, 10_000)
BASE_TERMS = 100
SHARE_TARGET = 0.02
GROWTH_TARGET = 1.5


def _best(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Best of `repeat` timings: the least disturbed by the rest of the machine."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _pages() -> list[tuple[str, bytes, str]]:
    pages = [
        ("eval", gzip.decompress(p.read_bytes()), "https://example.org/a")
        for p in sorted(EVAL_PAGES.glob("*.html.gz"))
    ]
    base = "http://127.0.0.1:8765"
    pages += [
        ("generated", render_article(n, base).encode(), f"{base}/generated/article/{n}.html")
        for n in range(1, GENERATED + 1)
    ]
    return pages


def _sized(taxonomy: Taxonomy, size: int, seed: int = 4) -> Taxonomy:
    """The first 100 terms of the taxonomy, padded with synthetic terms to `size`.

    The real terms are the same at every size, so the stories' hits are too: what changes is
    only the number of patterns the matcher holds.
    """
    data = taxonomy.model_dump(exclude_none=True)
    data.pop("entities_file", None)
    data["languages"] = []
    left = BASE_TERMS
    for topic in data["topics"]:
        kept = []
        for group in topic["terms"]:
            n = len(
                Taxonomy.model_validate({"topics": [{"id": "arms_control", "name": "x", "terms": [group]}]})
                .topics[0]
                .terms[0]
                .terms()
            )
            if n <= left:
                kept.append(group)
                left -= n
        topic["terms"] = kept
    rng = random.Random(seed)
    letters = "abcdefghijklmnoprstuvyz"
    fillers: set[str] = set()
    while len(fillers) < size - (BASE_TERMS - left):
        words = [
            "".join(rng.choice(letters) for _ in range(rng.randint(5, 10))) for _ in range(rng.randint(1, 3))
        ]
        term = " ".join(words)
        fillers.add(term + "*" if rng.random() < 0.1 else term)
    if fillers:
        data["topics"].append(
            {
                "id": "arms_control.synthetic",
                "name": "synthetic",
                "terms": [{"en": sorted(fillers), "weight": 1}],
            }
        )
    return Taxonomy.model_validate(data)


def run() -> list[str]:
    pages = _pages()
    taxonomy = load_taxonomy(ROOT / "config" / "topics.yaml")
    tagger = Tagger(taxonomy)
    lines = [
        f"{len(pages)} pages ({sum(1 for p in pages if p[0] == 'eval')} real from shared/eval, "
        f"{sum(1 for p in pages if p[0] == 'generated')} generated); "
        f"taxonomy of {len(tagger.matcher)} patterns"
    ]
    extracted: dict[str, list[tuple[str, str]]] = {"eval": [], "generated": []}
    extract_s: dict[str, float] = {"eval": 0.0, "generated": 0.0}
    for kind, html, url in pages:
        start = time.perf_counter()
        ext = extract_page(html, url)
        extract_s[kind] += time.perf_counter() - start
        if ext.body:
            extracted[kind].append((ext.title or "", ext.body))
    for kind, texts in extracted.items():
        if not texts:
            continue
        tag_s = _best(lambda texts=texts: [tagger.tag(t, b) for t, b in texts])
        share = tag_s / extract_s[kind]
        per_article = tag_s / len(texts) * 1e3
        verdict = "met" if share < SHARE_TARGET else "NOT met"
        lines.append(
            f"{kind:9} pages: tagging {per_article:.3f} ms/article, "
            f"extraction {extract_s[kind] / len(texts) * 1e3:.1f} ms/page: "
            f"tagging is {share:.2%} of extraction (target < {SHARE_TARGET:.0%}: {verdict})"
        )
    texts = extracted["eval"] + extracted["generated"]
    taggers = {size: Tagger(_sized(taxonomy, size), entities=None) for size in SIZES}
    # Sizes take turns, best of five rounds each: a busy machine slows all of them alike.
    best = dict.fromkeys(SIZES, float("inf"))
    for _ in range(5):
        for size, sized in taggers.items():
            best[size] = min(
                best[size], _best(lambda sized=sized: [sized.tag(t, b) for t, b in texts], repeat=1)
            )
    per_size = {size: t / len(texts) for size, t in best.items()}
    growth = per_size[SIZES[-1]] / per_size[SIZES[0]]
    lines.append(
        "per-article tagging time by taxonomy size: "
        + ", ".join(f"{size:,} terms {t * 1e3:.3f} ms" for size, t in per_size.items())
    )
    verdict = "met" if growth <= GROWTH_TARGET else "NOT met"
    lines.append(
        f"growth from {SIZES[0]:,} to {SIZES[-1]:,} terms: {growth:.2f}x "
        f"(target flat within {GROWTH_TARGET}x: {verdict})"
    )
    return lines
