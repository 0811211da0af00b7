"""Polls of the sources that are not feeds: sitemaps and listing pages.

Each poll is what a feed's is (newsmon.reader.poll): a conditional GET of the source's URL with its
stored validators (`not_modified`, `unchanged`, `deferred` and `failed` as for feeds), then, for a
changed body, FeedEntry records made by newsmon.reader.entries (entry cap, language hints,
implausible dates), so dedupe, tagging and indexing after them are the same.

- `type: sitemap`: a urlset (news or plain) gives its URLs with their publication date, title and
  language; an index gives its children, each fetched with its own stored validators (at most
  NEWSMON_SITEMAP_MAX_CHILDREN documents a poll; a child that fails is named in the poll's
  warnings and errors, and the index is asked again in full next time so the child is retried).
  Entries dated more than `max_age_days` ago are left out; the newest `max_entries` are kept.
- `type: page`: the page's links matching `pattern` (newsmon.reader.pages): the first poll
  records the baseline and takes at most `first_poll_max`; later polls the links not seen before.
  The page itself obeys robots.txt (unless `robots: false`), as article pages do.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from newsmon.config import FeedConfig
from newsmon.errors import FetchError
from newsmon.fetching import HTML_TYPES, Fetcher
from newsmon.politeness import Robots
from newsmon.reader.entries import entries_of
from newsmon.reader.formats import ParsedEntry, ParsedFeed
from newsmon.reader.pages import baseline_key, page_links, take
from newsmon.reader.request import Polled, conditional_get
from newsmon.reader.sitemaps import ParsedSitemap, SitemapRejected, parse_sitemap
from newsmon.reader.state import FeedState, Poll

log = logging.getLogger("newsmon.feeds")

SITEMAP_ACCEPT = "application/xml, text/xml;q=0.9, application/gzip;q=0.8, */*;q=0.5"
PAGE_ACCEPT = ", ".join(HTML_TYPES) + ", */*;q=0.5"
# An index may name child indexes; deeper nesting than this is not followed.
MAX_INDEX_DEPTH = 3


def poll_source(fetcher: Fetcher, feed: FeedConfig, state: FeedState | None, now: datetime) -> Polled:
    """One poll of a sitemap or page source; never raises for the source's own problems."""
    if feed.type == "sitemap":
        return poll_sitemap(fetcher, feed, state, now)
    if feed.type == "page":
        return poll_page(fetcher, feed, state, now)
    raise ValueError(f"source {feed.id}: type {feed.type!r} is not polled here")


# -- sitemaps -------------------------------------------------------------------------------------


def poll_sitemap(fetcher: Fetcher, feed: FeedConfig, state: FeedState | None, now: datetime) -> Polled:
    cap = fetcher.settings.max_feed_bytes
    got = conditional_get(fetcher, feed, state, now, max_bytes=cap, accept=SITEMAP_ACCEPT)
    if isinstance(got, Polled):
        return got
    base, fetched = got
    try:
        top = parse_sitemap(fetched.content, fetched.final_url, cap)
    except SitemapRejected as exc:
        base.body_hash = None  # so that a fixed sitemap is read the moment it is fixed
        base.error_class, base.error = exc.kind, exc.reason
        return Polled(feed, base)
    old_parts = state.parts if state is not None and state.url == feed.shown_url else {}
    parts: dict[str, dict[str, str]] = {}
    warnings = list(top.warnings)
    entries = list(top.entries)
    if top.children:
        read, failed = _children(fetcher, feed, top, old_parts, parts, entries, warnings)
        if failed:
            base.part_errors = failed
            warnings += failed
            # The index is asked for in full next time (no validators, no body hash): the children
            # that failed are retried, the others answer 304 to their own validators.
            base.etag = base.last_modified = base.body_hash = None
            if not read:
                base.error_class = "children_failed"
                base.error = f"every child sitemap failed: {failed[0]}" + (
                    f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
                )
                return Polled(feed, base)
    kept, old = _recent(entries, feed, now)
    if old:
        warnings.append(f"{old} entries dated more than {feed.max_age_days:g} days ago (left out)")
    if len(kept) > feed.max_entries:
        warnings.append(f"{len(kept)} recent entries; only the newest {feed.max_entries} are taken")
    parsed = ParsedFeed(format=top.format, title=None, entries=kept[: feed.max_entries], warnings=warnings)
    records = entries_of(parsed, feed, now)
    base.outcome = "new_content"
    base.format = _format(top, entries)
    base.entries = len(records)
    base.warnings = base.warnings + parsed.warnings
    base.parts = parts
    return Polled(feed, base, records)


def _format(top: ParsedSitemap, entries: list[ParsedEntry]) -> str:
    if top.format != "sitemap-index":
        return top.format
    news = any(e.title is not None and e.published is not None for e in entries)
    return "sitemap-index/news" if news else "sitemap-index"


def _children(
    fetcher: Fetcher,
    feed: FeedConfig,
    top: ParsedSitemap,
    old_parts: dict[str, dict[str, str]],
    parts: dict[str, dict[str, str]],
    entries: list[ParsedEntry],
    warnings: list[str],
) -> tuple[int, list[str]]:
    """Read the children of an index (breadth first, children of child indexes too): their entries
    into `entries`, their validators into `parts`. (children read or unchanged, failures named)."""
    limit = fetcher.settings.sitemap_max_children
    queue: list[tuple[str, int]] = [(url, 1) for url in top.children]
    done: set[str] = set()
    failed: list[str] = []
    read = 0
    while queue:
        url, depth = queue.pop(0)
        if url in done:
            continue
        if len(done) >= limit:
            rest = len({u for u, _ in queue if u not in done} | {url})
            warnings.append(
                f"{rest} more child sitemap(s) not read this poll (NEWSMON_SITEMAP_MAX_CHILDREN={limit})"
            )
            break
        done.add(url)
        shown = feed.scrub_url(url) or url
        known = old_parts.get(url, {}) if feed.conditional else {}
        try:
            child, validators = _read_child(fetcher, url, known, feed.conditional)
        except FetchError as exc:
            failed.append(f"child sitemap {shown}: {exc.reason}")
            continue
        read += 1
        parts[url] = validators
        if child is None:  # unchanged since the last poll: its URLs were offered then
            continue
        entries.extend(child.entries)
        warnings.extend(f"child sitemap {shown}: {w}" for w in child.warnings if "gzip'd" not in w)
        if child.children and depth < MAX_INDEX_DEPTH:
            queue.extend((c, depth + 1) for c in child.children)
        elif child.children:
            warnings.append(f"child sitemap {shown}: an index nested too deep (not followed)")
    return read, failed


def _read_child(
    fetcher: Fetcher, url: str, known: dict[str, str], conditional: bool
) -> tuple[ParsedSitemap | None, dict[str, str]]:
    """One child sitemap, asked with its stored validators: (None, validators) when it has not
    changed, (parsed, new validators) otherwise. Raises FetchError naming why it cannot be read."""
    cap = fetcher.settings.max_feed_bytes
    headers = {}
    if known.get("etag"):
        headers["If-None-Match"] = known["etag"]
    if known.get("last_modified"):
        headers["If-Modified-Since"] = known["last_modified"]
    got = fetcher.get(url, max_bytes=cap, accept=SITEMAP_ACCEPT, headers=headers, raise_for_status=False)
    if got.status == 304 and known:
        return None, known
    if got.status >= 300:
        raise FetchError(url, f"HTTP {got.status}")
    digest = hashlib.sha256(got.content).hexdigest()
    found = (
        ("etag", got.headers.get("etag")),
        ("last_modified", got.headers.get("last-modified")),
        ("body_hash", digest),
    )
    validators = {k: v for k, v in found if v} if conditional else {}
    if known.get("body_hash") == digest:
        return None, validators
    return parse_sitemap(got.content, got.final_url, cap), validators


def _recent(entries: list[ParsedEntry], feed: FeedConfig, now: datetime) -> tuple[list[ParsedEntry], int]:
    """Entries dated within `max_age_days` newest first, then the undated ones in document order;
    and how many were older. One entry per URL (the same URL in two children counts once)."""
    since = now - timedelta(days=feed.max_age_days)
    dated: list[tuple[datetime, ParsedEntry]] = []
    undated: list[ParsedEntry] = []
    old = 0
    seen: set[str] = set()
    for entry in entries:
        if entry.link in seen:
            continue
        seen.add(entry.link)
        when = entry.published or entry.updated
        if when is None:
            undated.append(entry)
        elif when < since:
            old += 1
        else:
            dated.append((when, entry))
    dated.sort(key=lambda pair: pair[0], reverse=True)
    return [e for _, e in dated] + undated, old


# -- pages ----------------------------------------------------------------------------------------


def poll_page(fetcher: Fetcher, feed: FeedConfig, state: FeedState | None, now: datetime) -> Polled:
    settings = fetcher.settings
    # A listing page is crawled like an article page: robots.txt first, unless `robots: false`.
    # (A sitemap is written for crawlers; a feed is subscribed to: neither is checked.)
    deferred = state is not None and state.deferred_until(now) is not None
    if feed.robots and not deferred and not Robots(fetcher).allowed(feed.url):
        reason = "disallowed by robots.txt (`robots: false` on the source skips the check)"
        return Polled(feed, Poll("failed", error_class="robots", error=reason))
    got = conditional_get(fetcher, feed, state, now, max_bytes=settings.max_page_bytes, accept=PAGE_ACCEPT)
    if isinstance(got, Polled):
        return got
    base, fetched = got
    matcher = feed.matcher()
    if matcher is None:  # validated away in config; kept for a hand-made FeedConfig
        base.error_class, base.error = "error", "a page source needs a pattern"
        return Polled(feed, base)
    if fetched.content_type and fetched.content_type not in HTML_TYPES:
        base.body_hash = None
        base.error_class = "not_html"
        base.error = f"not an HTML page (Content-Type {fetched.content_type})"
        return Polled(feed, base)
    links = page_links(fetched.content, fetched.final_url, matcher)
    key = baseline_key(feed.shown_url, feed.pattern)
    seen = state.seen if state is not None and state.seen_key == key else None
    taken = take(
        links,
        seen,
        first_poll_max=feed.first_poll_max,
        max_entries=feed.max_entries,
        keep=settings.page_seen_max,
    )
    warnings: list[str] = []
    if taken.baseline:
        warnings.append(
            f"first poll: {taken.matching} matching link(s) recorded as the baseline, "
            f"{len(taken.links)} taken (first_poll_max={feed.first_poll_max})"
        )
    elif not links:
        warnings.append("no link on the page matches the pattern")
    parsed = ParsedFeed(
        format="page",
        title=None,
        entries=[ParsedEntry(link=link.url, title=link.title) for link in taken.links],
        warnings=warnings,
    )
    records = entries_of(parsed, feed, now)
    base.outcome = "new_content"
    base.format = "page"
    base.entries = len(records)
    # The baseline is news for this poll's summary, not a lasting warning on the source's health.
    base.notes = [w for w in parsed.warnings if w.startswith("first poll")]
    base.warnings = base.warnings + [w for w in parsed.warnings if not w.startswith("first poll")]
    for note in base.notes:
        log.info("source %s: %s", feed.id, note)
    base.seen, base.seen_key = taken.seen, key
    return Polled(feed, base, records)
