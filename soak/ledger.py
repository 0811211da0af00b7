"""What should have happened in the soak, what did, and the table that compares them.

The soak's own bookkeeping: after every pass it reads which pages the pass stored (their
`fetched_at` is the pass's simulated instant, since the clock stands still during a step), so it
knows when each story was first seen and which alert rules were live then. From that it expects
one instant alert per (rule, story) and one digest entry per (digest rule, story) on the first
digest tick after the story arrived; the webhook receiver says what was sent."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from newsmon.clock import parse_iso
from soak.world import Page, World, code_of

DIGEST_HOUR = 7


@dataclass
class Day:
    """One simulated day's row of the table."""

    day: int
    passes: int = 0
    polls: int = 0
    failed_polls: int = 0
    deferred: int = 0
    stored: int = 0
    copies: int = 0
    instant: int = 0
    digests: int = 0
    rolled: int = 0
    pruned: int = 0
    snapshots: int = 0
    seconds: float = 0.0
    rss_mb: float = 0.0


@dataclass
class Ledger:
    world: World
    url_to_page: dict[str, Page]
    first_seen: dict[str, datetime] = field(default_factory=dict)  # url -> the pass that stored it
    story_seen: dict[int, datetime] = field(default_factory=dict)
    expected_instant: set[tuple[str, int]] = field(default_factory=set)
    expected_digest: dict[tuple[str, int], str] = field(default_factory=dict)  # -> the day it is due
    lost: set[str] = field(default_factory=set)
    doubled: set[str] = field(default_factory=set)
    crashed: list[str] = field(default_factory=list)
    pending_left: int = 0
    days: list[Day] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def stored_by_pass(
        self, at: datetime, urls: list[str], rules: dict[str, str], digest: dict[str, tuple[str, ...]]
    ) -> int:
        """Record what one pass stored; `rules` maps the live instant rules' ids to the code name
        each asks for, `digest` the digest rules' to theirs. Returns how many of the pages were
        copies of a story seen before."""
        copies = 0
        for url in urls:
            page = self.url_to_page.get(url)
            if page is None or url in self.first_seen:
                continue
            self.first_seen[url] = at
            if page.story in self.story_seen:
                copies += 1
                continue
            self.story_seen[page.story] = at
            code = code_of(page.story)
            self.expected_instant |= {(rule, page.story) for rule, asks in rules.items() if asks == code}
            due = at if at.hour < DIGEST_HOUR else at + timedelta(days=1)
            for rule, codes in digest.items():
                if code in codes:
                    self.expected_digest[(rule, page.story)] = due.date().isoformat()
        return copies

    def check_stored(self, now: datetime, stored: list[tuple[str, str]], keep: timedelta | None) -> None:
        """Compare every stored (url, fetched_at) with what was seen: a url stored twice is doubled;
        a url seen once, young enough to be kept by retention and missing now, is lost."""
        counts = Counter(url for url, _ in stored)
        self.doubled |= {url for url, n in counts.items() if n > 1}
        for url, seen_at in self.first_seen.items():
            if url not in counts and (keep is None or seen_at >= now - keep):
                self.lost.add(url)

    def never_stored(self, until: datetime) -> list[str]:
        """Pages published before `until` that no pass stored."""
        return [
            url
            for url, page in self.url_to_page.items()
            if page.published < until and url not in self.first_seen
        ]

    def alert_checks(self, received: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
        """(expected, found) for the alert promises, from the webhook receiver's log."""
        instant: Counter[tuple[str, int]] = Counter()
        digest_entries: Counter[tuple[str, int]] = Counter()
        digest_day: dict[tuple[str, int], str] = {}
        digests_per_day: Counter[tuple[str, str]] = Counter()
        for item in received:
            payload, day = item["payload"], parse_iso(item["at"]).date().isoformat()
            rule = str(payload["rule"]["id"])
            stories = [
                self.url_to_page[e["url"]].story
                for e in payload["events"]
                if e.get("url") in self.url_to_page
            ]
            if payload["type"] == "newsmon.digest":
                digests_per_day[(rule, day)] += 1
                for story in stories:
                    digest_entries[(rule, story)] += 1
                    digest_day[(rule, story)] = day
            else:
                instant.update((rule, story) for story in stories)
        on_time = sum(1 for key, day in self.expected_digest.items() if digest_day.get(key) == day)
        for what, sent, expected in (
            ("instant", instant, self.expected_instant),
            ("digest", digest_entries, set(self.expected_digest)),
        ):
            wrong = sorted(
                (key, sent.get(key, 0))
                for key in expected | set(sent)
                if sent.get(key, 0) != (key in expected)
            )
            for (rule, story), n in wrong[:5]:
                self.notes.append(
                    f"{what} alert of rule {rule} for story {story} (first seen {self.story_seen.get(story)}): sent {n} time(s)"
                )
        return {
            "instant alerts, one per (rule, matching story)": (
                len(self.expected_instant),
                sum(1 for key, n in instant.items() if n == 1 and key in self.expected_instant),
            ),
            "instant alerts sent twice or unasked": (
                0,
                sum(n for key, n in instant.items() if n > 1 or key not in self.expected_instant),
            ),
            "digest entries, one per (rule, matching story)": (
                len(self.expected_digest),
                sum(1 for key, n in digest_entries.items() if n == 1 and key in self.expected_digest),
            ),
            "digest entries sent on their day": (len(self.expected_digest), on_time),
            "days with two digests of one rule": (0, sum(1 for n in digests_per_day.values() if n > 1)),
        }


def periods(days: list[Day], size: int) -> list[list[Day]]:
    grouped: dict[int, list[Day]] = defaultdict(list)
    for day in days:
        grouped[day.day // size].append(day)
    return [grouped[k] for k in sorted(grouped)]


def render(ledger: Ledger, checks: dict[str, tuple[int, int]], wall_s: float) -> tuple[str, bool]:
    """The period table, the checks table and the verdict line; and whether every check held."""
    size = 30 if len(ledger.days) > 60 else 7
    head = (
        "| days | passes | feed polls (failed, deferred) | stored | copies | instant alerts | digests | "
        "rollovers | indices pruned | snapshots | s per day (mean / max) | RSS MB (max) |"
    )
    lines = [head, "|" + " --- |" * 12]
    for group in periods(ledger.days, size):
        secs = [d.seconds for d in group]
        lines.append(
            f"| {group[0].day + 1}-{group[-1].day + 1} | {sum(d.passes for d in group)} | "
            f"{sum(d.polls for d in group)} ({sum(d.failed_polls for d in group)}, "
            f"{sum(d.deferred for d in group)}) | "
            f"{sum(d.stored for d in group)} | {sum(d.copies for d in group)} | {sum(d.instant for d in group)} | "
            f"{sum(d.digests for d in group)} | {sum(d.rolled for d in group)} | {sum(d.pruned for d in group)} | "
            f"{sum(d.snapshots for d in group)} | {sum(secs) / len(secs):.1f} / {max(secs):.1f} | "
            f"{max(d.rss_mb for d in group):.0f} |"
        )
    lines += ["", "| check | expected | found | |", "| --- | --- | --- | --- |"]
    ok = True
    for name, (expected, found) in checks.items():
        good = expected == found
        ok &= good
        lines.append(f"| {name} | {expected} | {found} | {'ok' if good else 'FAILED'} |")
    days = len(ledger.days)
    verdict = (
        f"soak: {days} simulated days in {wall_s:.0f} s ({wall_s / max(days, 1):.1f} s per day): "
        f"{checks['pages published and never stored'][1]} never stored, {len(ledger.lost)} lost, "
        f"{len(ledger.doubled)} doubled, {len(ledger.crashed)} crashed steps -- {'PASS' if ok else 'FAIL'}"
    )
    return "\n".join([*lines, "", *ledger.notes, verdict]), ok
