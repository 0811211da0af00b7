"""Peak memory of a pass: the whole pass over 500 and over 5,000 generated pages, each in a fresh
process (peak RSS is a high-water mark, so one process per size). Articles are indexed in chunks as
they are extracted and only a bounded window of pages is in flight, so the peak should hardly grow
with the batch. Target: peak RSS at 5,000 pages at most 1.3 x that at 500. The peak is read after the
batch step and after the whole pass: story clustering (newsmon.stories.stored) works in rounds of
newsmon.run.CLUSTER_ROUND articles, each confirming the candidates of
newsmon.stories.stored.CANDIDATE_CHUNK new articles at a time, so neither figure should grow with
the batch.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (500, 5000)
TARGET = 1.3

_CHILD = """
import json, resource, sys
sys.path[:0] = [{src!r}, {root!r}]
from bench.pipeline import _peak_rss_kib, bench_pipeline
r = bench_pipeline({pages}, 4, bare=False)
own = _peak_rss_kib()  # VmHWM: ru_maxrss keeps the high-water mark of the process we were forked from
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({{"own_kib": own, "batch_kib": r["peak_rss_kib"]["batch"], "largest_child_kib": kids,
                  "per_s": r["pipeline_articles_per_s"]}}))
"""


def peak(pages: int) -> dict[str, float]:
    code = _CHILD.format(src=str(ROOT / "src"), root=str(ROOT), pages=pages)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> list[str]:
    got = {n: peak(n) for n in SIZES}
    lines = [
        f"peak RSS over {n:>5} generated pages: batch (fetch, extract, tag, index) "
        f"{got[n]['batch_kib'] / 1024:5.0f} MiB, whole pass {got[n]['own_kib'] / 1024:5.0f} MiB "
        f"(largest worker {got[n]['largest_child_kib'] / 1024:.0f} MiB; {got[n]['per_s']:.0f} articles/s)"
        for n in SIZES
    ]
    for what, key in (("batch", "batch_kib"), ("whole pass, clustering included", "own_kib")):
        ratio = got[SIZES[1]][key] / got[SIZES[0]][key]
        verdict = "met" if ratio <= TARGET else "NOT met"
        lines.append(f"ratio {SIZES[1]} / {SIZES[0]}, {what}: {ratio:.2f}   (target <= {TARGET}: {verdict})")
    return lines
