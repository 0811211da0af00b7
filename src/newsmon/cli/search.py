"""`newsmon search`: stored articles by a Lucene query string."""

from __future__ import annotations

import argparse
import json

from newsmon.cli.common import EXIT_OK, Subcommands, settings_of

CONTENT_TYPES = ("html", "pdf")  # newsmon.search.CONTENT_TYPES, without importing it at start-up


def add_search_parser(sub: Subcommands) -> None:
    p = sub.add_parser(
        "search",
        help="search stored articles (Lucene query-string syntax)",
        description="Words are matched in the article's language too (weapon finds weapons); a "
        'quoted phrase ("nuclear weapons") only exactly.',
    )
    p.add_argument("query", help='Lucene query string, e.g. Riabkov AND "strategic stability"')
    p.add_argument("--topic", help="only articles with this topic id, e.g. arms_control")
    p.add_argument("--since", help="only articles published within this duration, e.g. 30d, 12h")
    p.add_argument("--size", type=int, default=10, help="how many hits to show (default: 10)")
    p.add_argument(
        "--content-type",
        choices=CONTENT_TYPES,
        help="only HTML articles or only PDF documents (documents stored before PDFs were read count as html)",
    )
    p.add_argument("--include-duplicates", action="store_true", help="also show copies of the same story")
    p.add_argument("--json", action="store_true", help='print {"total", "hits": [...]}')
    p.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    from newsmon.search import render, search
    from newsmon.storage import open_storage

    settings = settings_of(args)
    with open_storage(settings, attempts=1) as storage:
        result = search(
            storage, args.query, topic=args.topic, since=args.since, size=args.size,
            include_duplicates=args.include_duplicates, content_type=args.content_type,
        )  # fmt: skip
    print(json.dumps(result, ensure_ascii=False) if args.json else render(result))
    return EXIT_OK
