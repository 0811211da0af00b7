"""The indexing decisions of a batch: which extracted articles are created, which update a stored
one, which are copies of a stored page under another URL, and which URL forms to remember.

Works against the `ArticleStore` interface (newsmon.storage's `Articles`, or an in-memory one in the
unit tests), so the hardest decisions of a batch are tested without a cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol

from newsmon.clock import iso
from newsmon.records import Article, FeedEntry
from newsmon.storage import IndexResult, Known
from newsmon.summary import RunSummary
from newsmon.urls import canonicalize, doc_id

log = logging.getLogger(__name__)


class ArticleStore(Protocol):
    """What indexing needs of a store."""

    @property
    def alias(self) -> str: ...

    def known(self, ids: Iterable[str]) -> dict[str, Known]: ...

    def write(
        self,
        articles: list[Article],
        replace: Mapping[str, Known],
        chunk_size: int = ...,
        markers: Mapping[str, dict[str, Any]] | None = ...,
    ) -> IndexResult: ...

    def update_many(self, updates: list[tuple[str, str, dict[str, Any]]]) -> Any: ...


# Sets the cluster fields of new articles before they are written; returns their marker fields
# (newsmon.stories.decided.CopyDecider).
DecideCopies = Callable[[list[Article]], dict[str, dict[str, Any]]]


def past_retention(entry: FeedEntry | Article, known: Mapping[str, Known], cutoff: datetime | None) -> bool:
    """A story not stored yet whose own date (a feed entry's newest date; an article's date from
    its page or feed) is older than the retention's cutoff. Retention removes such stories, so
    storing one again would only bring it back, and alert on it a second time, each time its feed
    still lists it; undated ones are kept."""
    if cutoff is None or entry.id in known:
        return False
    if isinstance(entry, FeedEntry):
        when = entry.updated_at or entry.published_at
        return when is not None and when < cutoff
    dated = entry.published_at if entry.published_at_source in ("page", "feed") else None
    return dated is not None and dated < (iso(cutoff) or "")


def is_newer(entry: FeedEntry, known: Known) -> bool:
    if entry.updated_at is None or not known.feed_updated_at:
        return False
    updated = iso(entry.updated_at)
    return updated is not None and updated > known.feed_updated_at


class StreamingIndexer:
    """`index_batch` over a stream of articles, one chunk of `chunk_size` at a time, so a batch never
    holds more than two chunks (one filling, one being written). The decisions and counts are those
    of one `index_batch` call over the whole batch: an article whose page was written by an earlier
    chunk of the batch is another link to it (its URL form is remembered), as within one chunk.

    A full chunk is written by one background thread while the caller goes on handing pages to the
    extraction workers: written inline, each bulk request left the workers idle until Elasticsearch
    answered. Chunks are written one at a time and in order; an error of a write (a full disk, an
    unreachable node) is raised by the next `add` or by `close`. Use as a context manager."""

    def __init__(
        self,
        store: ArticleStore,
        known: Mapping[str, Known],
        summary: RunSummary,
        chunk_size: int,
        decide: DecideCopies | None = None,
    ):
        self.store, self.known, self.summary, self.chunk_size = store, known, summary, chunk_size
        self.decide = decide
        self.written: dict[str, Known] = {}
        self.pending: list[Article] = []
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="index")
        self._writing: Future[None] | None = None

    def __enter__(self) -> StreamingIndexer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._writer.shutdown(wait=True, cancel_futures=True)

    def add(self, article: Article) -> None:
        self.pending.append(article)
        if len(self.pending) >= self.chunk_size:
            self._wait()  # at most one chunk in flight: memory stays bounded, order kept
            chunk, self.pending = self.pending, []
            self._writing = self._writer.submit(self._write, chunk)

    def flush(self) -> None:
        """Write what is pending and wait for every write; raises the first write's error."""
        self._wait()
        if self.pending:
            chunk, self.pending = self.pending, []
            self._write(chunk)

    def _wait(self) -> None:
        if self._writing is not None:
            writing, self._writing = self._writing, None
            writing.result()

    def _write(self, chunk: list[Article]) -> None:
        index_batch(
            self.store,
            chunk,
            self.known,
            self.summary,
            self.chunk_size,
            written=self.written,
            decide=self.decide,
        )


def index_batch(
    store: ArticleStore,
    articles: list[Article],
    known: Mapping[str, Known],
    summary: RunSummary,
    chunk_size: int,
    written: dict[str, Known] | None = None,
    decide: DecideCopies | None = None,
) -> None:
    """Write new and updated articles. `known` holds the stored articles of the feed links' ids;
    `written`, those written by earlier chunks of the same batch (updated here). `decide` sets the
    cluster fields of the new ones before they are written (an updated article is left to the
    cluster step: its text, and so its copies, may have changed)."""
    written = {} if written is None else written
    chosen = _one_per_page(articles, summary)
    to_write, replace, seen_as = _plan(store, chosen, known, written, summary)
    result = None
    if to_write:
        markers = decide([a for a in to_write if a.id not in replace]) if decide else None
        if markers:
            result = store.write(to_write, replace, chunk_size=chunk_size, markers=markers)
        else:
            result = store.write(to_write, replace, chunk_size=chunk_size)
    if result is not None and result.conflicts:  # another batch stored it first under the same id
        now_known = store.known(result.conflicts)
        seen_as += [(now_known[a.id], a.url_ids) for a in to_write if a.id in now_known]
    _remember_url_forms(store, seen_as, written)
    if result is not None:
        _record_written(store, to_write, replace, result, written, summary)


def _one_per_page(articles: list[Article], summary: RunSummary) -> dict[str, Article]:
    """The articles by id, each with the ids of its URL forms; a second feed link to one page adds
    its URL ids to the first and counts as already indexed."""
    chosen: dict[str, Article] = {}
    for art in articles:
        entry_id = doc_id(canonicalize(art.url))
        art.url_ids = sorted({art.id, entry_id})
        if art.id in chosen:  # two feed links led to one page-declared canonical URL
            chosen[art.id].url_ids = sorted(set(chosen[art.id].url_ids) | set(art.url_ids))
            summary.already_indexed += 1
            continue
        chosen[art.id] = art
    return chosen


def _plan(
    store: ArticleStore,
    chosen: dict[str, Article],
    known: Mapping[str, Known],
    written: dict[str, Known],
    summary: RunSummary,
) -> tuple[list[Article], dict[str, Known], list[tuple[Known, list[str]]]]:
    """(articles to write, stored articles they replace, stored pages seen under new URL ids)."""
    # The page-declared canonical URL may be stored already under a link we had not seen.
    by_page = store.known([i for i in chosen if i not in known and i not in written])
    replace: dict[str, Known] = {}
    to_write: list[Article] = []
    seen_as: list[tuple[Known, list[str]]] = []
    for art in chosen.values():
        entry_id = doc_id(canonicalize(art.url))
        stored = known.get(entry_id)
        if art.id in written:  # an earlier chunk of this batch wrote this page
            summary.already_indexed += 1
            seen_as.append((written[art.id], art.url_ids))
            continue
        if stored is not None:
            # An update (the feed says the entry changed): keep the stored identity and URL ids.
            art.id = stored.id
            art.url_ids = sorted(set(art.url_ids) | set(stored.url_ids))
            replace[art.id] = stored
        elif art.id in by_page:
            summary.already_indexed += 1
            seen_as.append((by_page[art.id], art.url_ids))
            continue
        to_write.append(art)
    return to_write, replace, seen_as


def _remember_url_forms(
    store: ArticleStore, seen_as: list[tuple[Known, list[str]]], written: dict[str, Known]
) -> None:
    """Remember the new URL forms of stored articles, so that the next pass skips them unfetched."""
    additions = [
        (k.index, k.id, {"url_ids": sorted(set(k.url_ids) | set(ids))})
        for k, ids in seen_as
        if not set(ids) <= set(k.url_ids)
    ]
    if additions:
        store.update_many(additions)
    for k, ids in seen_as:
        if k.id in written:
            written[k.id] = Known(k.id, k.index, k.feed_updated_at, sorted(set(k.url_ids) | set(ids)))


def _record_written(
    store: ArticleStore,
    to_write: list[Article],
    replace: dict[str, Known],
    result: IndexResult,
    written: dict[str, Known],
    summary: RunSummary,
) -> None:
    """What the write did: the pages now written in this batch, and the run's counts and errors."""
    created, updated = set(result.created), set(result.updated)
    for art in to_write:
        if art.id in created or art.id in updated:
            # the concrete index bulk answered, so a later update by id never goes through the
            # alias (which may have rolled over to another write index since)
            index = result.stored_in.get(art.id) or (
                replace[art.id].index if art.id in replace else store.alias
            )
            written[art.id] = Known(art.id, index, art.feed_updated_at, list(art.url_ids))
    summary.articles_new += len(created)
    summary.articles_updated += len(updated)
    summary.already_indexed += len(result.conflicts)
    summary.indexed += len(created) + len(updated)
    summary.new_ids.extend(sorted(created))
    summary.updated_ids.extend(sorted(updated))
    url_of = {a.id: a.url for a in to_write}
    summary.errors.extend({"url": url_of.get(e["url"], e["url"]), "error": e["error"]} for e in result.errors)
    for art in to_write:
        if art.id not in created and art.id not in updated:
            continue
        if art.topics:
            summary.tagged += 1
        if art.content_type == "pdf":
            summary.pdf_documents += 1
        if art.id in created and art.source in summary.per_feed:
            summary.per_feed[art.source]["new"] += 1
    log.info("indexed %d new and %d updated article(s) into %s", len(created), len(updated), store.alias)
