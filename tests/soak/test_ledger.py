"""The soak's bookkeeping finds what it is there to find: a page stored twice, a page lost, an
alert sent twice or not at all, a digest entry on the wrong day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from soak.ledger import Ledger
from soak.world import World, code_of

START = datetime(2026, 3, 1, tzinfo=UTC)


def ledger() -> Ledger:
    world = World(START, 7)
    return Ledger(world, {f"http://o{p.outlet}{p.path}": p for p in world.pages})


def originals(book: Ledger) -> list[str]:
    return [url for url, page in book.url_to_page.items() if not page.copy]


def test_a_page_stored_twice_is_doubled_and_one_gone_is_lost() -> None:
    book = ledger()
    first, second, *_ = originals(book)
    at = START + timedelta(hours=6)
    book.stored_by_pass(at, [first, second], {}, {})
    book.check_stored(at, [(first, ""), (first, "")], keep=timedelta(days=30))
    assert book.doubled == {first}
    assert book.lost == {second}
    assert book.never_stored(START + timedelta(days=7))  # most pages were never stored here


def test_retention_excuses_only_what_is_older_than_it() -> None:
    book = ledger()
    first, *_ = originals(book)
    book.stored_by_pass(START, [first], {}, {})
    book.check_stored(START + timedelta(days=3), [], keep=timedelta(days=2))
    assert book.lost == set()
    book.check_stored(START + timedelta(days=1), [], keep=timedelta(days=2))
    assert book.lost == {first}


def test_alerts_sent_twice_missing_or_late_fail_their_checks() -> None:
    book = ledger()
    url = originals(book)[0]
    story = book.url_to_page[url].story
    at = START + timedelta(hours=6, minutes=5)
    book.stored_by_pass(at, [url], {"r": code_of(story)}, {"d": (code_of(story),)})
    assert book.expected_instant == {("r", story)}
    assert book.expected_digest == {("d", story): "2026-03-01"}
    event = {"url": url}
    received = [
        {"at": at.isoformat(), "payload": {"type": "newsmon.alert", "rule": {"id": "r"}, "events": [event]}},
        {"at": at.isoformat(), "payload": {"type": "newsmon.alert", "rule": {"id": "r"}, "events": [event]}},
        {
            "at": "2026-03-02T07:00:00+00:00",
            "payload": {"type": "newsmon.digest", "rule": {"id": "d"}, "events": [event]},
        },
    ]
    checks = book.alert_checks(received)
    assert checks["instant alerts, one per (rule, matching story)"] == (1, 0)
    assert checks["instant alerts sent twice or unasked"] == (0, 2)
    assert checks["digest entries, one per (rule, matching story)"] == (1, 1)
    assert checks["digest entries sent on their day"] == (1, 0)
