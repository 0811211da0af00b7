"""The per-feed state record: what one poll does to it (pure, no Elasticsearch)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsmon.reader.state import FeedState, Poll, apply_poll, error_class

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_round_trip_through_the_document():
    state = FeedState(id="a", url="https://x.example/rss", etag='"1"', next_due=NOW, recent_yield=[1, 0])
    doc = state.to_doc()
    assert doc["next_due"] == "2026-11-30T12:00:00Z" and "last_error" not in doc
    assert FeedState.from_doc(doc) == state


def test_moved_to_warns_until_the_config_has_the_new_url():
    state = FeedState(id="a", url="https://old.example/rss")
    moved = apply_poll(state, Poll("new_content", status=200, moved_to="https://new.example/rss"), NOW)
    assert moved.health == "warning" and moved.moved_to == "https://new.example/rss"
    updated = apply_poll(
        moved, Poll("not_modified", status=304), NOW, configured_url="https://new.example/rss"
    )
    assert updated.moved_to is None and updated.health == "ok"


def test_410_is_gone_and_long_failures_are_gone_too():
    state = FeedState(id="a", url="https://x.example/rss")
    gone = apply_poll(state, Poll("failed", status=410, error_class="http_410", error="HTTP 410"), NOW)
    assert gone.health == "gone" and gone.next_due == NOW + timedelta(days=1)
    failing = apply_poll(state, Poll("failed", error_class="timeout", error="timed out"), NOW)
    assert failing.health == "failing" and failing.failing_since == NOW
    later = NOW + timedelta(days=8)
    still = apply_poll(failing, Poll("failed", error_class="timeout", error="timed out"), later)
    assert still.health == "gone" and still.consecutive_failures == 2


def test_a_304_keeps_the_validators_and_a_new_body_replaces_them():
    state = FeedState(id="a", url="u", etag='"1"', last_modified="Mon", body_hash="h1")
    kept = apply_poll(state, Poll("not_modified", status=304), NOW)
    assert (kept.etag, kept.last_modified, kept.body_hash) == ('"1"', "Mon", "h1")
    new = apply_poll(state, Poll("new_content", status=200, etag=None, body_hash="h2", entries=3, new=3), NOW)
    assert (new.etag, new.last_modified, new.body_hash) == (None, None, "h2")
    assert new.recent_yield == [3] and new.last_success_at == NOW


def test_error_classes():
    assert error_class("HTTP 503") == "http_503"
    assert error_class("timed out (ReadTimeout)") == "timeout"
    assert error_class("redirect loop at http://x/") == "redirect_loop"
    assert error_class("connection failed: [Errno 111]") == "connection"
