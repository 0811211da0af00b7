"""Extraction throughput: `extract_page` with and without the cleanup rules, on the same pages in
one process (the real pages of ../shared/eval/extraction when present, else the sample site), with
bare `trafilatura.extract` on the same pages for scale, and the cleanup rules timed on their own.
The variants take turns and each figure is its best round, so a busy machine shows as noise
rather than as a cost of one variant.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura
from trafilatura.utils import load_html

from newsmon.extraction import clean_text, extract_page, read_page

ROOT = Path(__file__).resolve().parents[1]
EVAL_PAGES = ROOT.parent / "shared" / "eval" / "extraction" / "html"
SITE = ROOT / "examples" / "site"
ROUNDS = 3


def load_pages() -> tuple[str, list[bytes]]:
    if EVAL_PAGES.is_dir():
        pages = [gzip.decompress(p.read_bytes()) for p in sorted(EVAL_PAGES.glob("*.html.gz"))]
        if pages:
            return f"{len(pages)} real pages of the extraction benchmark", pages
    files = sorted(SITE.rglob("*.html"))
    pages = [p.read_bytes().replace(b"{{BASE}}", b"http://127.0.0.1:8765") for p in files]
    return f"{len(pages)} sample-site pages (no benchmark at {EVAL_PAGES})", pages


def best_seconds(pages: list[bytes], variants: dict[str, Callable[[int, bytes], object]]) -> dict[str, float]:
    """Each variant's time over all pages, counting for each page its best of ROUNDS runs; the
    variants take turns page by page, so a load that comes and goes hits them alike."""
    total = dict.fromkeys(variants, 0.0)
    for i, page in enumerate(pages):
        best = dict.fromkeys(variants, float("inf"))
        for _ in range(ROUNDS):
            for name, work in variants.items():
                start = time.perf_counter()
                work(i, page)
                best[name] = min(best[name], time.perf_counter() - start)
        for name in variants:
            total[name] += best[name]
    return total


def run() -> list[str]:
    what, pages = load_pages()
    extract_page(pages[0], None)  # load the language model and compile the rules outside the clock
    raw = [extract_page(page, None, clean=False) for page in pages]
    links = [read_page(load_html(page)).links for page in pages]

    variants: dict[str, Callable[[int, bytes], object]] = {
        "with": lambda i, page: extract_page(page, None),
        "without": lambda i, page: extract_page(page, None, clean=False),
        "bare": lambda i, page: trafilatura.extract(page, include_comments=False),
        "rules": lambda i, page: clean_text(raw[i].body, titles=[raw[i].title or ""], link_texts=links[i]),
    }
    seconds = best_seconds(pages, variants)
    rate = {name: len(pages) / s for name, s in seconds.items()}
    return [
        f"{what}, one process, best of {ROUNDS} runs per page",
        f"extract_page with cleanup:      {rate['with']:7.1f} pages/s",
        f"extract_page without cleanup:   {rate['without']:7.1f} pages/s",
        f"ratio with / without cleanup:   {rate['with'] / rate['without']:7.2f}",
        f"cleanup rules alone:            {1000 * seconds['rules'] / len(pages):7.2f} ms/page",
        f"bare trafilatura.extract:       {rate['bare']:7.1f} pages/s (for scale)",
    ]
