"""Percolation cost per new story with 10, 100 and 1,000 alert rules stored.

The rules are analyst-like queries (names, treaty names, phrases, a few with filters and a few
that must be tried on every story); the stories are generated news articles indexed into a fresh
prefix. Target: the per-story cost at 1,000 rules under 5x the cost at 10.
"""

from __future__ import annotations

import os
import random
import time
import uuid

from devsite.text import generate_story
from newsmon.alerts.percolate import percolate, sync_rules
from newsmon.alerts.rules import LOG_CHANNEL, AlertRule, LoadedAlerts
from newsmon.records import Article
from newsmon.settings import load_settings
from newsmon.storage import Storage

STORIES = 50
_WORDS = ["treaty", "warhead", "inspection", "enrichment", "missile", "summit", "sanctions", "reactor",
          "verification", "moratorium", "stockpile", "delegation", "protocol", "launcher", "safeguards"]  # fmt: skip


def _rules(n: int) -> list[AlertRule]:
    rng = random.Random(n)
    rules = []
    for i in range(n):
        name = f"Zorvath{i}"
        kind = i % 10
        if kind == 0:
            query = f'"{rng.choice(_WORDS)} {rng.choice(_WORDS)}" AND NOT football'
        elif kind == 1:
            query = "*"  # tried on every story: a tenth of the rules would be unusually many
            if i >= 20:
                query = f"{name} OR {rng.choice(_WORDS)}"
        elif kind == 2:
            query = f"title:{rng.choice(_WORDS)} AND {name}"
        else:
            query = f'{name} OR "{name} {rng.choice(_WORDS)}"'
        rules.append(AlertRule(id=f"r{i}", name=f"Rule {i}", query=query))
    return rules


def run() -> list[str]:
    settings = load_settings(dict(os.environ, NEWSMON_INDEX_PREFIX=f"bench-{uuid.uuid4().hex[:8]}-"))
    with Storage.from_settings(settings) as storage:
        per_story: dict[int, float] = {}
        try:
            storage.setup()
            articles = []
            for n in range(STORIES):
                s = generate_story(2000 + n)
                articles.append(Article(
                    id=f"b{n}", url=f"https://b.example/{n}", canonical_url=f"https://b.example/{n}", source="bench",
                    source_domain="b.example", title=s.title, body="\n".join(s.paragraphs), summary=None, authors=[],
                    published_at="2026-11-27T00:00:00Z", fetched_at="2026-11-28T00:00:00Z", language="en",
                    content_hash=f"h{n}", topics=["arms_control"] if n % 3 == 0 else [], url_ids=[f"b{n}"],
                ))  # fmt: skip
            storage.articles.write(articles, {})
            storage.articles.refresh()
            ids = [a.id for a in articles]
            for count in (10, 100, 1000):
                sync_rules(storage, LoadedAlerts(rules=_rules(count), channels={"log": LOG_CHANNEL}))
                percolate(storage, ids[:5])  # warm-up
                best = min(_timed(storage, ids) for _ in range(3))
                per_story[count] = best / len(ids)
        finally:
            storage.drop_all()
    ratio = per_story[1000] / per_story[10]
    return [
        f"{STORIES} stories percolated per measurement, best of 3",
        *(f"{n:>5} rules: {per_story[n] * 1000:7.2f} ms per story" for n in (10, 100, 1000)),
        f"ratio 1,000 / 10 rules: {ratio:.2f}   (target < 5: {'met' if ratio < 5 else 'NOT met'})",
    ]


def _timed(storage: Storage, ids: list[str]) -> float:
    start = time.perf_counter()
    percolate(storage, ids)
    return time.perf_counter() - start
