"""make eval: score extraction, tagging and dedupe on ../shared/eval, multilingual tagging on the
repository's eval/data, and check the pinned floors.

Usage: python scripts/evaluate.py [--eval-dir DIR] [--only AREA ...]
Exit status 1 when a floor in eval/floors/<area>.json is crossed or an area cannot run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from eval.common import check, load_floors  # noqa: E402

AREAS = ("extraction", "topics", "topics_multilingual", "dedupe")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--only", nargs="*", choices=AREAS)
    args = parser.parse_args()
    if not args.eval_dir.is_dir():
        print(f"evaluation data not found at {args.eval_dir} (pass --eval-dir)", file=sys.stderr)
        return 1
    failures: list[str] = []
    for area in args.only or AREAS:
        try:
            module = importlib.import_module(f"eval.{area}")
        except ModuleNotFoundError as exc:
            if exc.name != f"eval.{area}":
                raise
            print(f"== {area}: no evaluation yet")
            continue
        started = time.perf_counter()
        report = module.evaluate(args.eval_dir)
        print(f"== {area} ({time.perf_counter() - started:.1f} s)")
        for line in report.lines:
            print(f"  {line}")
        crossed = check(report, load_floors(ROOT / "eval" / "floors" / f"{area}.json"))
        for line in crossed:
            print(f"  FLOOR CROSSED: {line}")
        failures += crossed
    print()
    print("all floors met" if not failures else f"{len(failures)} floor(s) crossed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
