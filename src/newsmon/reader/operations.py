"""What `newsmon feeds status/check/import/export/discover` do, as data; the CLI prints it.

I/O: status_rows reads the feed states through newsmon.storage; check and discover fetch through
newsmon.fetching; import_opml reads the OPML file and writes config/feeds.d/imported.yaml;
status_rows, import_opml and export_opml read the feeds configuration.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsmon import clock
from newsmon.clock import iso
from newsmon.config import FeedConfig, FeedsConfig, feeds_dir, load_feeds, read_yaml, validate
from newsmon.errors import FetchError
from newsmon.reader.state import states_from
from newsmon.settings import Settings

if TYPE_CHECKING:
    from newsmon.reader.opml import MergeReport

IMPORT_FILE = "imported.yaml"


def status_rows(settings: Settings) -> list[dict[str, Any]]:
    """One row per configured feed, its stored state joined (one mget)."""
    from newsmon.storage import open_storage

    feeds = load_feeds(settings.feeds_path).feeds
    with open_storage(settings) as storage:
        states = states_from(storage.feed_states.get_many(f.id for f in feeds))
    rows = []
    for feed in feeds:
        state = states.get(feed.id)
        row: dict[str, Any] = {
            "id": feed.id,
            "type": feed.type,
            "url": feed.shown_url,
            "health": "disabled" if not feed.enabled else (state.health if state else "ok"),
            "consecutive_failures": state.consecutive_failures if state else 0,
            "next_due": iso(state.next_due) if state else None,
            "last_status": state.last_status if state else None,
            "last_error": state.last_error if state else None,
            "etag": state.etag if state else None,
            "last_modified": state.last_modified if state else None,
            "last_outcome": state.last_outcome if state else None,
            "last_poll_at": iso(state.last_poll_at) if state else None,
            "last_success_at": iso(state.last_success_at) if state else None,
            "interval_s": state.interval_s if state else None,
            "interval_reason": state.interval_reason if state else None,
            "moved_to": state.moved_to if state else None,
            "warnings": state.warnings if state else [],
            "polled": state is not None,
        }
        rows.append(row)
    return rows


def check(
    settings: Settings, url: str, source_type: str = "feed", pattern: str | None = None
) -> dict[str, Any]:
    """Fetch and read one source now (a feed unless `source_type` says sitemap or page); writes
    nothing. A sitemap or page is read as a first poll would read it, without a stored state."""
    if source_type != "feed" or pattern is not None:
        return _check_source(settings, url, "page" if pattern is not None else source_type, pattern)
    from newsmon.fetching import Fetcher
    from newsmon.reader.budget import Rejected, parse_job, run_once
    from newsmon.reader.formats import MAX_ENTRIES, FeedRejected
    from newsmon.reader.poll import FEED_ACCEPT

    with Fetcher(settings) as fetcher:
        fetched = fetcher.get(url, max_bytes=settings.max_feed_bytes, accept=FEED_ACCEPT)
    job = (fetched.content, fetched.headers, fetched.final_url, MAX_ENTRIES)
    try:
        parsed = run_once(parse_job, job, settings.parse_timeout, "feed")
    except TimeoutError as exc:
        raise FeedRejected(url, "parse_timeout", str(exc)) from None
    if isinstance(parsed, Rejected):
        reason = parsed.reason
        if re.search(rb"<(?:\w+:)?(?:urlset|sitemapindex)\b", fetched.content[:4096]):
            reason += " (it is a sitemap: check it with --type sitemap)"
        raise FeedRejected(fetched.final_url, parsed.kind, reason)
    warnings = list(parsed.warnings)
    if fetched.permanent_target:
        warnings.append(f"moved permanently to {fetched.permanent_target}")
    return {
        "url": url,
        "final_url": fetched.final_url,
        "format": parsed.format,
        "title": parsed.title,
        "entries": [
            {"link": e.link, "title": e.title, "published_at": iso(e.published or e.updated)}
            for e in parsed.entries
        ],
        "warnings": warnings,
    }


def _check_source(settings: Settings, url: str, source_type: str, pattern: str | None) -> dict[str, Any]:
    from pydantic import ValidationError

    from newsmon.errors import ConfigError
    from newsmon.fetching import Fetcher
    from newsmon.reader.sources import poll_source

    data: dict[str, Any] = {"id": "check", "url": url, "type": source_type, "max_entries": 10_000}
    if pattern is not None:
        data |= {"pattern": pattern, "first_poll_max": 1000}
    else:
        data["max_age_days"] = 3650  # every dated entry, as the sitemap lists them
    try:
        source = FeedConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
    with Fetcher(settings) as fetcher:
        polled = poll_source(fetcher, source, None, clock.now())
    poll = polled.poll
    if poll.outcome == "failed":
        raise FetchError(poll.final_url or url, poll.error or "failed")
    warnings = list(poll.warnings)
    if poll.moved_to:
        warnings.append(f"moved permanently to {poll.moved_to}")
    return {
        "url": url,
        "final_url": poll.final_url or url,
        "format": poll.format,
        "title": None,
        "entries": [
            {
                "link": e.link,
                "title": e.title,
                "published_at": iso(e.published_at),
                "language": e.language_hint,
            }
            for e in polled.entries
        ],
        "warnings": warnings,
    }


def import_opml(settings: Settings, opml_file: Path) -> tuple[Path, MergeReport]:
    """Add the OPML file's feeds to config/feeds.d/imported.yaml; feeds already present are skipped."""
    from newsmon.reader.opml import merge_into_yaml, read_opml

    target = feeds_dir(settings.feeds_path) / IMPORT_FILE
    present = load_feeds(settings.feeds_path).feeds
    mine = {f.id for f in _feeds_of(target)}
    others = [{"id": f.id, "url": f.url} for f in present if f.id not in mine]
    found, notes = read_opml(opml_file, [f.id for f in present], settings.parse_timeout)
    report = merge_into_yaml(target, found, known=others)
    # Outlines the OPML reader skipped (not http(s), or naming a variable) are reported as well.
    report.skipped += [({"url": note.split(": ", 1)[0]}, note.split(": ", 1)[-1]) for note in notes]
    return target, report


def _feeds_of(path: Path) -> list[FeedConfig]:
    if not path.exists():
        return []
    data = read_yaml(path)
    return validate(FeedsConfig, data, path).feeds if data else []


def export_opml(settings: Settings) -> str:
    """All configured feeds as one OPML 2.0 document."""
    from newsmon.reader.opml import export_opml as render

    return render(load_feeds(settings.feeds_path).feeds, now=clock.now())


def discover(settings: Settings, url: str) -> list[dict[str, Any]]:
    """Feed links an HTML page declares (else the usual paths that answer with a feed), then the
    sitemaps the site's robots.txt names in `Sitemap:` lines (kind `sitemap`, `via: robots.txt`)."""
    found = _discover_feeds(settings, url)
    return found + [s for s in _robots_sitemaps(settings, url) if s["url"] not in {f["url"] for f in found}]


def _robots_sitemaps(settings: Settings, url: str) -> list[dict[str, Any]]:
    from urllib.parse import urlsplit, urlunsplit

    from newsmon.fetching import Fetcher
    from newsmon.reader.sitemaps import robots_sitemaps

    parts = urlsplit(url)
    robots = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
    try:
        with Fetcher(settings) as fetcher:
            got = fetcher.get(robots, max_bytes=500_000, accept="text/plain")
    except FetchError:
        return []  # no robots.txt (or none readable): no sitemap named there
    text = got.content.decode("utf-8", "replace")
    return [
        {"url": s, "kind": "sitemap", "title": None, "declared": True, "via": "robots.txt"}
        for s in robots_sitemaps(text)
    ]


def _discover_feeds(settings: Settings, url: str) -> list[dict[str, Any]]:
    from newsmon.fetching import HTML_TYPES, Fetcher
    from newsmon.reader.discover import candidates
    from newsmon.reader.discover import discover as declared
    from newsmon.reader.formats import parse_any
    from newsmon.reader.poll import FEED_ACCEPT

    out: list[dict[str, Any]] = []
    with Fetcher(settings) as fetcher:
        page = fetcher.get(url, max_bytes=settings.max_page_bytes, accept=", ".join(HTML_TYPES))
        text = page.content.decode("utf-8", "replace")
        links = [link for link in declared(text, page.final_url) if link.declared]
        for link in links:
            out.append({"url": link.url, "kind": link.kind, "title": link.title, "declared": True})
        if links:
            return out
        for link in candidates(page.final_url):
            try:
                got = fetcher.get(link.url, max_bytes=settings.max_feed_bytes, accept=FEED_ACCEPT)
                parsed = parse_any(got.content, got.headers, got.final_url)
            except FetchError:
                continue
            out.append(
                {"url": got.final_url, "kind": parsed.format, "title": parsed.title, "declared": False}
            )
    return out
