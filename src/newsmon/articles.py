"""From new feed entries to Articles: fetch the pages, then extract, tag and fingerprint each one in
a pool of worker processes (or inline, for a few pages).

One broken page never ends a batch: its reason is returned instead of an Article. A worker that
dies (memory, a crash in a parser) is replaced by extraction in the calling process.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from newsmon.clock import iso, now_iso
from newsmon.errors import FetchError
from newsmon.extract import LANGUAGE_SURE, content_hash, extract_page
from newsmon.fetching import HTML_TYPES, Fetched, Fetcher
from newsmon.records import Article, FeedEntry
from newsmon.settings import Settings
from newsmon.similarity import fingerprint
from newsmon.summary import RunSummary
from newsmon.tagging import Tagger, load_taxonomy
from newsmon.urls import doc_id, domain

log = logging.getLogger(__name__)

PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
POOL_MIN_PAGES = 16  # below this a process pool costs more to start than it saves

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
        published, published_source = iso(entry.published_at), "feed"
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
        language=_language(ext, entry),
        site_name=ext.site_name,
        published_at_source=published_source,
        feed_published_at=iso(entry.published_at),
        feed_updated_at=iso(entry.updated_at),
        content_hash=content_hash(ext.body),
        para_hashes=prints.paragraph_hashes,
        lsh_bands=prints.bands,
        shingle_sketch=prints.sketch,
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


def _language(ext: Any, entry: FeedEntry) -> str | None:
    """Detected or declared language; the feed's hint when the page declares none and detection is unsure."""
    if entry.language_hint and not ext.declared_language and ext.language_score < LANGUAGE_SURE:
        return entry.language_hint
    return ext.language


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


def fetch_pages(
    fetcher: Fetcher, entries: list[FeedEntry], robots_off: frozenset[str] | set[str] = frozenset()
) -> Iterator[tuple[FeedEntry, Fetched | FetchError]]:
    """Pages of `entries`, politely (per-host cap and gap, robots.txt unless the feed is in `robots_off`)."""
    from newsmon.politeness import HostGate, Robots

    gate = HostGate(fetcher.settings.host_concurrency, fetcher.settings.host_min_gap)
    robots = Robots(fetcher)

    def get(entry: FeedEntry) -> Fetched:
        if entry.feed_id not in robots_off and not robots.allowed(entry.link):
            raise FetchError(entry.link, "disallowed by robots.txt")
        with gate.slot(entry.link):
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


def collect_articles(
    fetcher: Fetcher,
    todo: list[FeedEntry],
    settings: Settings,
    summary: RunSummary,
    robots_off: frozenset[str] | set[str] = frozenset(),
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
        for n, (entry, got) in enumerate(fetch_pages(fetcher, todo, robots_off), 1):
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
