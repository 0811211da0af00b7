"""Pipeline throughput on GENERATED pages (light: trafilatura needs about 6 ms for one; the real-page
figure is bench/real_pages.py): the whole pass (feeds -> pages -> extraction -> tags -> index -> clusters)
over generated article pages served on loopback, against bare `trafilatura.extract` on the same
pages in one process. The pipeline may use both cores; the target is a ratio of at least 0.7.

The pages are rendered to files first and served by a separate process, so that making up the
test pages costs neither side anything; Elasticsearch runs on the same two cores, as it would on a
small production host.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import httpx
import trafilatura

from bench.loopback import drop, pass_settings, served, site
from devsite.text import render_article, render_feed
from newsmon import run as newsmon_run
from newsmon.clock import now_iso

BASE = "{{BASE}}"  # replaced by the serving process with its own address


def _site(root: Path, pages: int, feeds: int) -> list[str]:
    per_feed = pages // feeds
    (root / "article").mkdir(parents=True)
    paths = []
    for n in range(1, per_feed * feeds + 1):
        html = render_article(n, BASE).replace(f"{BASE}/generated/article/", f"{BASE}/article/")
        (root / "article" / f"{n}.html").write_text(html, encoding="utf-8")
        paths.append(f"/article/{n}.html")
    for i in range(feeds):
        xml = render_feed(BASE, i * per_feed + 1, per_feed).replace(
            f"{BASE}/generated/article/", f"{BASE}/article/"
        )
        (root / f"feed-{i}.xml").write_text(xml, encoding="utf-8")
    return paths


def _peak_rss_kib() -> int:
    """This process's peak RSS so far (VmHWM), in KiB; 0 where /proc is missing."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


def bench_pipeline(pages: int, feeds: int, bare: bool = True) -> dict[str, float]:
    """`bare=False` skips the bare trafilatura run and does not hold the pages in this process
    (the peak RSS measurement)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        paths = _site(root, pages, feeds)
        with served(site(root)) as base:
            extracted, bare_s = 0, float("nan")
            if bare:
                with httpx.Client(timeout=30) as client:
                    htmls = [client.get(base + p).content for p in paths]
                start = time.perf_counter()
                extracted = sum(1 for html in htmls if trafilatura.extract(html, include_comments=False))
                bare_s = time.perf_counter() - start
                del htmls

            # No alert rules here: percolation has its own benchmark (bench/alerts.py).
            urls = [f"{base}/feed-{i}.xml" for i in range(feeds)]
            settings = pass_settings(Path(tmp), urls, pages, "gen", alerts="rules: []\n")
            prefix = settings.index_prefix
            phases: dict[str, float] = {}
            peak_rss: dict[str, int] = {}
            try:
                start = time.perf_counter()
                t = time.perf_counter()
                batches = newsmon_run.prepare(settings)
                phases["prepare"] = time.perf_counter() - t
                t = time.perf_counter()
                batch = newsmon_run.process_batch([i for b in batches for i in b], settings).to_dict()
                phases["fetch, extract, tag, index"] = time.perf_counter() - t
                peak_rss["batch"] = _peak_rss_kib()
                t = time.perf_counter()
                merged = newsmon_run.cluster(settings, [batch])
                phases["story clusters"] = time.perf_counter() - t
                t = time.perf_counter()
                alerts = newsmon_run.alert(settings)
                summary = newsmon_run.summarize(settings, merged, alerts, "bench", now_iso(), prefix)
                phases["alerts and summary"] = time.perf_counter() - t
                pipe_s = time.perf_counter() - start
            finally:
                drop(settings)
    if summary.indexed != len(paths):
        raise SystemExit(f"pipeline indexed {summary.indexed} of {len(paths)} pages: {summary.errors[:3]}")
    return {
        "pages": len(paths),
        "bare_extracted": extracted,
        "bare_pages_per_s": len(paths) / bare_s,
        "pipeline_articles_per_s": summary.indexed / pipe_s,
        "workers": settings.workers,
        "phases": phases,  # type: ignore[dict-item]
        "peak_rss_kib": peak_rss,  # type: ignore[dict-item]
    }


def run(pages: int = 400, feeds: int = 4) -> list[str]:
    r = bench_pipeline(pages, feeds)
    ratio = r["pipeline_articles_per_s"] / r["bare_pages_per_s"]
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in r["phases"].items())  # type: ignore[union-attr]
    return [
        f"GENERATED pages: {r['pages']} on loopback, {r['workers']} extraction worker(s)",
        f"end to end (feeds -> index -> clusters): {r['pipeline_articles_per_s']:8.1f} articles/s",
        f"bare trafilatura.extract, one process:   {r['bare_pages_per_s']:8.1f} pages/s",
        f"ratio pipeline / bare:                   {ratio:8.2f}   (target >= 0.70: {'met' if ratio >= 0.7 else 'NOT met'})",
        f"phases: {phases}",
    ]
