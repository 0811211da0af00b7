"""The soak's controller: drives newsmon's task functions through the simulated days.

Each day, on newsmon's injected clock: passes at 00:05, 06:05, 12:05 and 18:05 (`run.run_pass`,
feeds polled when due as the DAG would), the digests at 07:00 (`run.send_digests`), maintenance at
00:30 (`run.rollover`, `run.prune`, `run.backup`), and on the plan's days an alert-rule change
(weekly), one Elasticsearch restart and one restore of the night's snapshot after deleting every
index. After each pass the ledger records what it stored; at the end of each day it checks that
nothing stored was lost or doubled. The clock stands still inside a step: a step's writes all carry
its instant, and no step waits on the clock."""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

from newsmon import clock, run
from newsmon.cli import main as cli_main
from newsmon.clock import iso, parse_iso
from newsmon.settings import Settings, load_settings
from newsmon.storage import Storage
from newsmon.storage.pending import PENDING_ALERT, PENDING_CLUSTER
from soak.ledger import Day, Ledger, render
from soak.world import CODES, OUTLETS, World

ROOT = Path(__file__).resolve().parents[1]
PASS_TIMES = (
    timedelta(minutes=5),
    timedelta(hours=6, minutes=5),
    timedelta(hours=12, minutes=5),
    timedelta(hours=18, minutes=5),
)
DIGEST_TIME = timedelta(hours=7)
RULES_TIME = timedelta(minutes=20)
MAINTENANCE_TIME = timedelta(minutes=30)
RESTORE_TIME = timedelta(minutes=40)
RESTART_TIME = timedelta(hours=3)
HOOK_ENV = "NEWSMON_SOAK_HOOK_URL"
DIGEST_RULE, DIGEST_CODES = "soak-digest", CODES[:2]

log = logging.getLogger("soak")


@dataclass(frozen=True)
class Plan:
    """When the once-only events happen, and the lifecycle settings, for a soak of `days` days."""

    days: int

    @property
    def rollover_days(self) -> int:
        return 30 if self.days >= 90 else max(2, self.days // 4)

    @property
    def retention_days(self) -> int:
        return max(2 * self.rollover_days, self.days // 2)

    @property
    def restart_day(self) -> int:
        return self.days // 2

    @property
    def restore_day(self) -> int:
        return self.days * 2 // 3

    def rules(self, day: int) -> dict[str, str]:
        """The instant rules live on `day` (id -> code name): one added a week, and every third
        week the newest one edited to ask for another name instead."""
        rules: dict[str, str] = {}
        for week in range(day // 7 + 1):
            if week % 3 == 2:
                rules[f"soak-week-{week - 1}"] = CODES[(week + 3) % len(CODES)]
            else:
                rules[f"soak-week-{week}"] = CODES[week % len(CODES)]
        return rules


def alerts_yaml(rules: dict[str, str]) -> str:
    lines = ["channels:", f"  - {{id: hook, type: webhook, url_env: {HOOK_ENV}}}", "rules:"]
    for rule_id, code in rules.items():
        lines.append(
            f"  - {{id: {rule_id}, name: 'Soak {code}', query: '{code}', channels: [hook], mode: instant}}"
        )
    query = " OR ".join(DIGEST_CODES)
    lines.append(
        f"  - {{id: {DIGEST_RULE}, name: 'Soak digest', query: '{query}', channels: [hook], mode: digest, "
        f"schedule: '0 {DIGEST_TIME.seconds // 3600} * * *'}}"
    )
    return "\n".join(lines) + "\n"


@contextmanager
def world_served(start: datetime, days: int) -> Iterator[dict[str, Any]]:
    """The world in a process of its own (the pass forks its extraction workers: this process
    should have no server threads), stopped by closing its stdin."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "soak.world", start.isoformat(), str(days)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        yield json.loads(proc.stdout.readline() if proc.stdout else "{}")
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=10)


def _http(method: str, url: str, body: bytes | None = None) -> bytes:
    with urlopen(Request(url, data=body, method=method), timeout=30) as answer:  # noqa: S310 (loopback)
        return bytes(answer.read())


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Soak:
    def __init__(self, days: int, addresses: dict[str, Any], workdir: Path) -> None:
        self.plan = Plan(days)
        self.end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.start = self.end - timedelta(days=days)
        self.world = World(self.start, days)
        self.control = addresses["control"]
        outlets: list[str] = addresses["outlets"]
        url_to_page = {f"{outlets[p.outlet]}{p.path}": p for p in self.world.pages}
        self.ledger = Ledger(self.world, url_to_page)
        self.workdir = workdir
        feeds = ["schedule: '5 */6 * * *'", "feeds:"] + [
            f"  - {{id: outlet-{i}, name: '{name}', url: '{outlets[i]}/feed.xml'}}"
            for i, name in enumerate(OUTLETS)
        ]
        (workdir / "feeds.yaml").write_text("\n".join(feeds) + "\n", encoding="utf-8")
        self.rules: dict[str, str] = {}
        self.set_rules(0)
        self.env = {
            "NEWSMON_INDEX_PREFIX": f"soak-{uuid.uuid4().hex[:8]}-",
            "NEWSMON_ALLOW_PRIVATE_NETWORKS": "1",
            "NEWSMON_FEEDS_FILE": str(workdir / "feeds.yaml"),
            "NEWSMON_ALERTS_FILE": str(workdir / "alerts.yaml"),
            "NEWSMON_ROLLOVER_MAX_AGE": f"{self.plan.rollover_days}d",
            "NEWSMON_RETENTION": f"{self.plan.retention_days}d",
            "NEWSMON_BACKUP_KEEP": "3",
            HOOK_ENV: f"{self.control}/hook",
        }
        os.environ.update(self.env)  # the webhook channel reads its URL from the environment
        self.settings: Settings = load_settings()
        self.now = self.start
        self.last_snapshot = ""

    # -- the clock and the steps ----------------------------------------------------------------

    def at(self, when: datetime) -> None:
        self.now = when
        _http("PUT", f"{self.control}/time", when.isoformat().encode())

    def step(self, day: Day, name: str, fn: Callable[[], Any]) -> Any:
        """Run one step at the current instant; a step that raises is a crash, recorded, not fatal."""
        with clock.use(lambda: self.now):
            try:
                return fn()
            except Exception as exc:  # the soak counts crashes; it must see them all to the end
                self.ledger.crashed.append(f"day {day.day + 1} {name}: {type(exc).__name__}: {exc}")
                log.error("day %d, %s crashed:\n%s", day.day + 1, name, traceback.format_exc())
                return None

    def set_rules(self, day: int) -> None:
        self.rules = self.plan.rules(day)
        (self.workdir / "alerts.yaml").write_text(alerts_yaml(self.rules), encoding="utf-8")

    def one_pass(self, day: Day, ignore_schedule: bool = False) -> None:
        summary = self.step(
            day, "pass", lambda: run.run_pass(self.settings, mode="soak", ignore_schedule=ignore_schedule)
        )
        day.passes += 1
        if summary is not None:
            day.polls += summary.feeds_total
            day.failed_polls += summary.feeds_failed
            day.deferred += summary.feeds_deferred
        # What the pass stored carries its instant (even when a later step of the pass crashed).
        with Storage.from_settings(self.settings) as storage:
            storage.articles.refresh()
            hits = storage.articles.scan({"term": {"fetched_at": iso(self.now)}}, source=["url"])
            urls = [str(h["_source"]["url"]) for h in hits]
        day.copies += self.ledger.stored_by_pass(self.now, urls, self.rules, {DIGEST_RULE: DIGEST_CODES})
        day.stored += len(urls)

    def maintenance(self, day: Day) -> None:
        rolled = self.step(day, "rollover", lambda: run.rollover(self.settings)) or {}
        day.rolled += bool(rolled.get("rolled_over"))
        pruned = self.step(day, "prune", lambda: run.prune(self.settings)) or {}
        day.pruned += len(pruned.get("indices") or [])
        backup = self.step(day, "backup", lambda: run.backup(self.settings)) or {}
        if backup.get("name"):
            day.snapshots += 1
            self.last_snapshot = str(backup["name"])

    def restore(self, day: Day) -> None:
        """Lose everything, then restore the snapshot maintenance took minutes ago."""
        name = self.last_snapshot
        if not name:
            self.ledger.crashed.append(f"day {day.day + 1} restore: no snapshot to restore")
            return
        with Storage.from_settings(self.settings) as storage:
            storage.drop_all()
        code = self.step(day, "restore", lambda: cli_main(["-q", "backup", "restore", name, "--replace"]))
        if code != 0:
            self.ledger.crashed.append(f"day {day.day + 1} restore of {name}: exit {code}")
        self.ledger.notes.append(f"Day {day.day + 1}: every index deleted, then snapshot {name} restored.")

    def restart_elasticsearch(self, day: Day) -> None:
        script = ROOT / "scripts" / "elasticsearch"
        if subprocess.run([script, "status"], capture_output=True).returncode != 0:
            self.ledger.notes.append(
                "Elasticsearch not restarted: it is not the local node of scripts/elasticsearch."
            )
            return
        for action in ("stop", "start"):
            subprocess.run([script, action], check=True, capture_output=True)
        self.ledger.notes.append(f"Day {day.day + 1}: Elasticsearch stopped and started again.")

    # -- the days -------------------------------------------------------------------------------

    def events(self, d: int) -> list[tuple[timedelta, str, Callable[[Day], None]]]:
        events: list[tuple[timedelta, str, Callable[[Day], None]]] = [
            (t, "pass", self.one_pass) for t in PASS_TIMES
        ]
        events.append((DIGEST_TIME, "digests", self.digests))
        if d > 0:
            events.append((MAINTENANCE_TIME, "maintenance", self.maintenance))
        if d > 0 and d % 7 == 0:
            events.append((RULES_TIME, "rules", lambda _day: self.set_rules(d)))
        if d == self.plan.restore_day:
            events.append((RESTORE_TIME, "restore", self.restore))
        if d == self.plan.restart_day:
            events.append((RESTART_TIME, "restart", self.restart_elasticsearch))
        return sorted(events, key=lambda e: e[0])

    def digests(self, day: Day) -> None:
        self.step(day, "digests", lambda: run.send_digests(self.settings))

    def day(self, d: int) -> Day:
        day = Day(d)
        began = time.monotonic()
        midnight = self.start + timedelta(days=d)
        for offset, _name, action in self.events(d):
            self.at(midnight + offset)
            action(day)
        self.at(midnight + timedelta(hours=23, minutes=59))
        self.check_stored()
        day.seconds = time.monotonic() - began
        day.rss_mb = rss_mb()
        return day

    def check_stored(self) -> None:
        with Storage.from_settings(self.settings) as storage:
            storage.articles.refresh()
            hits = storage.articles.scan({"match_all": {}}, source=["url", "fetched_at"])
            stored = [(str(h["_source"]["url"]), str(h["_source"]["fetched_at"])) for h in hits]
        self.ledger.check_stored(self.now, stored, timedelta(days=self.plan.retention_days))

    def cluster_checks(self) -> dict[str, tuple[int, int]]:
        """Each story stored is one cluster: one first-seen copy, every other copy pointing into it."""
        with Storage.from_settings(self.settings) as storage:
            hits = list(
                storage.articles.scan({"match_all": {}}, source=["url", "duplicate_of", "fetched_at"])
            )
        story_of = {h["_id"]: self.ledger.url_to_page[h["_source"]["url"]].story for h in hits}
        leaders: Counter[int] = Counter()
        joined = 0
        for hit in hits:
            story, leader = story_of[hit["_id"]], hit["_source"].get("duplicate_of")
            if leader is None:
                leaders[story] += 1
            elif story_of.get(leader, story) != story:
                joined += 1
        stories = set(story_of.values())
        for story in sorted(s for s in stories if leaders[s] != 1)[:5]:
            pages = [
                f"{h['_id'][:8]} ({h['_index'].rsplit('-', 1)[-1]}, fetched {h['_source'].get('fetched_at')}, "
                f"copy of {(h['_source'].get('duplicate_of') or '-')[:8]})"
                for h in hits
                if story_of[h["_id"]] == story
            ]
            self.ledger.notes.append(
                f"story {story} has {leaders[story]} first-seen copies: {'; '.join(pages)}"
            )
        return {
            "stories stored as one cluster each": (len(stories), sum(1 for s in stories if leaders[s] == 1)),
            "copies joined to another story": (0, joined),
        }

    def received(self) -> list[dict[str, Any]]:
        return list(json.loads(_http("GET", f"{self.control}/received")))

    def finish(self) -> dict[str, tuple[int, int]]:
        """A last pass after the final day (every feed, schedule aside), then every check."""
        last = Day(self.plan.days)
        self.at(self.end + timedelta(hours=1))
        self.one_pass(last, ignore_schedule=True)
        self.at(self.end + DIGEST_TIME)  # the digest of what the last day brought
        self.digests(last)
        self.check_stored()
        with Storage.from_settings(self.settings) as storage:
            pending = {*storage.pending.waiting(PENDING_CLUSTER), *storage.pending.waiting(PENDING_ALERT)}
        checks = {
            "pages published and never stored": (0, len(self.ledger.never_stored(self.end))),
            "pages stored once, then lost": (0, len(self.ledger.lost)),
            "pages stored twice": (0, len(self.ledger.doubled)),
            "crashed steps": (0, len(self.ledger.crashed)),
            "pending markers left": (0, len(pending)),
            **self.cluster_checks(),
        }
        received = self.received()
        for item in received:  # the table's alert columns, by the day each message went out
            d = (parse_iso(item["at"]) - self.start).days
            if 0 <= d < len(self.ledger.days):
                kind = item["payload"].get("type")
                self.ledger.days[d].digests += kind == "newsmon.digest"
                self.ledger.days[d].instant += kind == "newsmon.alert"
        checks.update(self.ledger.alert_checks(received))
        return checks

    def drop(self) -> None:
        with Storage.from_settings(self.settings) as storage:
            storage.drop_all()


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=180, help="simulated days (default 180)")
    parser.add_argument("--keep", action="store_true", help="keep the soak's indices and snapshots")
    parser.add_argument("--verbose", action="store_true", help="newsmon's own log lines too")
    args = parser.parse_args(argv)
    if args.days < 7:
        parser.error("--days must be at least 7 (a week holds one of each event)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="newsmon-soak-"))
    plan = Plan(args.days)
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=args.days)
    print(
        f"soak: {args.days} days from {start.date()} on loopback, {len(OUTLETS)} outlets; rollover after "
        f"{plan.rollover_days} d, retention {plan.retention_days} d, Elasticsearch restarted on day "
        f"{plan.restart_day + 1}, snapshot restored on day {plan.restore_day + 1}",
        flush=True,
    )
    try:
        with world_served(start, args.days) as addresses:
            soak = Soak(args.days, addresses, workdir)
            soak.step(Day(0), "setup", lambda: cli_main(["-q", "setup"]))
            try:
                for d in range(args.days):
                    day = soak.day(d)
                    soak.ledger.days.append(day)
                    print(
                        f"day {d + 1}/{args.days}: {day.passes} passes, {day.stored} stored ({day.copies} copies), "
                        f"{len(soak.ledger.crashed)} crashed so far, {day.seconds:.1f} s",
                        flush=True,
                    )
                checks = soak.finish()
            finally:
                if not args.keep:
                    soak.drop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    table, ok = render(soak.ledger, checks, time.monotonic() - began)
    for line in soak.ledger.crashed[:20]:
        print(f"crashed: {line}")
    print(table)
    return 0 if ok else 1
