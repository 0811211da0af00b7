"""Hostile header values from a feed's server: huge, far-dated, non-ASCII or thousands of digits.

Each costs at most its own feed (a warning or an error naming the header), never the batch: every
other feed's state is written, values are clamped to a day, and a state Elasticsearch refuses is
reported instead of ignored. Feeds on a loopback server, state in the real Elasticsearch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from newsmon import clock
from newsmon.reader.hints import MAX_WAIT_S, from_headers, retry_after_value
from newsmon.reader.schedule import RETRY_AFTER_CAP
from newsmon.reader.state import states_from
from newsmon.run import prepare, process_batch
from newsmon.storage import Storage
from tests.helpers.servers import FeedServer, Reply, rss

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
FIVE_THOUSAND_DIGITS = "9" * 5000

# One response per hostile header the security review tried, each on its own feed.
HOSTILE: dict[str, Reply] = {
    "huge-retry": (429, {"Retry-After": "1000000000000"}, b"slow down"),
    "years-retry": (503, {"Retry-After": "100000000"}, b"slow down"),
    "y9999-retry": (429, {"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, b"slow down"),
    "superscript": (429, {"Retry-After": "²"}, b"slow down"),
    "digits5000": (503, {"Retry-After": FIVE_THOUSAND_DIGITS}, b"slow down"),
}


@pytest.fixture
def server() -> Iterator[FeedServer]:
    s = FeedServer()
    yield s
    s.close()


def feed_reply(server: FeedServer, headers: dict[str, str]) -> Reply:
    return 200, {"Content-Type": "application/rss+xml", **headers}, rss(server.base, [])


def stored(settings, ids) -> dict:
    with Storage.from_settings(settings) as storage:
        return states_from(storage.feed_states.get_many(ids))


def feeds_yaml(server: FeedServer, ids) -> str:
    return "feeds:\n" + "".join(f'  - {{id: {i}, url: "{server.base}/{i}.xml"}}\n' for i in ids)


# -- the values, parsed at the edge ---------------------------------------------------------------


def test_retry_after_superscript_two_is_a_warning_not_a_traceback():
    seconds, warning = retry_after_value("²", NOW)
    assert seconds is None and "Retry-After '²'" in warning and "ignored" in warning
    hints = from_headers({"retry-after": "²", "cache-control": "max-age=³"}, NOW)
    assert hints.retry_after is None and hints.fresh_for is None and len(hints.warnings) == 2


def test_retry_after_of_5000_digits_is_clamped_to_a_day_and_quoted_short():
    seconds, warning = retry_after_value(FIVE_THOUSAND_DIGITS, NOW)
    assert seconds == MAX_WAIT_S == RETRY_AFTER_CAP == 86_400
    assert "clamped" in warning and len(warning) < 200


def test_retry_after_in_year_9999_and_year_1_are_not_dates():
    assert retry_after_value("Fri, 31 Dec 9999 23:59:59 GMT", NOW)[0] is None
    # email.utils reads a two-digit-looking year as RFC 850 does ("0001" -> 2001): in the past, 0 s.
    assert retry_after_value("Mon, 01 Jan 0001 00:00:00 GMT", NOW)[0] == 0
    in_a_week = "Mon, 07 Dec 2026 10:00:00 GMT"
    seconds, warning = retry_after_value(in_a_week, NOW)
    assert seconds == MAX_WAIT_S and "clamped" in warning


def test_cache_control_max_age_99999999999_and_far_expires_are_clamped_to_a_day():
    hints = from_headers({"cache-control": "max-age=99999999999"}, NOW)
    assert hints.fresh_for == MAX_WAIT_S and hints.source == "max-age" and "max-age" in hints.warnings[0]
    far = from_headers(
        {"expires": "Thu, 30 Nov 2028 10:00:00 GMT", "date": "Mon, 01 Jan 1990 00:00:00 GMT"}, NOW
    )
    assert far.fresh_for == MAX_WAIT_S and "Expires" in far.warnings[0]
    past = from_headers({"expires": "Mon, 01 Jan 0001 00:00:00 GMT"}, NOW)
    assert past.fresh_for == 0 and past.source == "Expires"


# -- one feed's bad value costs that feed, never the batch ---------------------------------------


def test_retry_after_1e12_costs_only_that_feed_and_every_state_is_written(server, settings_for):
    server.routes["/huge.xml"] = HOSTILE["huge-retry"]
    server.routes["/good.xml"] = feed_reply(server, {})
    settings = settings_for(feeds_yaml(server, ["huge", "good"]))
    prepare(settings)
    summary = process_batch(["huge", "good"], settings)
    assert summary.per_feed["huge"]["outcome"] == "deferred" and summary.per_feed["good"]["ok"]
    states = stored(settings, ["huge", "good"])
    assert set(states) == {"huge", "good"}
    wait = states["huge"].retry_until - states["huge"].last_poll_at
    assert wait == timedelta(seconds=RETRY_AFTER_CAP)
    assert "clamped" in states["huge"].last_error


def test_retry_after_1e8_silences_the_feed_for_at_most_a_day(server, settings_for):
    server.routes["/years.xml"] = HOSTILE["years-retry"]
    settings = settings_for(feeds_yaml(server, ["years"]))
    prepare(settings)
    process_batch(["years"], settings)
    state = stored(settings, ["years"])["years"]
    assert state.retry_until <= state.last_poll_at + timedelta(days=1)
    server.routes["/years.xml"] = feed_reply(server, {})
    later = clock.now() + timedelta(days=1, minutes=1)
    with clock.use(lambda: later):
        assert prepare(settings) == [["years"]]
        again = process_batch(["years"], settings)  # --ignore-schedule or not: it is due
    assert again.per_feed["years"]["outcome"] == "new_content" and server.hits("/years.xml") == 2


def test_state_stored_with_a_years_long_retry_until_is_polled_again_after_a_day(server, settings_for):
    settings = settings_for(feeds_yaml(server, ["old"]))
    prepare(settings)
    server.routes["/old.xml"] = feed_reply(server, {})
    polled = clock.now() - timedelta(days=1, minutes=1)
    doc = {
        "id": "old",
        "url": f"{server.base}/old.xml",
        "last_poll_at": clock.iso(polled),
        "retry_until": clock.iso(polled + timedelta(days=1200)),  # what the unclamped code stored
        "next_due": clock.iso(polled + timedelta(days=1200)),
    }
    with Storage.from_settings(settings) as storage:
        storage.feed_states.put_many([doc])
    summary = process_batch(["old"], settings)  # what --ignore-schedule runs
    assert summary.per_feed["old"]["outcome"] == "new_content" and server.hits("/old.xml") == 1


def test_retry_after_year_9999_and_max_age_99999999999_states_are_written(server, settings_for):
    server.routes["/y9999.xml"] = HOSTILE["y9999-retry"]
    server.routes["/maxage.xml"] = feed_reply(server, {"Cache-Control": "max-age=99999999999"})
    settings = settings_for(feeds_yaml(server, ["y9999", "maxage"]))
    prepare(settings)
    summary = process_batch(["y9999", "maxage"], settings)
    assert not [e for e in summary.errors if "state not written" in e["error"]]
    states = stored(settings, ["y9999", "maxage"])
    assert set(states) == {"y9999", "maxage"}
    assert states["maxage"].hints["fresh_for"] == MAX_WAIT_S and states["maxage"].health == "warning"
    assert states["maxage"].next_due <= states["maxage"].last_poll_at + timedelta(days=1)
    assert "neither seconds nor an HTTP date" in states["y9999"].last_error


def test_state_document_the_mapping_rejects_is_reported_not_ignored(server, settings_for):
    settings = settings_for(feeds_yaml(server, ["ok"]))
    prepare(settings)
    refused: dict[str, str] = {}
    with Storage.from_settings(settings) as storage:
        written = storage.feed_states.put_many(
            [
                {"id": "ok", "url": "http://h.example/a.xml", "interval_s": 900},
                {"id": "bad", "url": "http://h.example/b.xml", "hints": {"fresh_for": 99999999999}},
            ],
            failed=refused,
        )
    assert written == 1 and list(refused) == ["bad"]
    assert "HTTP 400" in refused["bad"] and "fresh_for" in refused["bad"]


def test_retry_after_superscript_and_5000_digits_are_the_feeds_warning_not_a_traceback(server, settings_for):
    server.routes["/sup.xml"] = HOSTILE["superscript"]
    server.routes["/digits.xml"] = HOSTILE["digits5000"]
    settings = settings_for(feeds_yaml(server, ["sup", "digits"]))
    prepare(settings)
    summary = process_batch(["sup", "digits"], settings)
    states = stored(settings, ["sup", "digits"])
    assert "Traceback" not in json.dumps(summary.to_dict()) and "ValueError" not in json.dumps(summary.errors)
    assert states["sup"].health == "failing" and "Retry-After '²'" in states["sup"].last_error
    assert states["digits"].last_outcome == "deferred" and len(states["digits"].last_error) < 300


# -- acceptance: a whole pass through the CLI --------------------------------------------------


def test_pass_with_every_hostile_header_exits_0_and_writes_every_feeds_state(server, settings_for):
    good = [f"good{i}" for i in range(3)]
    for feed_id, reply in HOSTILE.items():
        server.routes[f"/{feed_id}.xml"] = reply
    server.routes["/maxage.xml"] = feed_reply(server, {"Cache-Control": "max-age=99999999999"})
    server.routes["/expires.xml"] = feed_reply(server, {"Expires": "Fri, 31 Dec 9999 23:59:59 GMT"})
    for feed_id in good:
        server.routes[f"/{feed_id}.xml"] = feed_reply(server, {})
    ids = [*HOSTILE, "maxage", "expires", *good]
    settings = settings_for(feeds_yaml(server, ids))
    prepare(settings)
    for attempt in (1, 2):  # the next pass must not crash either
        run = subprocess.run(
            [sys.executable, "-m", "newsmon.cli", "-q", "run", "--json", "--ignore-schedule"],
            capture_output=True, text=True, env=os.environ.copy(), timeout=300,
        )  # fmt: skip
        assert run.returncode == 0, (attempt, run.stderr[-2000:])
        out = json.loads(run.stdout)
        assert set(out["per_feed"]) == set(ids) and "Traceback" not in run.stderr
    states = stored(settings, ids)
    assert set(states) == set(ids)
    assert all(states[i].health == "ok" and states[i].last_outcome == "unchanged" for i in good)
    assert all(
        s.retry_until is None or s.retry_until <= s.last_poll_at + timedelta(days=1) for s in states.values()
    )
