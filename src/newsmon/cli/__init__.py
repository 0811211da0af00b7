"""The `newsmon` command: `main` parses the arguments, runs the command's action and turns newsmon's
errors into one line on stderr and an exit code. Each command group lives in a module of its own
(parser and actions); heavy modules are imported inside the actions that need them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from newsmon.cli.common import EXIT_CONFIG, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_UNAVAILABLE, log_setup
from newsmon.cli.parser import build_parser
from newsmon.errors import ConfigError, NewsmonError, StoreUnavailable

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log_setup(args.verbose, args.quiet)
    action: Callable[[argparse.Namespace], int] = args.func  # set by each command's parser
    try:
        return action(args)
    except ConfigError as exc:
        print(f"newsmon: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except StoreUnavailable as exc:
        print(f"newsmon: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except NewsmonError as exc:
        print(f"newsmon: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
