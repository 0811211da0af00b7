"""`newsmon backup create|list|restore`: snapshots of every index of the prefix. Parsing and
printing only; what each action does is in newsmon.backups."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from newsmon.cli.common import EXIT_ERROR, EXIT_OK, JSON_HELP, Subcommands, print_json, settings_of


def add_backup_parser(sub: Subcommands) -> None:
    p = sub.add_parser("backup", help="Elasticsearch snapshots of every index of the prefix")
    group = p.add_subparsers(dest="backup_command", required=True, metavar="ACTION")
    c = group.add_parser("create", help="snapshot every index of the prefix now and wait until it is done")
    c.add_argument("--name", help="snapshot name (default: <prefix>YYYY.MM.DD-HHMMSS by newsmon's clock)")
    c.add_argument("--json", action="store_true", help=JSON_HELP)
    c.set_defaults(func=cmd_create)
    ls = group.add_parser("list", help="the snapshots of the prefix's repository, oldest first")
    ls.add_argument("--json", action="store_true", help='print {"backups": [...]}')
    ls.set_defaults(func=cmd_list)
    r = group.add_parser("restore", help="restore a snapshot (stop the scheduler first)")
    r.add_argument("name", metavar="NAME", help="snapshot name, as `newsmon backup list` shows it")
    r.add_argument(
        "--replace", action="store_true",
        help="delete the live indices of the prefix first (without it, a restore over existing indices is refused)",
    )  # fmt: skip
    r.add_argument("--json", action="store_true", help=JSON_HELP)
    r.set_defaults(func=cmd_restore)


def size(value: int | None) -> str:
    if value is None:
        return "-"
    amount = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024:
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} TB"


def cmd_create(args: argparse.Namespace) -> int:
    from newsmon import backups

    def progress(p: dict[str, Any]) -> None:
        if p["state"] != "SUCCESS" and not args.json:
            print(f"  {p['state'].lower()}: {p.get('done', 0)}/{p.get('total', 0)} shard(s)", file=sys.stderr)

    made = backups.create(settings_of(args), args.name, progress)
    if args.json:
        print_json(made)
    else:
        print(
            f"backup {made['name']}: {made['state']}, {len(made['indices'])} index(es), "
            f"{made['documents']} document(s), {size(made['size_in_bytes'])}"
        )
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from newsmon import backups

    rows = backups.list_backups(settings_of(args))
    if args.json:
        print_json({"backups": rows})
        return EXIT_OK
    if not rows:
        print("no backups yet (`newsmon backup create`)")
    for r in rows:
        docs = "-" if r["documents"] is None else str(r["documents"])
        print(
            f"{r['name']:<40} {r['state']:<8} {r['start_time'] or '-':<25} "
            f"{len(r['indices']):>3} index(es) {docs:>9} doc(s) {size(r['size_in_bytes']):>9}"
        )
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from newsmon import backups

    try:
        done = backups.restore(settings_of(args), args.name, replace=args.replace)
    except backups.RestoreRefused as exc:
        print(f"newsmon: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print_json(done)
        return EXIT_OK
    if done["replaced"]:
        print(f"deleted {len(done['replaced'])} live index(es): {', '.join(done['replaced'])}")
    for index, count in done["indices"].items():
        print(f"restored {index:<40} {count:>9} doc(s)")
    print(f"backup {done['snapshot']} restored; index template installed again")
    return EXIT_OK
