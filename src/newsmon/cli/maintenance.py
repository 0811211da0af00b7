"""`newsmon maintenance [--dry-run] [--json]`: rollover, retention and backup as news_maintenance
runs them (newsmon.maintenance), with a readable summary."""

from __future__ import annotations

import argparse
from typing import Any

from newsmon.cli.common import EXIT_OK, Subcommands, print_json, settings_of


def add_maintenance_parser(sub: Subcommands) -> None:
    p = sub.add_parser(
        "maintenance", help="rollover, retention and backup, as the news_maintenance DAG runs them"
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="tell what would be rolled, removed, backed up and pruned; change nothing",
    )
    p.add_argument("--json", action="store_true", help='print {"dry_run", "rollover", "prune", "backup"}')
    p.set_defaults(func=cmd_maintenance)  # fmt: skip


def render(done: dict[str, Any]) -> list[str]:
    would = done["dry_run"]
    lines = ["newsmon maintenance (dry run: nothing changed)" if would else "newsmon maintenance"]
    roll = done["rollover"]
    if roll["rolled_over"] or (would and roll["due"]):
        verb = "would roll over" if would else "rolled over"
        met = ", ".join(k for k, v in roll["conditions"].items() if v)
        lines.append(f"  rollover: {verb} {roll['old_index']} -> {roll['new_index']} ({met})")
    else:
        lines.append(
            f"  rollover: {roll['old_index']} stays the write index (oldest article {roll['oldest_fetched_at'] or 'none'})"
        )
    prune = done["prune"]
    if prune["cutoff"] is None:
        lines.append("  retention: NEWSMON_RETENTION unset, keeping everything")
    else:
        verb = "would remove" if would else "removed"
        lines.append(f"  retention {prune['retention']}: {verb} what is older than {prune['cutoff']}")
        for index in prune["indices"]:
            lines.append(
                f"    index {index['index']}: {index['articles']} article(s), newest {index['newest_fetched_at']}"
            )
        for index, count in prune["documents"].items():
            lines.append(f"    {index}: {count} document(s)")
        if prune["feeds"]:
            lines.append(f"    states of feeds no longer configured: {', '.join(prune['feeds'])}")
    backup = done["backup"]
    if would:
        lines.append(
            f"  backup: would snapshot {len(backup['indices'])} index(es), {backup['documents']} document(s) as {backup['name']}"
        )
    else:
        lines.append(
            f"  backup: {backup['name']} {backup['state']}, {len(backup['indices'])} index(es), {backup['documents']} document(s)"
        )
    pruned = backup["pruned"]
    verb = "would delete" if would else "deleted"
    lines.append(
        f"  backups kept: {backup['keep']}; {verb} {len(pruned)} older: {', '.join(pruned) or 'none'}"
    )
    return lines  # fmt: skip


def cmd_maintenance(args: argparse.Namespace) -> int:
    from newsmon.maintenance import maintain

    done = maintain(settings_of(args), dry_run=args.dry_run)
    if args.json:
        print_json(done)
    else:
        print("\n".join(render(done)))
    return EXIT_OK
