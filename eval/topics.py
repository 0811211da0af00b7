"""Tagging quality on shared/eval/topics/articles.jsonl (real articles, labelled by hand).

Scored: is `arms_control` tagged? Rows labelled `arms_control` are positives, `other` negatives;
`borderline` rows are left out of precision and recall and reported on their own. False positives
and misses are printed with the evidence and scores, so a failure reads as a rule to fix.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from eval.common import Report, outcome_of, prf, read_jsonl
from newsmon.settings import load_settings
from newsmon.tagging import ROOT, Tagger, TagResult, load_taxonomy

HARD_SUBSET = "unfiltered_foreign_affairs"  # real foreign-affairs news, not picked by keyword
EVIDENCE_SHOWN = 6


def topics_path() -> Path:
    return load_settings().topics_path


def evaluate(eval_dir: Path) -> Report:
    path = eval_dir / "topics" / "articles.jsonl"
    rows = read_jsonl(path)
    tagger = Tagger(load_taxonomy(topics_path()))
    tally: Counter[str] = Counter()
    per_subset: dict[str, Counter[str]] = {}
    problems: list[str] = []
    borderline: list[str] = []
    for row in rows:
        result = tagger.tag(row.get("title"), row.get("text"))
        tagged = ROOT in result.topics
        label, subset = row["label"], row.get("subset") or "?"
        counts = per_subset.setdefault(subset, Counter())
        if label == "borderline":
            tally["borderline_tagged" if tagged else "borderline_untagged"] += 1
            borderline.append(f"{'tagged  ' if tagged else 'untagged'} {_head(row, result)}")
            continue
        outcome = outcome_of(label == ROOT, tagged)
        tally[outcome] += 1
        counts[outcome] += 1
        if outcome == "fp":
            problems += [f"FALSE POSITIVE {_head(row, result)}", *_evidence(result)]
        elif outcome == "fn":
            problems += [f"MISSED {_head(row, result)}", *_evidence(result)]

    tp, fp, fn = tally["tp"], tally["fp"], tally["fn"]
    precision, recall, f1 = prf(tally)
    n_border = tally["borderline_tagged"] + tally["borderline_untagged"]
    hard_fp = per_subset.get(HARD_SUBSET, Counter())["fp"]
    lines = [
        f"arms_control on {tp + fp + tally['fn'] + tally['tn']} labelled articles: "
        f"precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f} "
        f"(tp {tp}, fp {fp}, fn {fn}, tn {tally['tn']})",
        f"false positives on {HARD_SUBSET}: {hard_fp}",
        f"borderline (not scored): {tally['borderline_tagged']}/{n_border} tagged",
    ]
    for subset, counts in sorted(per_subset.items()):
        lines.append(f"  subset {subset}: " + ", ".join(f"{k} {counts[k]}" for k in ("tp", "fp", "fn", "tn")))
    lines += problems or ["no false positive, no miss"]
    lines += ["borderline rows:", *[f"  {b}" for b in borderline]]
    return Report(
        area="topics",
        metrics={
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "false_positives": float(fp),
            "misses": float(fn),
            f"false_positives_{HARD_SUBSET}": float(hard_fp),
            "borderline_tagged_share": tally["borderline_tagged"] / n_border if n_border else 0.0,
        },
        lines=lines,
    )


def _head(row: dict[str, Any], result: TagResult) -> str:
    scores = ", ".join(f"{t.removeprefix(ROOT + '.') or t}={s:g}" for t, s in result.scores.items())
    note = f" [{row['note']}]" if row.get("note") else ""
    title = row.get("title", "")[:90]
    where = f"{row.get('id')} ({row.get('subset')})"
    return f"{where} {title!r} topics={result.topics} scores: {scores or '-'}{note}"


def _evidence(result: TagResult) -> list[str]:
    if not result.evidence:
        return ["    (no evidence: no term of the taxonomy occurs)"]
    shown = sorted(result.evidence, key=lambda ev: (-ev["weight"], ev["field"] != "title", ev["start"]))
    return [
        f"    {ev['topic']}: {ev['term']!r} w={ev['weight']:g} in {ev['field']} "
        f"[{ev['start']}:{ev['end']}] {ev['snippet']}"
        for ev in shown[:EVIDENCE_SHOWN]
    ]
