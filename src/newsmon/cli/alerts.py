"""`newsmon alerts ...`: list, sync, test, history, deliver, digest, export. One action function each."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from newsmon.cli.common import EXIT_ERROR, EXIT_OK, JSON_HELP, Subcommands, print_json, settings_of

if TYPE_CHECKING:
    from newsmon.alerts.percolate import SyncResult


def add_alerts_parser(sub: Subcommands) -> None:
    p = sub.add_parser("alerts", help="alert rules: list, sync, test, history, deliver, digest, export")
    asub = p.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    a = asub.add_parser("list", help="the rules of alerts.yaml, with errors")
    a.add_argument("--json", action="store_true", help=JSON_HELP)
    a.set_defaults(func=alerts_list)
    a = asub.add_parser("sync", help="make the stored rules match alerts.yaml")
    a.add_argument("--json", action="store_true", help=JSON_HELP)
    a.set_defaults(func=alerts_sync)
    a = asub.add_parser("test", help="which stored stories a rule would have matched")
    a.add_argument("rule", help="rule id from alerts.yaml")
    a.add_argument("--since", default="30d", help="how far back to look (default: 30d)")
    a.add_argument("--size", type=int, default=20, help="how many matches to show (default: 20)")
    a.add_argument("--json", action="store_true", help=JSON_HELP)
    a.set_defaults(func=alerts_test)
    a = asub.add_parser("history", help="alert events, newest first")
    a.add_argument("--rule", help="only this rule's events")
    a.add_argument("--size", type=int, default=50, help="how many events (default: 50)")
    a.add_argument("--json", action="store_true", help=JSON_HELP)
    a.set_defaults(func=alerts_history)
    a = asub.add_parser("deliver", help="retry undelivered instant alerts now")
    a.add_argument("--json", action="store_true", help=JSON_HELP)
    a.set_defaults(func=alerts_deliver)
    a = asub.add_parser("digest", help="send the digests that are due now")
    a.add_argument("--force", action="store_true", help="send every digest rule's pending events now")
    a.add_argument("--json", action="store_true", help=JSON_HELP)
    a.set_defaults(func=alerts_digest)
    a = asub.add_parser("export", help="the rules made on the search page, as alerts.yaml")
    a.add_argument("--output", "-o", help="write to this file (default: standard output)")
    a.set_defaults(func=alerts_export)


def alerts_list(args: argparse.Namespace) -> int:
    """The rules of alerts.yaml; 1 when every rule is broken. Needs no Elasticsearch, but names
    the stored rules whose last good version still runs when it can reach it."""
    from newsmon.alerts.service import kept_rules, load

    settings = settings_of(args)
    loaded = load(settings)
    rules = [r.definition() for r in loaded.rules]
    kept = kept_rules(settings)
    if args.json:
        print(json.dumps({"rules": rules, "errors": loaded.errors, "kept": kept}, ensure_ascii=False))
    else:
        for r in loaded.rules:
            state = "enabled" if r.enabled else "disabled"
            sched = f" {r.schedule}" if r.schedule else ""
            print(f"{r.id:<28} {r.mode}{sched:<12} {state:<8} -> {', '.join(r.channels)}  {r.query}")
        for problem in loaded.errors:
            print(f"ERROR {problem}")
        for k in kept:
            print(f"ERROR rule {k['rule_id']} is broken; its last good version stays active: {k['query']}")
    return EXIT_ERROR if loaded.errors and not loaded.rules else EXIT_OK


def alerts_sync(args: argparse.Namespace) -> int:
    from newsmon.alerts.service import sync
    from newsmon.storage import open_storage

    settings = settings_of(args)
    with open_storage(settings) as storage:
        result = sync(storage, settings)
    if args.json:
        print_json(sync_record(result))
    else:
        print_sync(result)
    return EXIT_OK


def alerts_test(args: argparse.Namespace) -> int:
    """Which stored stories a rule would have matched: a rule can be tried before it is switched on."""
    from newsmon.alerts.percolate import would_match
    from newsmon.alerts.service import load
    from newsmon.storage import open_storage

    settings = settings_of(args)
    with open_storage(settings) as storage:
        rule = load(settings).rule(args.rule)
        total, matches = would_match(storage, rule, args.since, args.size)
    if args.json:
        print(
            json.dumps(
                {"rule_id": rule.id, "since": args.since, "would_alert": total, "matches": matches},
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    print(f"rule {rule.id} ({rule.query}) since {args.since}: {total} stor{'y' if total == 1 else 'ies'}, "
          f"{total} alert(s) would have been sent ({rule.mode}, to {', '.join(rule.channels)})")  # fmt: skip
    for m in matches:
        print(f"  {m['published_at']}  {m['title']}  [{m['source']}]")
        for frag in m["highlights"][:2]:
            print("      … " + " ".join(frag.split()) + " …")
    return EXIT_OK


def alerts_history(args: argparse.Namespace) -> int:
    from newsmon.storage import open_storage

    with open_storage(settings_of(args)) as storage:
        events = storage.alert_events.history(args.rule, size=args.size)
    if args.json:
        print(json.dumps({"events": events}, ensure_ascii=False))
    else:
        _print_history(events)
    return EXIT_OK


def alerts_deliver(args: argparse.Namespace) -> int:
    from newsmon.alerts.delivery import deliver_instant
    from newsmon.alerts.service import load
    from newsmon.storage import open_storage

    settings = settings_of(args)
    with open_storage(settings) as storage:
        result = deliver_instant(storage, load(settings), settings.smtp())
    _print_outcome(args, "delivery", result)
    return EXIT_OK


def alerts_digest(args: argparse.Namespace) -> int:
    from newsmon.alerts.service import run_digests
    from newsmon.storage import open_storage

    settings = settings_of(args)
    with open_storage(settings) as storage:
        result = run_digests(storage, settings, force=args.force)
    _print_outcome(args, "digests", result)
    return EXIT_OK


def alerts_export(args: argparse.Namespace) -> int:
    """The rules analysts made on the search page in alerts.yaml's format (with the channels they
    use), so that they can be kept as configuration."""
    from pathlib import Path

    from newsmon.alerts.owned import export_yaml
    from newsmon.alerts.service import load
    from newsmon.storage import open_storage

    settings = settings_of(args)
    with open_storage(settings) as storage:
        text, count = export_yaml(storage, load(settings))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"{count} rule(s) made on the search page written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def sync_record(result: SyncResult) -> dict[str, list[str]]:
    """What a rule sync did, as printed by `--json` (`setup` too, under "rules")."""
    return {k: list(getattr(result, k)) for k in ("added", "updated", "removed", "unchanged", "errors")}


def print_sync(result: SyncResult) -> None:
    """What a rule sync did, in one line; each skipped rule on stderr."""
    print(
        f"rules     {len(result.added)} added, {len(result.updated)} updated, {len(result.removed)} removed, "
        f"{len(result.unchanged)} unchanged"
    )
    for problem in result.errors:
        print(f"rule skipped: {problem}", file=sys.stderr)


def _print_outcome(args: argparse.Namespace, what: str, result: dict[str, int]) -> None:
    """A counts dict as JSON, or as one readable line."""
    if args.json:
        print_json(result)
        return
    parts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.items())
    print(f"{what}: {parts or 'nothing to do'}")


def _print_history(events: list[dict[str, Any]]) -> None:
    from newsmon.alerts.messages import instant_message

    if not events:
        print("no alert events")
    for e in events:
        print(
            f"[{e['status']}] {e['created_at']} rule {e['rule_id']} -> article {e['article_id']} ({e['mode']})"
        )
        if e.get("last_error"):
            print(f"    last error: {e['last_error']}")
        for line in instant_message(e).text.splitlines():
            print(f"    | {line}")
