"""Pipeline throughput: the whole pass (feeds -> pages -> extraction -> tags -> index -> clusters) over generated
article pages served on loopback, against bare `trafilatura.extract` on the same pages in one
process. The pipeline may use both cores; the target is a ratio of at least 0.7.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import trafilatura

from newsmon.devsite import DevSite
from newsmon.pipeline import run_pass
from newsmon.settings import load_settings
from newsmon.store import make_client

ROOT = Path(__file__).resolve().parents[1]


def bench_pipeline(pages: int, feeds: int) -> dict[str, float]:
    with DevSite(ROOT / "examples" / "site") as site:
        per_feed = pages // feeds
        urls = [f"{site.base_url}/generated/article/{n}.html" for n in range(1, per_feed * feeds + 1)]
        with httpx.Client(timeout=30) as client:
            htmls = [client.get(u).content for u in urls]

        start = time.perf_counter()
        extracted = sum(1 for html in htmls if trafilatura.extract(html, include_comments=False))
        bare_s = time.perf_counter() - start

        prefix = f"bench-{uuid.uuid4().hex[:8]}-"
        with tempfile.TemporaryDirectory() as tmp:
            feeds_file = Path(tmp) / "feeds.yaml"
            lines = ["feeds:"]
            for i in range(feeds):
                url = f"{site.base_url}/generated/feed.xml?count={per_feed}&start={i * per_feed + 1}"
                lines.append(f"  - {{id: gen-{i}, url: '{url}', max_entries: {per_feed}}}")
            feeds_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
            # No alert rules here: percolation has its own benchmark (bench/alerts.py).
            alerts_file = Path(tmp) / "alerts.yaml"
            alerts_file.write_text("rules: []\n", encoding="utf-8")
            env = dict(os.environ, NEWSMON_INDEX_PREFIX=prefix, NEWSMON_ALLOW_PRIVATE_NETWORKS="1",
                       NEWSMON_FEEDS_FILE=str(feeds_file), NEWSMON_ALERTS_FILE=str(alerts_file))  # fmt: skip
            settings = load_settings(env)
            try:
                start = time.perf_counter()
                summary = run_pass(settings, mode="bench")
                pipe_s = time.perf_counter() - start
            finally:
                es = make_client(settings)
                es.options(ignore_status=404).indices.delete(index=f"{prefix}*", expand_wildcards="all")
                es.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}*")
                es.close()
    if summary.indexed != len(urls):
        raise SystemExit(f"pipeline indexed {summary.indexed} of {len(urls)} pages: {summary.errors[:3]}")
    return {
        "pages": len(urls),
        "bare_extracted": extracted,
        "bare_pages_per_s": len(urls) / bare_s,
        "pipeline_articles_per_s": summary.indexed / pipe_s,
        "workers": settings.workers,
    }


def run(pages: int = 400, feeds: int = 4) -> list[str]:
    r = bench_pipeline(pages, feeds)
    ratio = r["pipeline_articles_per_s"] / r["bare_pages_per_s"]
    return [
        f"{r['pages']} generated pages on loopback, {r['workers']} extraction worker(s)",
        f"end to end (feeds -> index -> clusters): {r['pipeline_articles_per_s']:8.1f} articles/s",
        f"bare trafilatura.extract, one process:   {r['bare_pages_per_s']:8.1f} pages/s",
        f"ratio pipeline / bare:                   {ratio:8.2f}   (target >= 0.70: {'met' if ratio >= 0.7 else 'NOT met'})",
    ]
