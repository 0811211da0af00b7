"""What every command group of the CLI shares: exit codes, JSON output, settings, logging."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from newsmon.settings import Settings

# The `add_subparsers()` result each group registers its commands on (a string: argparse's class
# takes no type arguments at run time).
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

# Exit codes (doc/operations.md, `newsmon --help`). 2 is argparse's own for usage errors; 78 is
# sysexits' EX_CONFIG, so a script can tell "I called it wrong" from "the setup is wrong".
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_ALL_FEEDS_FAILED = 4
EXIT_CONFIG = 78
EXIT_INTERRUPTED = 130
EXIT_CODES = f"""exit codes:
  {EXIT_OK}    done (a pass with some failed feeds or pages included: they are in its summary)
  {EXIT_ERROR}    an error newsmon explains in one line (bad query, unreadable input, Kibana refused, ...)
  {EXIT_USAGE}    usage error: unknown command or option, missing or malformed argument
  {EXIT_UNAVAILABLE}    Elasticsearch unreachable or not usable
  {EXIT_ALL_FEEDS_FAILED}    `newsmon run`: every feed it polled failed
  {EXIT_CONFIG}   configuration error: a NEWSMON_* variable or a file under config/ is wrong
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)
"""

JSON_HELP = "print the result as one JSON object"


def print_json(data: object) -> None:
    """`data` as one line of JSON on stdout (non-ASCII kept, dates and other objects as strings)."""
    print(json.dumps(data, ensure_ascii=False, default=str))


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings from NEWSMON_* variables, with the command's --feeds file when it takes one."""
    from newsmon.settings import load_settings

    feeds: str | None = getattr(args, "feeds", None)
    return load_settings(feeds_file=feeds)


def log_setup(verbose: int, quiet: bool) -> None:
    """Log lines on stderr: INFO by default, DEBUG with -v, warnings only with -q."""
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in ("elastic_transport", "httpx", "httpcore", "trafilatura", "htmldate", "courlan"):
        logging.getLogger(noisy).setLevel(logging.WARNING if not verbose else logging.INFO)
    # The client logs each retry with a traceback; newsmon reports the outcome in one line itself.
    logging.getLogger("elastic_transport").setLevel(logging.INFO if verbose else logging.CRITICAL)
