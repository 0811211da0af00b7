"""`newsmon kibana import`: the data views, searches and dashboard as Kibana saved objects."""

from __future__ import annotations

import argparse

from newsmon.cli.common import EXIT_OK, Subcommands, print_json, settings_of


def add_kibana_parser(sub: Subcommands) -> None:
    p = sub.add_parser("kibana", help="Kibana saved objects")
    ksub = p.add_subparsers(dest="kibana_command", required=True, metavar="ACTION")
    k = ksub.add_parser("import", help="import the data views, searches and dashboard into Kibana")
    k.add_argument("--url", help="Kibana URL (default: $NEWSMON_KIBANA_URL or http://127.0.0.1:5601)")
    k.add_argument("--wait", type=float, default=0, help="seconds to wait for Kibana to be available")
    k.add_argument("--json", action="store_true", help="print the import result as one JSON object")
    k.set_defaults(func=cmd_kibana_import)


def cmd_kibana_import(args: argparse.Namespace) -> int:
    from newsmon import kibana

    settings = settings_of(args)
    url = args.url or settings.kibana_url
    if args.wait:
        kibana.wait_for_kibana(url, timeout=args.wait)
    password = settings.kibana_password or settings.es_password
    result = kibana.import_saved_objects(
        url,
        username=settings.kibana_username or settings.es_username,
        password=password.get_secret_value() if password else None,
        space=settings.kibana_space,
        index_prefix=settings.index_prefix,
    )
    if args.json:
        print_json(result)
        return EXIT_OK
    kinds: dict[str, int] = {}
    for obj in result["objects"]:
        kinds[obj["type"]] = kinds.get(obj["type"], 0) + 1
    detail = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    warnings = f"; {len(result['warnings'])} warning(s)" if result["warnings"] else ""
    print(f"Kibana at {result['url']}: imported {result['success_count']} saved object(s)"
          f"{f' ({detail})' if detail else ''}{warnings}")  # fmt: skip
    return EXIT_OK
