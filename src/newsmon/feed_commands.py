"""`newsmon feeds ...`: status, check, import, export, discover. The CLI wires these; they print."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsmon.clock import iso
from newsmon.config import FeedConfig, feeds_dir, load_feeds
from newsmon.errors import FetchError
from newsmon.settings import Settings

STATUS_KEYS = (
    "id", "url", "health", "consecutive_failures", "next_due", "last_status", "last_error", "etag",
    "last_modified",
)  # fmt: skip
IMPORT_FILE = "imported.yaml"


def status_rows(settings: Settings) -> list[dict[str, Any]]:
    """One row per configured feed, its stored state joined (one mget)."""
    from newsmon.storage import open_storage

    feeds = load_feeds(settings.feeds_path).feeds
    with open_storage(settings) as storage:
        states = storage.feed_states.get_many(f.id for f in feeds)
    rows = []
    for feed in feeds:
        state = states.get(feed.id)
        row: dict[str, Any] = {
            "id": feed.id,
            "url": feed.url,
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


def print_status(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    print(f"{'id':<28} {'health':<9} {'fails':>5} {'status':>6} {'next due':<21} last error / note")
    for r in rows:
        note = r["last_error"] or (f"moved to {r['moved_to']}" if r["moved_to"] else "")
        note = note or "; ".join(r["warnings"]) or ("never polled" if not r["polled"] else "")
        print(
            f"{r['id']:<28} {r['health']:<9} {r['consecutive_failures']:>5} "
            f"{r['last_status'] or '-':>6} {r['next_due'] or '-':<21} {note}"
        )


def check(settings: Settings, url: str) -> dict[str, Any]:
    """Fetch and parse one feed now; writes nothing."""
    from newsmon.feeds import FEED_ACCEPT
    from newsmon.fetching import Fetcher
    from newsmon.polling.formats import parse_any

    with Fetcher(settings) as fetcher:
        fetched = fetcher.get(url, max_bytes=settings.max_feed_bytes, accept=FEED_ACCEPT)
    parsed = parse_any(fetched.content, fetched.headers, fetched.final_url)
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


def print_check(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"{result['url']} -> {result['final_url']}: {result['format']}, {len(result['entries'])} entries")
    for w in result["warnings"]:
        print(f"  warning: {w}")
    for e in result["entries"][:50]:
        print(f"  {e['published_at'] or '-':<20} {e['link']}  {e['title'] or ''}")


def import_opml(settings: Settings, opml_file: Path) -> tuple[Path, Any]:
    """Add the OPML file's feeds to config/feeds.d/imported.yaml; feeds already present are skipped."""
    from newsmon.polling.opml import import_opml as read_opml
    from newsmon.polling.opml import merge_into_yaml

    target = feeds_dir(settings.feeds_path) / IMPORT_FILE
    present = load_feeds(settings.feeds_path).feeds
    mine = {f.id for f in _feeds_of(target)}
    others = [{"id": f.id, "url": f.url} for f in present if f.id not in mine]
    found = read_opml(opml_file, taken_ids=[f.id for f in present])
    return target, merge_into_yaml(target, found, known=others)


def _feeds_of(path: Path) -> list[FeedConfig]:
    from newsmon.config import FeedsConfig, read_yaml, validate

    if not path.exists():
        return []
    data = read_yaml(path)
    return validate(FeedsConfig, data, path).feeds if data else []


def export_opml(settings: Settings) -> str:
    from newsmon.polling.opml import export_opml as render

    return render(load_feeds(settings.feeds_path).feeds, now=datetime.now(UTC))


def discover(settings: Settings, url: str) -> list[dict[str, Any]]:
    """Feed links an HTML page declares, then the usual paths that answer with a feed."""
    from newsmon.feeds import FEED_ACCEPT
    from newsmon.fetching import HTML_TYPES, Fetcher
    from newsmon.polling.discover import candidates
    from newsmon.polling.discover import discover as declared
    from newsmon.polling.formats import parse_any

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


def cmd_feeds(args: argparse.Namespace) -> int:
    from newsmon.settings import load_settings

    fc = sys.modules[__name__]
    settings = load_settings(feeds_file=getattr(args, "feeds", None))
    action = args.feeds_command
    if action == "status":
        fc.print_status(fc.status_rows(settings), args.json)
    elif action == "check":
        fc.print_check(fc.check(settings, args.url), args.json)
    elif action == "import":
        target, report = fc.import_opml(settings, Path(args.file))
        print(f"{len(report.added)} feed(s) added to {target}")
        for feed, why in report.skipped:
            print(f"  skipped {feed.get('url')}: {why}")
    elif action == "export":
        sys.stdout.write(fc.export_opml(settings))
    elif action == "discover":
        found = fc.discover(settings, args.url)
        if args.json:
            print(json.dumps(found, ensure_ascii=False))
            return 0 if found else 1
        if not found:
            print(f"no feed found on {args.url}")
            return 1
        for f in found:
            verified = "declared" if f["declared"] else "found at a usual path"
            print(f"{f['url']}  {f['kind']}  {f['title'] or ''}  ({verified})")
    return 0


def add_feeds_parser(sub: Any) -> None:
    """`newsmon feeds ...` under the CLI's subcommands."""
    p = sub.add_parser("feeds", help="feeds: status, check, import, export, discover")
    p.add_argument("--feeds", help="feeds file (default: $NEWSMON_CONFIG_DIR/feeds.yaml)")
    fsub = p.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    f = fsub.add_parser("status", help="health and schedule of every configured feed")
    f.add_argument("--json", action="store_true", help="one JSON list of rows on stdout")
    f = fsub.add_parser("check", help="fetch and parse one feed now; writes nothing")
    f.add_argument("url", help="the feed's URL")
    f.add_argument("--json", action="store_true", help="one JSON object on stdout")
    f = fsub.add_parser("import", help="add an OPML file's feeds to config/feeds.d/imported.yaml")
    f.add_argument("file", metavar="FILE.opml", help="an OPML file, e.g. a feed reader's export")
    fsub.add_parser("export", help="all configured feeds as OPML 2.0 on stdout")
    f = fsub.add_parser("discover", help="feed links of an HTML page")
    f.add_argument("url", help="the page's URL")
    f.add_argument("--json", action="store_true", help="one JSON list on stdout")
    p.set_defaults(func=cmd_feeds)
