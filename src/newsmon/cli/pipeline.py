"""`newsmon setup`, `newsmon run` and `newsmon runs`: the indices, one pass, and the passes so far."""

from __future__ import annotations

import argparse
import json
import sys

from newsmon.cli.alerts import print_sync, sync_record
from newsmon.cli.common import EXIT_ALL_FEEDS_FAILED, EXIT_OK, JSON_HELP, Subcommands, print_json, settings_of


def add_setup_parser(sub: Subcommands) -> None:
    p = sub.add_parser("setup", help="install index templates and aliases (idempotent)")
    p.add_argument(
        "--reindex", action="store_true",
        help="also copy every article into a new index made from the current template (passes may go on running)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(func=cmd_setup)


def add_run_parser(sub: Subcommands) -> None:
    p = sub.add_parser("run", help="one full monitoring pass outside Airflow")
    p.add_argument("--feeds", help="feeds file (default: $NEWSMON_CONFIG_DIR/feeds.yaml)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument(
        "--ignore-schedule",
        action="store_true",
        help="poll every enabled feed now, not only the due ones (still conditional, Retry-After honoured)",
    )
    p.set_defaults(func=cmd_run)


def add_runs_parser(sub: Subcommands) -> None:
    p = sub.add_parser("runs", help="summaries of the last monitoring passes")
    p.add_argument("--last", type=int, default=1, help="how many passes, newest first (default: 1)")
    p.add_argument("--json", action="store_true", help='print {"runs": [...]}')
    p.set_defaults(func=cmd_runs)


def cmd_setup(args: argparse.Namespace) -> int:
    from newsmon.alerts.service import sync
    from newsmon.storage import open_storage

    settings = settings_of(args)
    with open_storage(settings) as storage, storage.answering():
        done = storage.setup()
        if args.reindex:
            moved = storage.reindex_articles()
            done.pop("schema", None)
            done["reindexed"] = (
                f"{moved['documents']} article(s) {', '.join(moved['from'])} -> {moved['to']}"
                + (f" ({moved['kept_newer']} written meanwhile kept)" if moved["kept_newer"] else "")
            )
        synced = sync(storage, settings)
    if args.json:
        print_json({"es_url": settings.es_url_shown, "prefix": settings.index_prefix, **done,
                    "rules": sync_record(synced)})  # fmt: skip
        return EXIT_OK
    for what, name in done.items():
        print(f"{what:<9} {name}")
    print_sync(synced)
    print(f"Elasticsearch at {settings.es_url_shown} is set up (prefix {settings.index_prefix!r}).")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from newsmon.run import run_pass

    summary = run_pass(settings_of(args), ignore_schedule=args.ignore_schedule)
    if args.json:
        print(json.dumps(summary.to_contract(), ensure_ascii=False))
    else:
        print(summary.render("newsmon run"))
    if summary.all_failed:
        print(f"newsmon: every polled feed failed ({summary.feeds_failed})", file=sys.stderr)
        return EXIT_ALL_FEEDS_FAILED
    return EXIT_OK


def cmd_runs(args: argparse.Namespace) -> int:
    from newsmon.storage import open_storage
    from newsmon.summary import RunSummary

    settings = settings_of(args)
    with open_storage(settings, attempts=1) as storage:
        runs = storage.runs.last(args.last)
    if args.json:
        print(json.dumps({"runs": runs}, ensure_ascii=False))
        return EXIT_OK
    if not runs:
        print("no runs recorded yet")
    for run in runs:
        summary = RunSummary.from_record(run)
        print(
            summary.render(f"{run.get('mode', '?')} pass {run.get('run_id', '?')} ({run.get('@timestamp')})")
        )
    return EXIT_OK
