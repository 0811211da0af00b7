"""Stories per day by subtopic as an inline SVG, drawn on the server: the chart needs no JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from markupsafe import Markup

# Okabe-Ito and Tableau hues: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7f7f7f", "#bcbd22",
           "#8c564b", "#17becf", "#9467bd", "#f0e442"]  # fmt: skip
WIDTH, HEIGHT = 720, 180
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 10, 34


Row = tuple[str, int, dict[str, int]]  # (period start, stories, {subtopic: stories})
MAX_BARS = 62


@dataclass
class Series:
    id: str
    name: str
    colour: str
    total: int


def series_of(chart: list[Row], names: dict[str, str]) -> list[Series]:
    """The subtopics in the chart, most stories first, each with its colour."""
    totals: dict[str, int] = {}
    for _day, _stories, counts in chart:
        for sub, n in counts.items():
            totals[sub] = totals.get(sub, 0) + n
    ranked = sorted(totals, key=lambda s: (-totals[s], s))
    return [Series(s, names.get(s, s), PALETTE[i % len(PALETTE)], totals[s]) for i, s in enumerate(ranked)]


def _same_day(d: date) -> date:
    return d


def _monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _first_of_month(d: date) -> date:
    return d.replace(day=1)


def regroup(days: list[Row]) -> tuple[list[Row], str]:
    """Days with stories -> a continuous series of days, or of weeks (from Monday) or months when
    the days would make more than MAX_BARS bars. Sums are exact: each story has one publication day."""
    if not days:
        return [], "day"
    first, last = date.fromisoformat(days[0][0]), date.fromisoformat(days[-1][0])
    span = (last - first).days + 1
    key: Callable[[date], date]
    if span <= MAX_BARS:
        unit, key = "day", _same_day
    elif span <= MAX_BARS * 7:
        unit, key = "week", _monday_of
    else:
        unit, key = "month", _first_of_month
    periods: dict[date, tuple[int, dict[str, int]]] = {}
    d = key(first)
    while d <= last:  # every period, the empty ones too, so that the axis is time
        periods[d] = (0, {})
        d = (
            key(d + timedelta(days=1))
            if unit == "day"
            else key(d + timedelta(days=7 if unit == "week" else 32))
        )
    for day, stories, counts in days:
        k = key(date.fromisoformat(day))
        total, sums = periods[k]
        for sub, n in counts.items():
            sums[sub] = sums.get(sub, 0) + n
        periods[k] = (total + stories, sums)
    fmt = "%Y-%m" if unit == "month" else "%Y-%m-%d"
    return [(k.strftime(fmt), n, c) for k, (n, c) in sorted(periods.items())], unit


def stacked_bars(chart: list[Row], series: list[Series], label: str) -> Markup:
    """One bar per period, stacked by subtopic; each segment says its numbers in a <title>."""
    if not chart or not series:
        return Markup("")
    tallest = max(sum(counts.values()) for _d, _n, counts in chart) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(chart)
    bar_w = max(1.0, min(28.0, step * 0.8))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" class="axis"/>',
    ]
    for value in sorted({0, tallest // 2, tallest}):
        y = TOP + plot_h - plot_h * value / tallest
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{value}</text>')
        if value:
            parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="grid"/>')
    label_every = max(1, round(len(chart) / 8))
    for i, (day, stories, counts) in enumerate(chart):
        x = LEFT + i * step + (step - bar_w) / 2
        y = TOP + plot_h
        for s in series:
            n = counts.get(s.id, 0)
            if not n:
                continue
            h = plot_h * n / tallest
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{s.colour}">'
                f"<title>{escape(day)}: {escape(s.name)}, {n} of {stories} stor{'y' if stories == 1 else 'ies'}"
                "</title></rect>"
            )
        if i % label_every == 0 or i == len(chart) - 1:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" class="tick" '
                f'text-anchor="middle">{escape(day[5:] if len(day) == 10 and len(chart) > 1 else day)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
