"""From new feed entries to Articles: fetch the pages, then extract, tag and fingerprint each one in
a pool of worker processes (or inline, for a few pages).

One broken page never ends a batch: its reason is returned instead of an Article. A page whose
extraction outlasts NEWSMON_EXTRACT_TIMEOUT, or kills its worker (memory, a crash in a parser), has
its worker replaced (newsmon.workers) and is returned as a FailedPage, to be retried later; so is a
PDF document that cannot be read (encrypted, broken, scanned: newsmon.extraction.pdf). Pages
stream through: fetched into a bounded window, extracted, yielded, so a batch of any length holds
only a few pages at a time.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmon.clock import iso
from newsmon.errors import FetchError
from newsmon.extraction import LANGUAGE_SURE, Extraction, content_hash, extract_page, warm_up
from newsmon.extraction.pdf import PDF_TYPES, PdfRefused, extract_pdf, is_pdf
from newsmon.fetching import HTML_TYPES, Fetched, Fetcher
from newsmon.records import Article, FeedEntry
from newsmon.settings import Settings
from newsmon.stories.similarity import fingerprint
from newsmon.summary import RunSummary
from newsmon.tagging import Tagger, load_taxonomy
from newsmon.urls import doc_id, domain
from newsmon.workers import Failed, WorkerPool

log = logging.getLogger(__name__)

PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,application/pdf;q=0.8,*/*;q=0.5"
PAGE_WINDOW_PER_WORKER = 4  # fetched pages waiting for a worker: enough to keep each one busy

_TAGGER: Tagger | None = None
_TAGGER_PATH: Path | None = None


def _tagger(topics_path: Path) -> Tagger:
    global _TAGGER, _TAGGER_PATH
    if _TAGGER is None or _TAGGER_PATH != topics_path:
        _TAGGER = Tagger(load_taxonomy(topics_path))
        # The Chinese and Japanese segmenters too, so forked workers share their dictionaries.
        _TAGGER.warm_up()
        _TAGGER_PATH = topics_path
    return _TAGGER


@dataclass(frozen=True)
class Refused:
    """A document that cannot be read (an encrypted, broken or scanned PDF): recorded as a failed
    page, so that it is not fetched again before its retry time."""

    reason: str


def build_article(
    fetched: Fetched, entry: FeedEntry, topics_path: Path, pdf_max_pages: int = 50
) -> Article | str | Refused:
    """Extract, tag and assemble one article (an HTML page or a PDF document); a string is the
    reason it is not one."""
    if is_pdf(fetched.content_type, fetched.content):
        try:
            ext = extract_pdf(fetched.content, now=fetched.at, max_pages=pdf_max_pages)
        except PdfRefused as exc:
            return Refused(exc.reason)
    else:
        ext = extract_page(fetched.content, fetched.final_url, feed_summary=entry.summary, now=fetched.at)
    if not ext.is_article:
        return "; ".join(ext.notes) or "not an article"
    canonical = ext.canonical_url or entry.canonical_url
    art_id = doc_id(canonical)
    # "page" for a PDF's own date too (its metadata or first page; the extraction notes say which)
    published, published_source = ext.published_at, "page"
    if not published and entry.published_at:
        published, published_source = iso(entry.published_at), "feed"
    fetched_at = iso(fetched.at) or ""
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
        content_type=ext.content_type,
        page_count=ext.page_count,
    )
    return article


def _language(ext: Extraction, entry: FeedEntry) -> str | None:
    """Detected or declared language; the feed's hint when the page declares none and detection is unsure."""
    if entry.language_hint and not ext.declared_language and ext.language_score < LANGUAGE_SURE:
        return entry.language_hint
    return ext.language


def _worker(
    fetched: Fetched, entry: FeedEntry, topics_path: Path, pdf_max_pages: int = 50
) -> tuple[str, Article | str | Refused]:
    try:
        return entry.link, build_article(fetched, entry, topics_path, pdf_max_pages)
    except Exception as exc:  # one broken page must not end the batch
        log.exception("extraction failed for %s", entry.link)
        return entry.link, f"extraction failed: {type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class FailedPage:
    """A page whose extraction was stopped (past NEWSMON_EXTRACT_TIMEOUT) or killed its worker, or a
    document that cannot be read (Refused): not fetched again before a later retry time."""

    entry_id: str
    url: str
    reason: str


class _Fetching:
    """Pages fetched by threads into a bounded queue: a thread with a page waits while the queue is
    full, so at most `window` + fetch_concurrency pages are held, however long the batch. Politely:
    a per-host cap and gap, and robots.txt unless the entry's feed is in `robots_off`."""

    def __init__(
        self, fetcher: Fetcher, entries: list[FeedEntry], window: int, robots_off: Collection[str] = ()
    ) -> None:
        from newsmon.politeness import HostQueues, Robots, host_of

        self.fetcher = fetcher
        # Per-host queues: each thread takes a page it can start now, so one slow host holds at
        # most its own slots, never the threads that other hosts' pages wait for.
        self.hosts = HostQueues(
            entries,
            lambda e: host_of(e.link),
            fetcher.settings.host_concurrency,
            fetcher.settings.host_min_gap,
        )
        self.robots = Robots(fetcher)
        self.robots_off = frozenset(robots_off)
        self.queue: queue.Queue[tuple[FeedEntry, Fetched | FetchError]] = queue.Queue(maxsize=window)
        self.stopping = threading.Event()
        self.pool = ThreadPoolExecutor(
            max_workers=fetcher.settings.fetch_concurrency, thread_name_prefix="fetch"
        )
        for _ in range(min(fetcher.settings.fetch_concurrency, len(entries))):
            self.pool.submit(self._work)

    def _work(self) -> None:
        while (entry := self.hosts.take(self.stopping)) is not None:
            self._fetch(entry)

    def _get(self, entry: FeedEntry) -> Fetched:
        if entry.feed_id not in self.robots_off and not self.robots.allowed(entry.link):
            raise FetchError(entry.link, "disallowed by robots.txt")
        settings = self.fetcher.settings
        fetched = self.fetcher.get(
            entry.link,
            max_bytes=settings.max_page_bytes,
            accept=PAGE_ACCEPT,
            type_caps=dict.fromkeys(PDF_TYPES, settings.pdf_max_bytes),
        )
        kind = fetched.content_type
        if kind and kind not in HTML_TYPES and not is_pdf(kind, fetched.content):
            raise FetchError(entry.link, f"not an HTML page or a PDF ({kind})")
        return fetched

    def _fetch(self, entry: FeedEntry) -> None:
        if self.stopping.is_set():
            return
        got: Fetched | FetchError
        try:
            got = self._get(entry)
        except FetchError as exc:
            got = exc
        except Exception as exc:
            got = FetchError(entry.link, f"{type(exc).__name__}: {exc}")
        finally:
            self.hosts.release(entry)  # the host's slot is free before the page waits for the window
        while not self.stopping.is_set():
            try:
                self.queue.put((entry, got), timeout=0.2)
                return
            except queue.Full:
                continue

    def take(self, wait_s: float) -> tuple[FeedEntry, Fetched | FetchError] | None:
        try:
            return self.queue.get(timeout=wait_s) if wait_s > 0 else self.queue.get_nowait()
        except queue.Empty:
            return None

    def close(self) -> None:
        self.stopping.set()
        self.pool.shutdown(wait=True, cancel_futures=True)


def _start_pool(settings: Settings, pages: int) -> WorkerPool | None:
    """Extraction processes; None (extraction in this process, without a time budget) only where
    this process may not have children (a daemonic worker of some executors)."""
    try:
        return WorkerPool(_worker, min(settings.workers, pages), settings.extract_timeout)
    except (AssertionError, OSError) as exc:
        log.warning(
            "no extraction processes (%s): pages are extracted in this process, without a time budget", exc
        )
        return None


class _Jobs:
    """Fetched pages handed to extraction one at a time, and what became of each: fetch errors,
    pages past their budget and non-articles go to the run summary."""

    def __init__(
        self,
        fetching: _Fetching,
        todo: list[FeedEntry],
        summary: RunSummary,
        topics_path: Path,
        pdf_max_pages: int,
    ):
        self.fetching, self.todo, self.summary, self.topics_path = fetching, todo, summary, topics_path
        self.pdf_max_pages = pdf_max_pages
        self.taken = 0

    def next_job(self, wait_s: float) -> tuple[FeedEntry, tuple[Any, ...]] | None:
        """The next page to extract; None when none arrived within `wait_s`, StopIteration when done."""
        while self.taken < len(self.todo):
            got = self.fetching.take(wait_s)
            if got is None:
                return None
            self.taken += 1
            entry, page = got
            if self.taken % 50 == 0:
                log.info("pages: %d/%d fetched", self.taken, len(self.todo))
            if isinstance(page, FetchError):
                self.summary.errors.append({"url": entry.link, "error": page.reason})
                log.warning("page %s: %s", entry.link, page.reason)
                continue
            return entry, (page, entry, self.topics_path, self.pdf_max_pages)
        raise StopIteration

    def outcome(
        self, entry: FeedEntry, result: tuple[str, Article | str | Refused] | Failed
    ) -> Article | FailedPage | None:
        if isinstance(result, Failed):
            log.error("page %s: %s; its worker was replaced", entry.link, result.reason)
            self.summary.errors.append({"url": entry.link, "error": result.reason})
            return FailedPage(entry.id, entry.link, result.reason)
        _link, made = result
        if isinstance(made, Refused):
            log.warning("page %s: %s", entry.link, made.reason)
            self.summary.errors.append({"url": entry.link, "error": made.reason})
            return FailedPage(entry.id, entry.link, made.reason)
        if isinstance(made, str):
            self.summary.not_articles += 1
            self.summary.errors.append({"url": entry.link, "error": made})
            return None
        return made


def iter_articles(
    fetcher: Fetcher,
    todo: list[FeedEntry],
    settings: Settings,
    summary: RunSummary,
    robots_off: Collection[str] = (),
) -> Iterator[Article | FailedPage]:
    """Articles as their pages are fetched and extracted (the order of completion), and the pages
    that broke their budget. Fetch errors and non-articles go to `summary`."""
    if not todo:
        return
    topics_path = settings.topics_path
    _tagger(topics_path)  # load and validate the taxonomy once, before any worker is forked
    warm_up()  # ... and what extraction loads on first use, so no worker spends its budget on it
    # Workers first: they are forked before the fetch threads exist (see newsmon.workers).
    pool = _start_pool(settings, len(todo))
    fetching = _Fetching(fetcher, todo, PAGE_WINDOW_PER_WORKER * max(1, settings.workers), robots_off)
    jobs = _Jobs(fetching, todo, summary, topics_path, settings.pdf_max_pages)

    try:
        if pool is None:
            while True:
                try:
                    job = jobs.next_job(0.2)
                except StopIteration:
                    break
                if job is not None and (item := jobs.outcome(job[0], _worker(*job[1]))) is not None:
                    yield item
        else:
            for entry, result in pool.run(jobs.next_job):
                if (item := jobs.outcome(entry, result)) is not None:
                    yield item
    finally:
        fetching.close()
        if pool is not None:
            pool.close()
