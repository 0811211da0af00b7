"""Copies decided in the batch, before they are indexed (newsmon.stories.decided), on the real
Elasticsearch: written once with their cluster fields, leaders written back, parallel batches
joined, re-runs idempotent, rollovers respected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsmon.clock import now_iso
from newsmon.extraction import content_hash
from newsmon.records import Article
from newsmon.storage import PENDING_CLUSTER, Storage
from newsmon.stories.decided import CLUSTER_WITH, SCREENED, CopyDecider, settle_decided
from newsmon.stories.similarity import fingerprint
from newsmon.stories.stored import cluster_stories

pytestmark = pytest.mark.integration

FIX = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "dedupe" / "stories.json").read_text(encoding="utf-8")
)
WIRE = "\n".join(FIX["wire"])
EDITED = "\n".join(FIX["wire"][:4] + [FIX["edited_extra"]])  # last paragraph cut, one added
INDEPENDENT = "\n".join(FIX["independent"])


def _article(doc_id: str, body: str, domain: str, published: str) -> Article:
    fp = fingerprint(body)
    return Article(
        id=doc_id, url=f"https://{domain}/{doc_id}", canonical_url=f"https://{domain}/{doc_id}", source=domain,
        source_domain=domain, title=doc_id, body=body, summary=None, authors=[], published_at=published,
        fetched_at=now_iso(), language="en", content_hash=content_hash(body), para_hashes=fp.paragraph_hashes,
        lsh_bands=fp.bands, url_ids=[doc_id], shingle_sketch=fp.sketch, outlets=[domain],
    )  # fmt: skip


def _write(storage: Storage, decider: CopyDecider, arts: list[Article]) -> dict[str, dict]:
    markers = decider(arts)
    storage.articles.write(arts, {}, markers=markers)
    return markers


def _settle(storage: Storage) -> dict[str, int]:
    """The cluster step for decided articles, as newsmon.run.cluster does it."""
    waiting = storage.pending.waiting(PENDING_CLUSTER)
    decided = storage.pending.decisions(waiting, SCREENED)
    assert sorted(decided) == sorted(waiting)
    result = settle_decided(storage.articles, decided)
    storage.pending.clear(waiting, PENDING_CLUSTER)
    return result


def _state(storage: Storage) -> dict[str, tuple]:
    """id -> (duplicate_of, cluster_size, outlets, match, version): version 1 is never rewritten."""
    storage.articles.refresh()
    resp = storage.es.search(index=storage.articles.alias, size=100, version=True)
    return {
        h["_id"]: (
            h["_source"].get("duplicate_of"),
            h["_source"].get("cluster_size"),
            tuple(h["_source"].get("outlets") or ()),
            h["_source"].get("match"),
            h["_version"],
        )
        for h in resp["hits"]["hits"]
    }


def test_a_copy_is_written_once_with_its_cluster_and_only_the_leader_is_written_back(storage):
    _write(
        storage,
        CopyDecider(storage.articles),
        [_article("orig", WIRE, "wire.example", "2026-11-20T08:00:00Z")],
    )
    _settle(storage)
    assert _state(storage)["orig"] == (
        None,
        1,
        ("wire.example",),
        None,
        1,
    )  # a story of one: nothing written back

    markers = _write(
        storage,
        CopyDecider(storage.articles),
        [
            _article("copy", WIRE, "paper.example", "2026-11-20T09:00:00Z"),
            _article("edited", EDITED, "daily.example", "2026-11-20T11:00:00Z"),
            _article("indep", INDEPENDENT, "other.example", "2026-11-20T07:00:00Z"),
        ],
    )
    assert markers["copy"][CLUSTER_WITH] == ["orig"] and CLUSTER_WITH not in markers["indep"]
    outlets = ("daily.example", "paper.example", "wire.example")
    before = _state(storage)
    assert before["copy"] == ("orig", 3, outlets, "exact", 1) and before["edited"] == (
        "orig",
        3,
        outlets,
        "near",
        1,
    )
    assert before["orig"][:4] == (None, 1, ("wire.example",), None)  # the leader waits for the cluster step

    assert _settle(storage) == {"duplicates": 2, "clusters_touched": 1}
    after = _state(storage)
    assert after["orig"] == (None, 3, outlets, "exact", 2)  # one partial update of the leader
    assert {i: after[i] for i in ("copy", "edited", "indep")} == {
        i: before[i] for i in ("copy", "edited", "indep")
    }
    # A retried cluster task: the same counts, nothing written again.
    again = settle_decided(storage.articles, storage.pending.decisions(["copy", "edited", "indep"], SCREENED))
    assert again == {"duplicates": 2, "clusters_touched": 1}
    assert _state(storage) == after


def test_copies_within_one_chunk_are_written_once_with_the_earliest_leading(storage):
    arts = [
        _article("late", EDITED, "daily.example", "2026-11-20T11:00:00Z"),
        _article("first", WIRE, "wire.example", "2026-11-20T08:00:00Z"),
        _article("mid", WIRE, "paper.example", "2026-11-20T09:00:00Z"),
    ]
    _write(storage, CopyDecider(storage.articles), arts)
    _settle(storage)
    outlets = ("daily.example", "paper.example", "wire.example")
    assert _state(storage) == {
        "first": (None, 3, outlets, "exact", 1),
        "mid": ("first", 3, outlets, "exact", 1),
        "late": ("first", 3, outlets, "near", 1),
    }


def test_a_new_copy_published_first_is_crowned_and_the_stored_story_follows(storage):
    _write(
        storage,
        CopyDecider(storage.articles),
        [
            _article("a", WIRE, "wire.example", "2026-11-20T08:00:00Z"),
            _article("b", WIRE, "paper.example", "2026-11-20T09:00:00Z"),
        ],
    )
    _settle(storage)
    _write(
        storage,
        CopyDecider(storage.articles),
        [_article("early", EDITED, "daily.example", "2026-11-19T08:00:00Z")],
    )
    assert _state(storage)["early"][:2] == (None, 3)  # written as the leader
    _settle(storage)
    state = _state(storage)
    assert {i: s[:2] for i, s in state.items()} == {"early": (None, 3), "a": ("early", 3), "b": ("early", 3)}
    assert state["early"][4] == 1  # decided right: not rewritten


def test_parallel_batches_that_did_not_see_each_other_end_in_one_story(storage):
    # Two batches screen before either writes: each takes its copy for a new story.
    one, two = CopyDecider(storage.articles), CopyDecider(storage.articles)
    a = [_article("a", WIRE, "wire.example", "2026-11-20T09:00:00Z")]
    b = [_article("b", EDITED, "daily.example", "2026-11-20T08:00:00Z")]
    ma, mb = one(a), two(b)
    storage.articles.write(a, {}, markers=ma)
    storage.articles.write(b, {}, markers=mb)
    assert {i: s[0] for i, s in _state(storage).items()} == {"a": None, "b": None}
    assert _settle(storage)["duplicates"] == 1
    state = _state(storage)
    assert {i: s[:3] for i, s in state.items()} == {
        "b": (None, 2, ("daily.example", "wire.example")),
        "a": ("b", 2, ("daily.example", "wire.example")),
    }
    # The undecided path (articles of older versions, updated pages) finds the same story.
    assert cluster_stories(storage.articles, ["a", "b"]) == {"duplicates": 1, "clusters_touched": 1}
    assert _state(storage) == state


def test_writes_go_to_the_index_that_holds_the_leader_after_a_rollover(storage):
    _write(
        storage,
        CopyDecider(storage.articles),
        [_article("orig", WIRE, "wire.example", "2026-11-20T08:00:00Z")],
    )
    _settle(storage)
    rolled = storage.rollover("0d", "50gb")
    assert rolled["rolled_over"]
    _write(
        storage,
        CopyDecider(storage.articles),
        [_article("copy", WIRE, "paper.example", "2026-11-20T09:00:00Z")],
    )
    _settle(storage)
    hits = {
        h["_id"]: h
        for h in storage.es.search(index=storage.articles.alias, size=10, version=True)["hits"]["hits"]
    }
    assert hits["orig"]["_index"] == rolled["old_index"] and hits["copy"]["_index"] == rolled["new_index"]
    assert hits["orig"]["_source"]["cluster_size"] == 2 and hits["copy"]["_source"]["duplicate_of"] == "orig"
    assert storage.es.count(index=storage.articles.alias)["count"] == 2  # no second document of the leader
