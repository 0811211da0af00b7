"""Story-level dedupe: the rule in memory (`newsmon similar`) and the clusters in Elasticsearch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from newsmon.records import Article
from newsmon.storage import Storage
from newsmon.stories.clustering import cluster_docs, is_copy, make_doc
from newsmon.stories.similarity import (
    band_keys,
    containment,
    decode_sketch_arrays,
    encode_sketch,
    fingerprint,
    jaccard,
    line_arrays,
    line_shingles,
    overlap_sorted,
    shingles,
    union_grams,
)
from newsmon.stories.stored import cluster_stories

FIX = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "dedupe" / "stories.json").read_text(encoding="utf-8")
)
WIRE = "\n".join(FIX["wire"])
EDITED = "\n".join(FIX["wire"][:4] + [FIX["edited_extra"]])  # last paragraph cut, one added
INDEPENDENT = "\n".join(FIX["independent"])
PROMO = "\n".join(FIX["promo"])
ED = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "dedupe" / "edited.json").read_text(encoding="utf-8")
)
LONG_WIRE, LONG_EDITED, LONG_INDEPENDENT = ("\n".join(ED[k]) for k in ("wire", "edited", "independent"))


def _no_boilerplate(_source: str, _h: str) -> int:
    return 0


def test_an_edited_copy_joins_as_edited_below_the_near_threshold():
    wire, edited = make_doc("w", LONG_WIRE, "wire.example"), make_doc("e", LONG_EDITED, "daily.example")
    a, b = shingles(LONG_WIRE), shingles(LONG_EDITED)
    assert jaccard(a, b) < 0.5 < containment(a, b)  # the case whole-document Jaccard misses
    assert is_copy(wire, edited, _no_boilerplate)[0] == "edited"
    matches: dict[str, str] = {}
    assert cluster_docs([wire, edited], matches) == [["e", "w"]]
    assert matches == {"w": "edited", "e": "edited"}


def test_overlap_gives_jaccard_containment_and_the_shared_count_at_once():
    a, b = shingles(LONG_WIRE), shingles(LONG_EDITED)
    arrays = line_arrays(line_shingles(LONG_WIRE)), decode_sketch_arrays(fingerprint(LONG_EDITED).sketch)
    got = overlap_sorted(union_grams(arrays[0]), union_grams(arrays[1]))
    assert got == (jaccard(a, b), containment(a, b), len(a & b))
    assert overlap_sorted(union_grams(arrays[0]), union_grams([])) == (0.0, 0.0, 0)
    small = [(None, np.array([1, 2, 3, 4], dtype="<u4")), (None, np.array([3, 4, 5], dtype="<u4"))]
    assert overlap_sorted(union_grams(small[:1]), union_grams(small[1:])) == (2 / 5, 2 / 3, 2)
    para = next(h for h, _g in arrays[0] if h)
    assert set(union_grams(arrays[0], [para]).tolist()) == shingles(LONG_WIRE, [para])


def test_an_independent_report_of_the_same_event_stays_apart_though_it_quotes_the_same_statement():
    docs = [
        make_doc("w", LONG_WIRE, "wire.example"),
        make_doc("e", LONG_EDITED, "daily.example"),
        make_doc("i", LONG_INDEPENDENT, "other.example"),
    ]
    assert set(ED["wire"]) & set(ED["independent"])  # one quoted paragraph in common
    matches: dict[str, str] = {}
    assert cluster_docs(docs, matches) == [["e", "w"], ["i"]]
    assert "i" not in matches


def test_one_outlet_reusing_background_paragraphs_is_not_an_edited_copy():
    first = make_doc("a", "\n".join(ED["outlet_first"]), "paper.example")
    follow = make_doc("b", "\n".join(ED["outlet_follow_up"]), "paper.example")
    assert is_copy(first, follow, _no_boilerplate)[0] is None
    # The same outlet's own copy under a second URL still joins.
    again = make_doc("c", "\n".join(ED["outlet_first"]) + "\nRead more", "paper.example")
    assert is_copy(first, again, _no_boilerplate)[0] == "near"


def test_match_kinds_exact_and_near():
    wire = make_doc("w", LONG_WIRE, "wire.example")
    assert is_copy(wire, make_doc("x", LONG_WIRE, "paper.example"), _no_boilerplate)[0] == "exact"
    near = make_doc("n", "Photo: agency file\n" + LONG_WIRE, "paper.example")
    assert is_copy(wire, near, _no_boilerplate)[0] == "near"


def _as_sets(lines):
    return [(h, set(g.tolist())) for h, g in lines]


def test_the_stored_sketch_gives_the_shingles_of_the_body():
    lines = line_shingles(LONG_EDITED + "\nShort line")
    assert _as_sets(decode_sketch_arrays(encode_sketch(lines))) == lines
    fp = fingerprint(LONG_EDITED)
    assert set().union(*(g for _h, g in _as_sets(decode_sketch_arrays(fp.sketch)))) == shingles(LONG_EDITED)
    # A paragraph left out as boilerplate is left out of the sketch's shingles too.
    para = next(h for h, _g in lines if h)
    wire_doc = make_doc("e", LONG_EDITED, "x.example")
    assert _as_sets(wire_doc.lines()) == line_shingles(LONG_EDITED)
    assert shingles(LONG_EDITED, [para]) < shingles(LONG_EDITED)


def test_copies_join_and_independent_stories_do_not():
    docs = [
        make_doc("wire", WIRE, source="wire.example"),
        make_doc("copy", "Photo: agency file\n" + WIRE, source="paper.example"),
        make_doc("edited", EDITED, source="daily.example"),
        make_doc("independent", INDEPENDENT, source="other.example"),
    ]
    groups = cluster_docs(docs)
    assert ["copy", "edited", "wire"] in groups
    assert ["independent"] in groups


def test_shared_boilerplate_of_one_outlet_does_not_join_its_stories():
    # Short stories under a long promo block: without the boilerplate rule they would look alike.
    docs = [
        make_doc(f"s{n}", f"{p[0]}\n{PROMO}", source="town.example")
        for n, p in enumerate(FIX["outlet_stories"])
    ]
    a, b = shingles(docs[0].body), shingles(docs[1].body)
    assert jaccard(a, b) > 0.5  # the trap is real
    assert cluster_docs(docs) == [["s0"], ["s1"], ["s2"]]


def test_band_keys_are_deterministic_and_shared_by_copies():
    first, again = band_keys(shingles(WIRE)), band_keys(shingles(WIRE))
    assert first == again and len(first) == 42
    assert set(first) & set(band_keys(shingles(EDITED)))
    assert not set(first) & set(band_keys(shingles(FIX["outlet_stories"][0][0])))


def test_similar_cli_prints_one_line_per_cluster_singletons_included():
    lines = [
        {"id": "1", "title": "a", "body": WIRE},
        {"id": "2", "title": "b", "body": INDEPENDENT},
        {"id": "3", "title": "c", "body": EDITED},
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "similar", "--jsonl"],
        input="\n".join(json.dumps(x) for x in lines), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(x) for x in proc.stdout.splitlines()] == [{"ids": ["1", "3"]}, {"ids": ["2"]}]
    bad = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "similar", "--jsonl"],
        input='{"id": "1"}\n', capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 1 and "stdin line 1" in bad.stderr


# -- in Elasticsearch ------------------------------------------------------------------------


def _article(
    doc_id: str, body: str, domain: str, published: str, sketch: bool = True, fetched: str | None = None
) -> Article:
    from newsmon.clock import now_iso
    from newsmon.extraction import content_hash
    from newsmon.stories.similarity import fingerprint

    fp = fingerprint(body)
    return Article(
        id=doc_id, url=f"https://{domain}/{doc_id}", canonical_url=f"https://{domain}/{doc_id}", source=domain,
        source_domain=domain, title=doc_id, body=body, summary=None, authors=[], published_at=published,
        fetched_at=fetched or now_iso(), language="en", content_hash=content_hash(body),
        para_hashes=fp.paragraph_hashes, lsh_bands=fp.bands, url_ids=[doc_id],
        shingle_sketch=fp.sketch if sketch else "",
    )  # fmt: skip


def _state(storage: Storage) -> dict[str, tuple]:
    storage.articles.refresh()
    hits = storage.es.search(index=storage.articles.alias, size=100)["hits"]["hits"]
    return {
        h["_id"]: (
            h["_source"].get("duplicate_of"),
            h["_source"].get("cluster_size"),
            tuple(h["_source"].get("outlets") or ()),
        )
        for h in hits
    }


COPIES = [
    ("orig", WIRE, "wire.example", "2026-11-20T08:00:00Z"),
    ("copy1", "Photo: agency file\n" + WIRE, "paper.example", "2026-11-20T09:00:00Z"),
    ("copy2", EDITED, "daily.example", "2026-11-20T11:00:00Z"),
]


@pytest.mark.integration
@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_clusters_are_right_in_any_arrival_order_and_under_retries(storage, order):
    storage.articles.write([_article(*COPIES[order[0]])], {})
    cluster_stories(storage.articles, [COPIES[order[0]][0]])
    new = [COPIES[i][0] for i in order[1:]]
    storage.articles.write([_article(*COPIES[i]) for i in order[1:]], {})
    first = cluster_stories(storage.articles, new)
    again = cluster_stories(storage.articles, new)  # a retried task
    outlets = ("daily.example", "paper.example", "wire.example")
    assert _state(storage) == {
        "orig": (None, 3, outlets),
        "copy1": ("orig", 3, outlets),
        "copy2": ("orig", 3, outlets),
    }
    assert first["duplicates"] == sum(1 for i in order[1:] if COPIES[i][0] != "orig") and again == first


@pytest.mark.integration
def test_edited_copy_joins_in_elasticsearch_without_refetching_bodies(storage, monkeypatch):
    arts = [
        _article("w", LONG_WIRE, "edition.wire.com", "2026-11-20T08:00:00Z"),
        _article("e", LONG_EDITED, "daily.co.uk", "2026-11-20T09:00:00Z"),
        _article("i", LONG_INDEPENDENT, "other.org", "2026-11-20T07:00:00Z"),
        _article(
            "x", LONG_WIRE, "us.wire.com", "2026-11-20T10:00:00Z", sketch=False
        ),  # stored before sketches
    ]
    storage.articles.write(arts[:3], {})
    cluster_stories(storage.articles, ["w", "i"])
    asked: list[list[str]] = []
    get_many = storage.articles.get_many
    monkeypatch.setattr(
        storage.articles, "get_many", lambda ids, fields: asked.append(fields) or get_many(ids, fields)
    )
    cluster_stories(storage.articles, ["e"])
    assert asked and all("body" not in fields for fields in asked)
    storage.articles.write(arts[3:], {})
    cluster_stories(storage.articles, ["x"])  # no sketch: its body is read instead
    assert ["body"] in asked
    storage.articles.refresh()
    src = {
        h["_id"]: h["_source"]
        for h in storage.es.search(index=storage.articles.alias, size=10)["hits"]["hits"]
    }
    assert (
        src["e"]["duplicate_of"] == "w"
        and src["x"]["duplicate_of"] == "w"
        and src["i"]["duplicate_of"] is None
    )
    assert (src["w"]["match"], src["e"]["match"], src["x"]["match"]) == ("exact", "edited", "exact")
    # edition.wire.com and us.wire.com are one outlet (registered domain)
    assert src["w"]["outlets"] == ["daily.co.uk", "wire.com"] and src["w"]["cluster_size"] == 3


@pytest.mark.integration
def test_independent_story_stays_alone(storage):
    storage.articles.write(
        [_article(*COPIES[0]), _article("indep", INDEPENDENT, "other.example", "2026-11-20T07:00:00Z")], {}
    )
    cluster_stories(storage.articles, ["orig", "indep"])
    state = _state(storage)
    assert state["indep"][0] is None and state["orig"][0] is None
    assert state["indep"][1] in (None, 1)


@pytest.mark.integration
def test_outlet_boilerplate_in_elasticsearch_does_not_join(storage):
    stories = [
        _article(f"s{n}", f"{p[0]}\n{PROMO}", "town.example", f"2026-11-2{n}T00:00:00Z")
        for n, p in enumerate(FIX["outlet_stories"])
    ]
    storage.articles.write(stories, {})
    cluster_stories(storage.articles, [a.id for a in stories])
    assert all(dup is None for dup, _size, _o in _state(storage).values())


@pytest.mark.integration
def test_two_new_copies_joining_different_members_of_one_stored_story_make_one_cluster(storage):
    # A stored story as earlier runs left it: leader L with copies c1 and c2, whose texts differ
    # enough that a new copy of c1 is not a copy of c2 (think of two differently edited versions).
    town = "\n".join(p[0] for p in FIX["outlet_stories"])
    stored = [
        _article("L", town, "wire.example", "2026-11-20T08:00:00Z"),
        _article("c1", INDEPENDENT, "daily.example", "2026-11-20T09:00:00Z"),
        _article("c2", WIRE, "paper.example", "2026-11-20T10:00:00Z"),
    ]
    for art in stored:
        art.cluster_size = 3
        art.duplicate_of = None if art.id == "L" else "L"
    storage.articles.write(stored, {})
    # Two new exact copies, one of each copy; n1 was published before everything else.
    storage.articles.write(
        [
            _article("n1", INDEPENDENT, "early.example", "2026-11-19T08:00:00Z"),
            _article("n2", WIRE, "late.example", "2026-11-21T08:00:00Z"),
        ],
        {},
    )
    cluster_stories(storage.articles, ["n1", "n2"])
    state = _state(storage)
    assert [i for i, (dup, _size, _o) in state.items() if dup is None] == ["n1"]
    assert {dup for i, (dup, _s, _o) in state.items() if i != "n1"} == {"n1"}
    assert {size for _d, size, _o in state.values()} == {5}


def test_empty_bodies_are_not_copies_of_each_other():
    docs = [make_doc(x, "", source=f"{x}.example") for x in "abc"]
    assert cluster_docs(docs) == [["a"], ["b"], ["c"]]


@pytest.mark.integration
def test_near_copies_join_within_the_window_and_exact_ones_at_any_age(storage):
    old = "2026-01-05T00:00:00Z"
    storage.articles.write(
        [
            _article("old-exact", WIRE, "wire.example", "2026-01-04T08:00:00Z", fetched=old),
            _article("old-near", EDITED, "daily.example", "2026-01-04T09:00:00Z", fetched=old),
        ],
        {},
    )
    storage.articles.write([_article("new", WIRE, "paper.example", "2026-11-20T08:00:00Z")], {})
    cluster_stories(storage.articles, ["new"], window_days=30)
    state = _state(storage)
    assert state["new"][0] == "old-exact"  # the same body, ten months on: still the same story
    assert state["old-near"][0] is None and state["old-near"][1] in (None, 1)  # outside the window


def _story(n: int, footer: list[str]) -> str:
    paragraphs = [" ".join(f"s{n}p{p}w{k}" for k in range(40)) for p in range(8)]  # ~600 words
    return "\n".join(paragraphs + footer)


@pytest.mark.integration
def test_an_outlets_footer_does_not_make_its_stories_candidates_of_each_other(storage, monkeypatch):
    import newsmon.stories.stored as stored

    footer = [
        "Subscribe to our newsletter for the latest headlines delivered to your inbox every single morning",
        "Our journalism is supported by readers like you and we thank you for your continued support today",
        "All rights reserved and no part of this article may be reproduced without written permission here",
    ]
    stories = [
        _article(f"s{n}", _story(n, footer), "outlet.example", "2026-11-20T08:00:00Z") for n in range(5)
    ]
    storage.articles.write(stories[:4], {})
    cluster_stories(storage.articles, [a.id for a in stories[:4]])
    compared: list[tuple[str, str]] = []
    real = stored.is_copy
    monkeypatch.setattr(stored, "is_copy", lambda a, b, *r: compared.append((a.id, b.id)) or real(a, b, *r))
    storage.articles.write(stories[4:], {})
    cluster_stories(storage.articles, ["s4"])
    # Four stories already carry the footer: it is boilerplate of outlet.example, so sharing it
    # makes no candidate (before, each story was confirmed against every other of its outlet).
    assert compared == []
    assert _state(storage)["s4"][0] is None


@pytest.mark.integration
def test_a_story_larger_than_a_page_of_results_is_counted_whole(storage):
    storage.page_size = 4  # each scan pages through several responses
    copies = [
        _article(f"c{n:02d}", WIRE, f"outlet{n}.example", f"2026-11-20T{8 + n:02d}:00:00Z") for n in range(12)
    ]
    storage.articles.write(copies[:7], {})
    cluster_stories(storage.articles, [a.id for a in copies[:7]])
    storage.articles.write(copies[7:], {})
    cluster_stories(storage.articles, [a.id for a in copies[7:]])
    state = _state(storage)
    assert {i: lead for i, (lead, _size, _) in state.items()} == {
        a.id: None if a.id == "c00" else "c00" for a in copies
    }
    # The leader carries the story's size and outlets; a copy keeps those of when it joined (the
    # first round's copies are not rewritten when the story grows).
    assert state["c00"][1] == 12 and len(state["c00"][2]) == 12  # every outlet
    assert {i: size for i, (_lead, size, _) in state.items() if i != "c00"} == {
        a.id: 7 if a in copies[:7] else 12 for a in copies[1:]
    }
