"""The indexing decisions of a batch, against an in-memory store (no Elasticsearch).

The same decisions run against the real cluster in test_pipeline.py and test_store.py; here each
case is set up exactly and checked in full: what is created, what replaces a stored document,
what is skipped as already stored, which URL forms are remembered, and the counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from newsmon.indexing import StreamingIndexer, index_batch, is_newer
from newsmon.records import Article, FeedEntry
from newsmon.storage import IndexResult, Known
from newsmon.summary import RunSummary
from newsmon.urls import canonicalize, doc_id

INDEX = "articles-000001"


class MemoryStore:
    """The articles interface of newsmon.indexing (ArticleStore), held in a dict, with the same conflict rules."""

    alias = "mem-articles"

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}  # id -> {"index", "url_ids", "feed_updated_at", ...}
        self.writes: list[tuple[str, str]] = []  # (op, id)
        self.updates: list[tuple[str, str, dict[str, Any]]] = []
        self.race: set[str] = set()  # ids another batch creates just before this one's bulk lands
        self.failing: set[str] = set()  # ids whose write is rejected

    def store(self, art_id: str, url_ids: list[str], feed_updated_at: str | None = None) -> Known:
        self.docs[art_id] = {"index": INDEX, "url_ids": sorted(url_ids), "feed_updated_at": feed_updated_at}
        return Known(art_id, INDEX, feed_updated_at, sorted(url_ids))

    def known(self, ids: Iterable[str]) -> dict[str, Known]:
        wanted = set(ids)
        found: dict[str, Known] = {}
        for art_id, doc in self.docs.items():
            known = Known(art_id, doc["index"], doc["feed_updated_at"], list(doc["url_ids"]))
            for key in {art_id, *doc["url_ids"]} & wanted:
                found[key] = known
        return found

    def write(
        self,
        articles: list[Article],
        replace: Mapping[str, Known],
        chunk_size: int = 200,
        markers: Mapping[str, dict[str, Any]] | None = None,
    ) -> IndexResult:
        result = IndexResult()
        for art in self.race:
            self.store(art, [art])
        for art in articles:
            if art.id in self.failing:
                result.errors.append({"url": art.id, "error": "index failed: mapper_parsing_exception"})
            elif art.id in replace:
                self.writes.append(("index", art.id))
                self.docs[art.id] = {"index": replace[art.id].index, "url_ids": art.url_ids,
                                     "feed_updated_at": art.feed_updated_at}  # fmt: skip
                result.updated.append(art.id)
            elif art.id in self.docs:
                result.conflicts.append(art.id)
            else:
                self.writes.append(("create", art.id))
                self.store(art.id, art.url_ids, art.feed_updated_at)
                result.created.append(art.id)
        return result

    def update_many(self, updates: list[tuple[str, str, dict[str, Any]]]) -> int:
        self.updates.extend(updates)
        for _index, art_id, doc in updates:
            self.docs[art_id].update(doc)
        return len(updates)


def article(link: str, *, canonical: str | None = None, source: str = "feed-a", topics=()) -> Article:
    canonical = canonical or canonicalize(link)
    return Article(
        id=doc_id(canonical), url=link, canonical_url=canonical, source=source, source_domain="example.org",
        title="t", body="b", summary=None, authors=[], published_at=None, fetched_at="2026-11-30T10:00:00Z",
        language="en", topics=list(topics),
    )  # fmt: skip


def summary_for(*feeds: str) -> RunSummary:
    s = RunSummary()
    for f in feeds:
        s.per_feed[f] = {"ok": True, "entries": 0, "new": 0}
    return s


def test_new_articles_are_created_and_counted():
    store, summary = MemoryStore(), summary_for("feed-a")
    arts = [article("https://example.org/a", topics=["arms_control"]), article("https://example.org/b")]
    index_batch(store, arts, {}, summary, chunk_size=10)
    assert store.writes == [("create", arts[0].id), ("create", arts[1].id)]
    assert (summary.articles_new, summary.articles_updated, summary.indexed, summary.tagged) == (2, 0, 2, 1)
    assert summary.new_ids == sorted(a.id for a in arts)
    assert summary.per_feed["feed-a"]["new"] == 2
    assert store.docs[arts[0].id]["url_ids"] == [arts[0].id]


def test_an_updated_entry_keeps_the_stored_identity_and_url_forms():
    store, summary = MemoryStore(), summary_for("feed-a")
    link = "https://example.org/story"
    entry_id = doc_id(canonicalize(link))
    # Stored under the page's canonical URL, with the feed link among its URL forms.
    stored = store.store("stored-id", ["stored-id", entry_id, "old-form"])
    index_batch(store, [article(link)], {entry_id: stored}, summary, chunk_size=10)
    assert store.writes == [("index", "stored-id")]
    assert store.docs["stored-id"]["url_ids"] == sorted(["stored-id", entry_id, "old-form"])
    assert (summary.articles_new, summary.articles_updated, summary.updated_ids) == (0, 1, ["stored-id"])
    assert summary.per_feed["feed-a"]["new"] == 0


def test_a_page_already_stored_under_its_canonical_url_is_skipped_and_the_new_form_remembered():
    store, summary = MemoryStore(), summary_for("feed-b")
    canonical = "https://example.org/story"
    stored = store.store(doc_id(canonical), [doc_id(canonical)])
    # A new link (another feed, a mobile URL) whose page declares the stored canonical URL.
    art = article("https://m.example.org/story?ref=feed", canonical=canonical, source="feed-b")
    index_batch(store, [art], {}, summary, chunk_size=10)
    assert store.writes == []
    new_form = doc_id(canonicalize(art.url))
    assert store.updates == [(INDEX, stored.id, {"url_ids": sorted([stored.id, new_form])})]
    assert (summary.already_indexed, summary.articles_new, summary.indexed) == (1, 0, 0)


def test_two_links_to_one_page_in_a_batch_make_one_article_with_both_forms():
    store, summary = MemoryStore(), summary_for("feed-a")
    canonical = "https://example.org/story"
    first = article("https://example.org/story?utm_source=x&id=1", canonical=canonical)
    second = article("https://example.org/amp/story", canonical=canonical)
    index_batch(store, [first, second], {}, summary, chunk_size=10)
    assert store.writes == [("create", doc_id(canonical))]
    forms = {doc_id(canonical), doc_id(canonicalize(first.url)), doc_id(canonicalize(second.url))}
    assert set(store.docs[doc_id(canonical)]["url_ids"]) == forms
    assert (summary.articles_new, summary.already_indexed) == (1, 1)


def test_a_race_lost_to_another_batch_is_counted_and_the_url_form_remembered():
    store, summary = MemoryStore(), summary_for("feed-a")
    canonical = "https://example.org/story"
    art = article("https://example.org/story?from=rss", canonical=canonical)
    store.race.add(art.id)  # another batch creates it between our look-up and our write
    index_batch(store, [art], {}, summary, chunk_size=10)
    assert (summary.articles_new, summary.already_indexed, summary.indexed) == (0, 1, 0)
    assert store.updates and store.updates[0][1] == art.id
    assert doc_id(canonicalize(art.url)) in store.docs[art.id]["url_ids"]


def test_a_rejected_write_is_an_error_naming_the_url():
    store, summary = MemoryStore(), summary_for("feed-a")
    good, bad = article("https://example.org/good"), article("https://example.org/bad")
    store.failing.add(bad.id)
    index_batch(store, [good, bad], {}, summary, chunk_size=10)
    assert summary.errors == [
        {"url": "https://example.org/bad", "error": "index failed: mapper_parsing_exception"}
    ]
    assert (summary.articles_new, summary.indexed) == (1, 1)


def test_nothing_to_write_writes_nothing():
    store, summary = MemoryStore(), summary_for()
    index_batch(store, [], {}, summary, chunk_size=10)
    assert store.writes == [] and store.updates == [] and summary.indexed == 0


def _mixed_batch(store: MemoryStore) -> tuple[list[Article], dict[str, Known]]:
    """New pages, two links to one page far apart, an update, a page stored under its canonical URL."""
    canonical, stored_canonical = "https://example.org/story", "https://example.org/old-story"
    store.store(doc_id(stored_canonical), [doc_id(stored_canonical)])
    update_link = "https://example.org/updated"
    known = {
        doc_id(canonicalize(update_link)): store.store("upd", ["upd", doc_id(canonicalize(update_link))])
    }
    arts = [
        article("https://example.org/story?utm_source=x&id=1", canonical=canonical),
        article("https://example.org/a", topics=["arms_control"]),
        article(update_link),
        article("https://example.org/b"),
        article("https://m.example.org/old-story", canonical=stored_canonical),
        article("https://example.org/amp/story", canonical=canonical),  # another chunk than the first
        article("https://example.org/c"),
    ]
    return arts, known


def test_streaming_in_chunks_decides_and_counts_as_one_batch():
    whole, chunked = MemoryStore(), MemoryStore()
    one, streamed = summary_for("feed-a"), summary_for("feed-a")
    arts, known = _mixed_batch(whole)
    index_batch(whole, arts, known, one, chunk_size=10)
    arts, known = _mixed_batch(chunked)
    with StreamingIndexer(chunked, known, streamed, chunk_size=2) as indexer:
        for art in arts:
            indexer.add(art)
        indexer.flush()
    assert chunked.docs == whole.docs  # same documents with the same URL forms
    assert sorted(chunked.writes) == sorted(whole.writes)
    assert streamed.to_dict() | {"new_ids": sorted(streamed.new_ids)} == one.to_dict() | {
        "new_ids": sorted(one.new_ids)
    }
    assert (one.articles_new, one.articles_updated, one.already_indexed) == (4, 1, 2)


def test_an_entry_is_newer_only_when_the_feed_says_it_changed():
    from datetime import UTC, datetime

    link = "https://example.org/x"
    entry = FeedEntry("feed-a", link, link, doc_id(link), updated_at=datetime(2026, 11, 30, 12, tzinfo=UTC))
    assert is_newer(entry, Known("x", INDEX, "2026-11-30T11:00:00Z"))
    assert not is_newer(entry, Known("x", INDEX, "2026-11-30T12:00:00Z"))
    assert not is_newer(entry, Known("x", INDEX, None))
    entry.updated_at = None
    assert not is_newer(entry, Known("x", INDEX, "2026-11-30T11:00:00Z"))


class _Unwritable(MemoryStore):
    """A store whose bulk writes fail as a full disk makes them (after the first chunk)."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks = 0

    def write(
        self, articles: list[Article], replace: Mapping[str, Known], chunk_size: int = 200
    ) -> IndexResult:
        self.chunks += 1
        if self.chunks > 1:
            raise RuntimeError("index read-only")
        return super().write(articles, replace, chunk_size)


def test_a_chunk_written_in_the_background_still_stops_the_batch_when_it_fails():
    store = _Unwritable()
    arts, known = _mixed_batch(store)
    store.chunks = 0
    raised = False
    try:
        with StreamingIndexer(store, known, summary_for("feed-a"), chunk_size=2) as indexer:
            for art in arts:
                indexer.add(art)
            indexer.flush()
    except RuntimeError as exc:
        raised = "read-only" in str(exc)
    assert raised, "the failed write was not raised to the batch"
    assert store.chunks == 2  # no chunk is written after the one that failed
