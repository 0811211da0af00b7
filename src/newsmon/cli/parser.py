"""The whole argparse tree of `newsmon`: the global options, then each command group's parser, in
the order `newsmon --help` lists them. Each group module registers its own commands
(`add_<command>_parser`) with the action they run."""

from __future__ import annotations

import argparse

from newsmon import __version__
from newsmon.cli.alerts import add_alerts_parser
from newsmon.cli.backup import add_backup_parser
from newsmon.cli.common import EXIT_CODES
from newsmon.cli.feeds import add_feeds_parser
from newsmon.cli.kibana import add_kibana_parser
from newsmon.cli.maintenance import add_maintenance_parser
from newsmon.cli.pipeline import add_run_parser, add_runs_parser, add_setup_parser
from newsmon.cli.search import add_search_parser
from newsmon.cli.text import add_extract_parser, add_similar_parser, add_tag_parser
from newsmon.cli.web import add_web_parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsmon",
        description="News monitoring for arms-control analysts.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newsmon {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_setup_parser(sub)
    add_run_parser(sub)
    add_feeds_parser(sub)
    add_search_parser(sub)
    add_extract_parser(sub)
    add_tag_parser(sub)
    add_alerts_parser(sub)
    add_similar_parser(sub)
    add_runs_parser(sub)
    add_maintenance_parser(sub)
    add_backup_parser(sub)
    add_kibana_parser(sub)
    add_web_parser(sub)
    return parser
