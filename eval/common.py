"""What every evaluation area shares: the report, the floors file and the check against it."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Report:
    area: str
    metrics: dict[str, float]
    lines: list[str] = field(default_factory=list)  # what a person reads: scores, misses, evidence
    details: dict[str, Any] = field(default_factory=dict)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSON-lines file, blank lines skipped."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def outcome_of(expected: bool, got: bool) -> str:
    """tp, fp, fn or tn of one labelled row."""
    return {(True, True): "tp", (False, True): "fp", (True, False): "fn", (False, False): "tn"}[
        (expected, got)
    ]


def prf(counts: Counter[str]) -> tuple[float, float, float]:
    """Precision, recall and F1 of tp/fp/fn counts (1.0 where nothing was expected or tagged)."""
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def load_floors(path: Path) -> dict[str, dict[str, float]]:
    """{"metric": {"min": x}} or {"metric": {"max": y}} per area file."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def check(report: Report, floors: dict[str, dict[str, float]]) -> list[str]:
    """The floors this report crosses, as sentences."""
    failures = []
    for metric, bound in floors.items():
        if metric not in report.metrics:
            failures.append(f"{report.area}: metric {metric!r} pinned in floors but not measured")
            continue
        value = report.metrics[metric]
        if "min" in bound and value < bound["min"]:
            failures.append(f"{report.area}: {metric} = {value:.4f} is below its floor {bound['min']}")
        if "max" in bound and value > bound["max"]:
            failures.append(f"{report.area}: {metric} = {value:.4f} is above its ceiling {bound['max']}")
    return failures
