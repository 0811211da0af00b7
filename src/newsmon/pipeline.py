"""One batch of a monitoring pass: feeds -> entries -> new pages -> extraction -> tags -> index.

A batch runs as one mapped `process_batch` task under Airflow and as the whole of `newsmon run`
without it (see newsmon.passes for the steps around it). Stages hand each other typed records;
only ids and counts leave a batch.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsmon.config import FeedConfig, FeedsConfig, load_feeds
from newsmon.errors import FetchError
from newsmon.extract import content_hash, extract_page
from newsmon.feeds import fetch_feed
from newsmon.fetching import HTML_TYPES, Fetched, Fetcher
from newsmon.records import Article, FeedEntry
from newsmon.settings import Settings
from newsmon.similarity import fingerprint
from newsmon.store import Known, Store
from newsmon.summary import RunSummary
from newsmon.tagging import Tagger
from newsmon.taxonomy import load_taxonomy
from newsmon.urls import canonicalize, doc_id, domain

log = logging.getLogger("newsmon.pipeline")

PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
POOL_MIN_PAGES = 16  # below this a process pool costs more to start than it saves


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if when else None


# -- planning ---------------------------------------------------------------------------------


def plan_batches(feeds: FeedsConfig, max_batches: int) -> list[list[str]]:
    """Enabled feed ids dealt round-robin into at most `max_batches` batches."""
    ids = [f.id for f in feeds.enabled()]
    n = max(1, min(max_batches, len(ids)))
    batches = [ids[i::n] for i in range(n)]
    return [b for b in batches if b]


# -- extraction worker (runs in a process pool, or inline) ------------------------------------

_TAGGER: Tagger | None = None
_TAGGER_PATH: Path | None = None


def _tagger(topics_path: Path) -> Tagger:
    global _TAGGER, _TAGGER_PATH
    if _TAGGER is None or _TAGGER_PATH != topics_path:
        _TAGGER = Tagger(load_taxonomy(topics_path))
        _TAGGER_PATH = topics_path
    return _TAGGER


def build_article(fetched: Fetched, entry: FeedEntry, topics_path: Path) -> Article | str:
    """Extract, tag and assemble one article; a string is the reason it is not one."""
    html = fetched.content
    ext = extract_page(html, fetched.final_url, feed_summary=entry.summary)
    if not ext.is_article:
        return "; ".join(ext.notes) or "not an article"
    canonical = ext.canonical_url or entry.canonical_url
    art_id = doc_id(canonical)
    published, published_source = ext.published_at, "page"
    if not published and entry.published_at:
        published, published_source = _iso(entry.published_at), "feed"
    fetched_at = now_iso()
    if not published:
        published, published_source = fetched_at, "fetched"
    tags = _tagger(topics_path).tag(ext.title or entry.title, ext.body)
    prints = fingerprint(ext.body)
    article = Article(
        id=art_id,
        url=entry.link,
        canonical_url=canonical,
        source=entry.feed_id,
        source_domain=domain(canonical),
        title=ext.title or entry.title,
        body=ext.body,
        summary=entry.summary or ext.description,
        authors=ext.authors,
        published_at=published,
        fetched_at=fetched_at,
        language=ext.language,
        site_name=ext.site_name,
        published_at_source=published_source,
        feed_published_at=_iso(entry.published_at),
        feed_updated_at=_iso(entry.updated_at),
        content_hash=content_hash(ext.body),
        para_hashes=prints.paragraph_hashes,
        lsh_bands=prints.bands,
        topics=tags.topics,
        topic_scores=dict(tags.scores),
        topic_evidence=tags.evidence,
        entities=tags.entities,
        extraction_method=ext.method,
        teaser=ext.teaser,
        extraction={
            "method": ext.method,
            "chars": ext.chars,
            "teaser": ext.teaser,
            "notes": ext.notes,
            "final_url": fetched.final_url,
        },
        outlets=[domain(canonical)],
    )
    return article


def _worker(fetched: Fetched, entry: FeedEntry, topics_path: Path) -> tuple[str, Article | str]:
    try:
        return entry.link, build_article(fetched, entry, topics_path)
    except Exception as exc:  # one broken page must not end the batch
        log.exception("extraction failed for %s", entry.link)
        return entry.link, f"extraction failed: {type(exc).__name__}: {exc}"


class _Inline(Executor):
    """An executor that runs each call at once, in this process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            fut.set_exception(exc)
        return fut


def _noop() -> None:
    return None


def _extraction_pool(settings: Settings, pages: int) -> Executor:
    if settings.workers <= 1 or pages < POOL_MIN_PAGES:
        return _Inline()
    # fork, not spawn or forkserver: those re-run the caller's __main__ in every worker (any script
    # without a main guard breaks) and re-import trafilatura there. Forking is only safe from a
    # process with no other threads, so the pool is created, and all its workers forked (fork
    # contexts start every worker at the first submit), before the fetch threads exist.
    pool = ProcessPoolExecutor(max_workers=settings.workers, mp_context=multiprocessing.get_context("fork"))
    pool.submit(_noop).result()
    return pool


# -- one batch --------------------------------------------------------------------------------


def _fetch_feeds(fetcher: Fetcher, feeds: list[FeedConfig], summary: RunSummary) -> list[FeedEntry]:
    entries: list[FeedEntry] = []
    with ThreadPoolExecutor(max_workers=min(8, max(1, len(feeds)))) as pool:
        futures = {pool.submit(fetch_feed, fetcher, feed): feed for feed in feeds}
        for fut in as_completed(futures):
            feed = futures[fut]
            summary.feeds_total += 1
            try:
                got = fut.result()
            except FetchError as exc:
                summary.feeds_failed += 1
                summary.errors.append({"feed": feed.id, "error": exc.reason})
                summary.per_feed[feed.id] = {"ok": False, "entries": 0, "new": 0}
                log.warning("feed %s: FAILED: %s", feed.id, exc.reason)
                continue
            except Exception as exc:
                summary.feeds_failed += 1
                summary.errors.append({"feed": feed.id, "error": f"{type(exc).__name__}: {exc}"})
                summary.per_feed[feed.id] = {"ok": False, "entries": 0, "new": 0}
                log.exception("feed %s: FAILED", feed.id)
                continue
            summary.feeds_ok += 1
            summary.entries_seen += len(got)
            summary.per_feed[feed.id] = {"ok": True, "entries": len(got), "new": 0}
            log.info("feed %s: %d entries", feed.id, len(got))
            entries.extend(got)
    return entries


def _newer(entry: FeedEntry, known: Known) -> bool:
    if entry.updated_at is None or not known.feed_updated_at:
        return False
    return _iso(entry.updated_at) > known.feed_updated_at  # type: ignore[operator]


def _fetch_pages(
    fetcher: Fetcher, entries: list[FeedEntry]
) -> Iterator[tuple[FeedEntry, Fetched | FetchError]]:
    def get(entry: FeedEntry) -> Fetched:
        fetched = fetcher.get(entry.link, max_bytes=fetcher.settings.max_page_bytes, accept=PAGE_ACCEPT)
        kind = fetched.content_type
        if kind and kind not in HTML_TYPES:
            raise FetchError(entry.link, f"not an HTML page ({kind})")
        if not kind and fetched.content[:5] == b"%PDF-":
            raise FetchError(entry.link, "not an HTML page (a PDF without content type)")
        return fetched

    with ThreadPoolExecutor(max_workers=fetcher.settings.fetch_concurrency) as pool:
        futures = {pool.submit(get, e): e for e in entries}
        for fut in as_completed(futures):
            entry = futures[fut]
            try:
                yield entry, fut.result()
            except FetchError as exc:
                yield entry, exc
            except Exception as exc:
                yield entry, FetchError(entry.link, f"{type(exc).__name__}: {exc}")


def run_batch(feed_ids: list[str], settings: Settings, store: Store | None = None) -> RunSummary:
    """Fetch the feeds of one batch and index what is new in them. Returns counts and ids only."""
    started = time.monotonic()
    feeds_cfg = load_feeds(settings.feeds_path)
    by_id = feeds_cfg.by_id()
    unknown = [i for i in feed_ids if i not in by_id]
    summary = RunSummary()
    for feed_id in unknown:
        summary.errors.append({"feed": feed_id, "error": f"not in {settings.feeds_path}"})
    feeds = [by_id[i] for i in feed_ids if i in by_id]
    own_store = store is None
    store = store or Store.from_settings(settings)
    try:
        with Fetcher(settings) as fetcher:
            entries = _fetch_feeds(fetcher, feeds, summary)
            unique: dict[str, FeedEntry] = {}
            for entry in entries:
                unique.setdefault(entry.id, entry)  # the same link twice (tracking params differ)
            known = store.known(unique)
            todo = [e for e in unique.values() if e.id not in known or _newer(e, known[e.id])]
            summary.already_indexed += len(unique) - len(todo)
            log.info(
                "batch %s: %d entries, %d unique, %d already indexed, %d pages to fetch",
                ",".join(feed_ids), len(entries), len(unique), len(unique) - len(todo), len(todo),
            )  # fmt: skip
            articles = _collect_articles(fetcher, todo, settings, summary)
        _index(store, articles, known, summary, settings)
    finally:
        if own_store:
            store.close()
    summary.duration_s = time.monotonic() - started
    log.info(
        "batch %s done in %.1f s: %d new, %d updated, %d errors",
        ",".join(feed_ids), summary.duration_s, summary.articles_new, summary.articles_updated, len(summary.errors),
    )  # fmt: skip
    return summary


def _collect_articles(
    fetcher: Fetcher, todo: list[FeedEntry], settings: Settings, summary: RunSummary
) -> list[Article]:
    articles: list[Article] = []
    topics_path = settings.topics_path
    _tagger(topics_path)  # load and validate the taxonomy once, before any page is fetched
    pool = _extraction_pool(settings, len(todo))
    pending: list[tuple[Future[tuple[str, Article | str]], Fetched, FeedEntry]] = []

    def submit(got: Fetched, entry: FeedEntry) -> Future[tuple[str, Article | str]]:
        nonlocal pool
        try:
            return pool.submit(_worker, got, entry, topics_path)
        except BrokenProcessPool:
            pool = _Inline()  # a worker died (memory, a crash in a parser): go on in this process
            return pool.submit(_worker, got, entry, topics_path)

    try:
        for n, (entry, got) in enumerate(_fetch_pages(fetcher, todo), 1):
            if isinstance(got, FetchError):
                summary.errors.append({"url": entry.link, "error": got.reason})
                log.warning("page %s: %s", entry.link, got.reason)
            else:
                pending.append((submit(got, entry), got, entry))
            if n % 50 == 0:
                log.info("pages: %d/%d fetched", n, len(todo))
        for fut, got, entry in pending:
            try:
                link, result = fut.result()
            except BrokenProcessPool:
                log.error("extraction worker died; %s extracted in this process instead", entry.link)
                link, result = _worker(got, entry, topics_path)
            if isinstance(result, str):
                summary.not_articles += 1
                summary.errors.append({"url": link, "error": result})
            else:
                articles.append(result)
    finally:
        pool.shutdown(wait=True)
    return articles


def _index(
    store: Store, articles: list[Article], known: dict[str, Known], summary: RunSummary, settings: Settings
) -> None:
    """Write new and updated articles. `known` holds the stored articles of the feed links' ids."""
    chosen: dict[str, Article] = {}
    for art in articles:
        entry_id = doc_id(canonicalize(art.url))
        art.url_ids = sorted({art.id, entry_id})
        if art.id in chosen:  # two feed links led to one page-declared canonical URL
            chosen[art.id].url_ids = sorted(set(chosen[art.id].url_ids) | set(art.url_ids))
            summary.already_indexed += 1
            continue
        chosen[art.id] = art
    # The page-declared canonical URL may be stored already under a link we had not seen.
    by_page = store.known([i for i in chosen if i not in known])
    replace: dict[str, Known] = {}
    to_write: list[Article] = []
    seen_as: list[tuple[Known, list[str]]] = []
    for art in chosen.values():
        entry_id = doc_id(canonicalize(art.url))
        stored = known.get(entry_id)
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
    result = store.index_articles(to_write, replace, chunk_size=settings.bulk_chunk) if to_write else None
    if result is not None and result.conflicts:  # another batch stored it first under the same id
        now_known = store.known(result.conflicts)
        seen_as += [(now_known[a.id], a.url_ids) for a in to_write if a.id in now_known]
    # Remember the new URL forms of stored articles, so that the next pass skips them unfetched.
    additions = [
        (k.index, k.id, {"url_ids": sorted(set(k.url_ids) | set(ids))})
        for k, ids in seen_as
        if not set(ids) <= set(k.url_ids)
    ]
    if additions:
        store.bulk_update(additions)
    if result is None:
        return
    created, updated = set(result.created), set(result.updated)
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
        if art.id in created and art.source in summary.per_feed:
            summary.per_feed[art.source]["new"] += 1
    log.info("indexed %d new and %d updated article(s) into %s", len(created), len(updated), store.alias)
