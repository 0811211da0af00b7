"""`newsmon feeds ...`: status, check, import, export, discover. Parsing and printing only; what
each action does is in newsmon.reader.operations."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from newsmon.cli.common import EXIT_ERROR, EXIT_OK, Subcommands, settings_of
from newsmon.reader import operations


def print_status(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    print(
        f"{'id':<28} {'type':<7} {'health':<9} {'fails':>5} {'status':>6} {'next due':<21} last error / note"
    )
    for r in rows:
        note = r["last_error"] or (f"moved to {r['moved_to']}" if r["moved_to"] else "")
        note = note or "; ".join(r["warnings"]) or ("never polled" if not r["polled"] else "")
        print(
            f"{r['id']:<28} {r.get('type', 'feed'):<7} {r['health']:<9} {r['consecutive_failures']:>5} "
            f"{r['last_status'] or '-':>6} {r['next_due'] or '-':<21} {note}"
        )


def print_check(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"{result['url']} -> {result['final_url']}: {result['format']}, {len(result['entries'])} entries")
    for w in result["warnings"]:
        print(f"  warning: {w}")
    for e in result["entries"][:50]:
        print(f"  {e['published_at'] or '-':<20} {e['link']}  {e['title'] or ''}")


def feeds_status(args: argparse.Namespace) -> int:
    print_status(operations.status_rows(settings_of(args)), args.json)
    return EXIT_OK


def feeds_check(args: argparse.Namespace) -> int:
    result = operations.check(settings_of(args), args.url, args.type, args.pattern)
    print_check(result, args.json)
    return EXIT_OK


def feeds_import(args: argparse.Namespace) -> int:
    target, report = operations.import_opml(settings_of(args), Path(args.file))
    print(f"{len(report.added)} feed(s) added to {target}")
    for feed, why in report.skipped:
        print(f"  skipped {feed.get('url')}: {why}")
    return EXIT_OK


def feeds_export(args: argparse.Namespace) -> int:
    from newsmon.config import load_feeds
    from newsmon.reader.opml import not_exported

    settings = settings_of(args)
    sys.stdout.write(operations.export_opml(settings))
    skipped = not_exported(load_feeds(settings.feeds_path).feeds)
    if skipped:
        named = ", ".join(f"{i} ({t})" for i, t in skipped)
        print(f"note: {len(skipped)} source(s) not exported (not OPML feeds): {named}", file=sys.stderr)
    return EXIT_OK


def feeds_discover(args: argparse.Namespace) -> int:
    found = operations.discover(settings_of(args), args.url)
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
        return EXIT_OK if found else EXIT_ERROR
    if not found:
        print(f"no feed found on {args.url}")
        return EXIT_ERROR
    for f in found:
        verified = (
            f"named in {f['via']}"
            if f.get("via")
            else "declared"
            if f["declared"]
            else "found at a usual path"
        )
        print(f"{f['url']}  {f['kind']}  {f['title'] or ''}  ({verified})")
    return EXIT_OK


def add_feeds_parser(sub: Subcommands) -> None:
    """`newsmon feeds ...` under the CLI's subcommands."""
    p = sub.add_parser("feeds", help="feeds: status, check, import, export, discover")
    p.add_argument("--feeds", help="feeds file (default: $NEWSMON_CONFIG_DIR/feeds.yaml)")
    fsub = p.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    f = fsub.add_parser("status", help="health and schedule of every configured feed")
    f.add_argument("--json", action="store_true", help="one JSON list of rows on stdout")
    f.set_defaults(func=feeds_status)
    f = fsub.add_parser("check", help="fetch and read one source now; writes nothing")
    f.add_argument("url", help="the feed's (sitemap's, page's) URL")
    f.add_argument(
        "--type", choices=("feed", "sitemap", "page"), default="feed", help="the source type (default feed)"
    )
    f.add_argument("--pattern", help="type page: which links count (a glob, or re:<regex>)")
    f.add_argument("--json", action="store_true", help="one JSON object on stdout")
    f.set_defaults(func=feeds_check)
    f = fsub.add_parser("import", help="add an OPML file's feeds to config/feeds.d/imported.yaml")
    f.add_argument("file", metavar="FILE.opml", help="an OPML file, e.g. a feed reader's export")
    f.set_defaults(func=feeds_import)
    f = fsub.add_parser("export", help="all configured feeds as OPML 2.0 on stdout")
    f.set_defaults(func=feeds_export)
    f = fsub.add_parser("discover", help="feed links of an HTML page; sitemaps named in robots.txt")
    f.add_argument("url", help="the page's URL")
    f.add_argument("--json", action="store_true", help="one JSON list on stdout")
    f.set_defaults(func=feeds_discover)
