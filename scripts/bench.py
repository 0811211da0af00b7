"""make bench: every benchmark in bench/, each printing ratios measured in one run.

Usage: python scripts/bench.py [--only NAME ...]. A benchmark is a module bench/NAME.py with
`run() -> list[str]` (the lines to print). Targets are printed next to the measured numbers; a
missed target is reported, not hidden, and does not fail the run (speed is not a unit test).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

NAMES = ("real_pages", "pipeline", "memory", "extraction", "tagging", "dedupe", "alerts", "feeds")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=NAMES)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for name in args.only or NAMES:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{name}":
                raise
            continue
        started = time.perf_counter()
        lines = module.run()
        print(f"== {name} ({time.perf_counter() - started:.1f} s)")
        for line in lines:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
