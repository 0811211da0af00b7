"""Tagging quality per language on eval/data/topics-multilingual*.jsonl (real news, labelled by hand).

Scored: is `arms_control` tagged on title + text? Borderline rows are reported apart and are not in
precision or recall. Every false positive and miss is printed with the terms that matched, so a
failure reads as a rule to fix. An area of `make eval` (scripts/evaluate.py, metrics
`precision_<lang>` and `recall_<lang>`; the data ships in the repository, not in ../shared), and
runnable alone:

    .venv/bin/python -m eval.topics_multilingual [--data PATH ...] [--quiet]

Every `topics-multilingual*.jsonl` of eval/data is read (one file per set of languages); `--data`
names other files instead. Also printed: the median CPU time of tagging one row, per language.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from eval.common import Report, outcome_of, prf, read_jsonl
from eval.topics import _evidence, topics_path
from newsmon.tagging import ROOT, Tagger, load_taxonomy

DATA_DIR = Path(__file__).resolve().parent / "data"
LANGS = ["es", "fr", "de", "ru", "it", "uk", "zh", "ja", "ko", "ar", "fa"]


def data_files() -> list[Path]:
    return sorted(DATA_DIR.glob("topics-multilingual*.jsonl"))


def evaluate(_eval_dir: Path, data: list[Path] | None = None, quiet: bool = False) -> Report:
    """The area of scripts/evaluate.py; `_eval_dir` (../shared/eval) is not used: the set is ours."""
    files = data if data is not None else data_files()
    rows = [row for path in files for row in read_jsonl(path)]
    tagger = Tagger(load_taxonomy(topics_path()))
    tally: dict[str, Counter[str]] = {}
    cpu: dict[str, list[float]] = {}
    problems: list[str] = []
    borderline: list[str] = []
    for row in rows:
        started = time.thread_time()
        result = tagger.tag(row.get("title"), row.get("text"))
        cpu.setdefault(row["lang"], []).append(time.thread_time() - started)
        tagged = ROOT in result.topics
        lang = row["lang"]
        counts = tally.setdefault(lang, Counter())
        score = result.scores.get(ROOT, 0.0)
        head = f"{row['id']} {row.get('title', '')[:80]!r} topics={result.topics} {ROOT}={score:g} [{row['note']}]"
        if row.get("borderline"):
            counts["b_tagged" if tagged else "b_untagged"] += 1
            borderline.append(f"  {'tagged  ' if tagged else 'untagged'} {head}")
            continue
        outcome = outcome_of(bool(row["label"]), tagged)
        counts[outcome] += 1
        if outcome in ("fp", "fn"):
            problems += [f"{'FALSE POSITIVE' if outcome == 'fp' else 'MISSED'} {head}", *_evidence(result)]

    names = ", ".join(path.name for path in files)
    lines = [
        f"arms_control per language ({names}: {len(rows)} rows)",
        f"{'lang':5} {'P':>6} {'R':>6} {'F1':>6}   tp  fp  fn  tn   borderline tagged   ms/row (CPU, median)",
    ]
    metrics: dict[str, float] = {}
    total: Counter[str] = Counter()
    for lang in sorted(tally, key=lambda lang: (LANGS + [lang]).index(lang)):
        c = tally[lang]
        total += c
        ms = statistics.median(cpu[lang]) * 1000
        lines.append(f"{_line(lang, c)}   {ms:.2f}")
        metrics[f"precision_{lang}"], metrics[f"recall_{lang}"], _f1 = prf(c)
    lines.append(_line("all", total))
    metrics["precision"], metrics["recall"], metrics["f1"] = prf(total)
    if not quiet:
        lines.append("")
        lines += problems if problems else ["no false positive, no miss"]
        lines.append("borderline rows (not scored):")
        lines += borderline if borderline else ["  none"]
    return Report(area="topics_multilingual", metrics=metrics, lines=lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=None)
    parser.add_argument("--quiet", action="store_true", help="only the per-language table")
    args = parser.parse_args(argv)
    print("\n".join(evaluate(Path("."), args.data, args.quiet).lines))
    return 0


def _line(lang: str, c: Counter[str]) -> str:
    p, r, f1 = prf(c)
    nb = c["b_tagged"] + c["b_untagged"]
    return f"{lang:5} {p:6.3f} {r:6.3f} {f1:6.3f} {c['tp']:4} {c['fp']:3} {c['fn']:3} {c['tn']:3}   {c['b_tagged']}/{nb}"


if __name__ == "__main__":
    sys.exit(main())
