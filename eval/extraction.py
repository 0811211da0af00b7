"""Extraction quality on the ScrapingHub article-extraction benchmark (../shared/eval/extraction).

102 real pages (`html/<key>.html.gz`) with the article body a person marked (`ground-truth.json`,
keyed by the same <key>). The metric is the benchmark's own: per page, true/false positives and
false negatives over 4-word shingles (counted with multiplicity, normalised so that long pages
weigh no more than short ones); precision averaged over the pages that produced text, recall over
the pages that have text, F1 from the two averages. The project's `extract_page` is scored against
bare `trafilatura.extract(html)` (the library's defaults) and trafilatura with comments off (how
the benchmark itself runs it), in the same run on the same bytes.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura

from eval.common import Report
from newsmon.extraction import extract_page

SHINGLE = 4
BOOTSTRAP = 1000
WORSE_BY = 0.02  # a page listed as worse than bare trafilatura loses more F1 than this

_TOKEN = re.compile(r"\w+", re.UNICODE)

Counts = tuple[float, float, float]  # tp, fp, fn, normalised to sum 1


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)) if tokens)


def shingle_counts(truth: str, predicted: str) -> Counts:
    want, got = _shingles(truth), _shingles(predicted)
    tp = sum((want & got).values())
    fp = sum((got - want).values())
    fn = sum((want - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def scores(rows: Sequence[Counts]) -> dict[str, float]:
    """The benchmark's averages: precision over pages with output, recall over pages with truth."""
    precisions = [_precision(*r) for r in rows if r[0] + r[1] > 0]
    recalls = [_recall(*r) for r in rows if r[0] + r[2] > 0]
    p = statistics.fmean(precisions) if precisions else 0.0
    r = statistics.fmean(recalls) if recalls else 0.0
    return {"f1": 2 * p * r / (p + r) if p + r else 0.0, "precision": p, "recall": r}


def _page_f1(c: Counts) -> float:
    p, r = _precision(*c), _recall(*c)
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class PageResult:
    key: str
    url: str
    ours: Counts
    bare: Counts
    bare_nc: Counts
    method: str
    cleanup: dict[str, int] = field(default_factory=dict)


def _bootstrap_f1_gap(a: Sequence[Counts], b: Sequence[Counts]) -> tuple[float, float]:
    """95% interval of F1(a) - F1(b) over pages resampled together (fixed seed: same run, same answer)."""
    rng = random.Random(0)
    n = len(a)
    gaps = []
    for _ in range(BOOTSTRAP):
        idx = [rng.randrange(n) for _ in range(n)]
        gaps.append(scores([a[i] for i in idx])["f1"] - scores([b[i] for i in idx])["f1"])
    gaps.sort()
    return gaps[int(0.025 * BOOTSTRAP)], gaps[int(0.975 * BOOTSTRAP) - 1]


def evaluate(eval_dir: Path) -> Report:
    data = eval_dir / "extraction"
    truth_file = data / "ground-truth.json"
    if not truth_file.exists():
        return Report("extraction", {}, [f"no benchmark at {data} (ground-truth.json missing)"])
    truth: dict[str, dict[str, str]] = json.loads(truth_file.read_text(encoding="utf-8"))
    results: list[PageResult] = []
    seconds = Counter[str]()
    missing = []
    for key, item in sorted(truth.items()):
        page = data / "html" / f"{key}.html.gz"
        if not page.exists():
            missing.append(key)
            continue
        html = gzip.decompress(page.read_bytes())
        body = item.get("articleBody", "")
        url = item.get("url", "")
        start = time.perf_counter()
        ours = extract_page(html, url or None)
        seconds["ours"] += time.perf_counter() - start
        start = time.perf_counter()
        bare = trafilatura.extract(html) or ""
        seconds["bare"] += time.perf_counter() - start
        bare_nc = trafilatura.extract(html, include_comments=False) or ""
        scored = [shingle_counts(body, text) for text in (ours.body, bare, bare_nc)]
        results.append(PageResult(key, url, *scored, ours.method, ours.cleanup))
    if not results:
        return Report("extraction", {}, [f"no pages found under {data / 'html'}"])

    ours_s = scores([r.ours for r in results])
    bare_s = scores([r.bare for r in results])
    nc_s = scores([r.bare_nc for r in results])
    metrics = {
        **ours_s,
        **{f"bare_{k}": v for k, v in bare_s.items()},
        **{f"bare_nc_{k}": v for k, v in nc_s.items()},
        **{f"{k}_minus_bare": ours_s[k] - bare_s[k] for k in ours_s},
        **{f"{k}_minus_bare_nc": ours_s[k] - nc_s[k] for k in ours_s},
        "pages": float(len(results)),
    }
    lo, hi = _bootstrap_f1_gap([r.ours for r in results], [r.bare for r in results])
    lo_nc, hi_nc = _bootstrap_f1_gap([r.ours for r in results], [r.bare_nc for r in results])

    n = len(results)
    lines = [
        f"{n} pages of the article-extraction benchmark; {SHINGLE}-word shingles, averaged over pages"
        + (f" ({len(missing)} listed pages missing)" if missing else ""),
        f"{'':34}{'F1':>7}{'precision':>11}{'recall':>8}",
    ]
    for name, s in (
        ("newsmon extract_page", ours_s),
        ("bare trafilatura.extract(html)", bare_s),
        ("trafilatura, include_comments=False", nc_s),
    ):
        lines.append(f"{name:38}{s['f1']:7.4f}{s['precision']:11.4f}{s['recall']:8.4f}")
    lines.append(
        f"newsmon - bare: F1 {metrics['f1_minus_bare']:+.4f} (95% paired bootstrap {lo:+.4f} .. {hi:+.4f}), "
        f"precision {metrics['precision_minus_bare']:+.4f}, recall {metrics['recall_minus_bare']:+.4f}"
    )
    lines.append(
        f"newsmon - comments off: F1 {metrics['f1_minus_bare_nc']:+.4f} ({lo_nc:+.4f} .. {hi_nc:+.4f}), "
        f"precision {metrics['precision_minus_bare_nc']:+.4f}, recall {metrics['recall_minus_bare_nc']:+.4f}"
    )
    methods = Counter(r.method for r in results)
    lines.append("method that won: " + ", ".join(f"{m} {c}" for m, c in methods.most_common()))
    fired = Counter(rule for r in results for rule in r.cleanup)
    if fired:
        lines.append("cleanup rules (pages): " + ", ".join(f"{rule} {c}" for rule, c in fired.most_common()))
    worse = sorted(
        (r for r in results if _page_f1(r.ours) < _page_f1(r.bare_nc) - WORSE_BY),
        key=lambda r: _page_f1(r.ours) - _page_f1(r.bare_nc),
    )
    lines.append(
        f"pages where newsmon loses more than {WORSE_BY} F1 to trafilatura (comments off): {len(worse)}"
    )
    for r in worse[:5]:
        lines.append(
            f"  {r.key[:12]} F1 {_page_f1(r.ours):.3f} vs {_page_f1(r.bare_nc):.3f} [{r.method}; "
            f"{', '.join(sorted(r.cleanup)) or 'no cleanup'}] {r.url}"
        )
    ms = {k: 1000 * v / n for k, v in seconds.items()}
    lines.append(f"time per page: newsmon {ms['ours']:.1f} ms, bare trafilatura {ms['bare']:.1f} ms")
    details = {
        r.key: {"url": r.url, "method": r.method, "f1": _page_f1(r.ours), "bare_f1": _page_f1(r.bare)}
        for r in results
    }
    return Report("extraction", metrics, lines, details)
