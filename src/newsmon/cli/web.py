"""`newsmon web`: the search page served by uvicorn."""

from __future__ import annotations

import argparse
import sys

from newsmon.cli.common import EXIT_CONFIG, EXIT_OK, Subcommands


def add_web_parser(sub: Subcommands) -> None:
    """`newsmon web [--host H] [--port P] [--root-path PREFIX]`."""
    p = sub.add_parser(
        "web", help="serve the search page (also mounted in the Airflow UI by the newsmon plugin)"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8090, help="port to listen on (default: 8090)")
    p.add_argument(
        "--root-path", default="", help="URL prefix when served behind a reverse proxy, e.g. /newsmon"
    )
    p.set_defaults(func=cmd_web)


def cmd_web(args: argparse.Namespace) -> int:
    """Serve the app until interrupted; settings come from NEWSMON_* variables (load_settings).

    Only requests for the server's own host names are answered; a bind beyond loopback needs
    NEWSMON_WEB_TOKEN (newsmon.web.guard)."""
    import uvicorn

    from newsmon.settings import load_settings
    from newsmon.web.app import create_app
    from newsmon.web.guard import WebGuard, is_loopback

    settings = load_settings()  # a bad variable fails here, before the server starts
    token = settings.web_token.get_secret_value().strip() if settings.web_token else None
    if not is_loopback(args.host) and not token:
        print(
            f"newsmon web: listening on {args.host} (beyond loopback) needs NEWSMON_WEB_TOKEN; "
            "set it (e.g. `openssl rand -hex 32`) or use --host 127.0.0.1",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    hosts = list(settings.web_hosts)
    if not is_loopback(args.host) and args.host not in ("0.0.0.0", "::"):
        hosts.append(args.host)  # the address it was asked to listen on is one of its names
    app = WebGuard(create_app(lambda: settings), hosts, token)
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"newsmon web: http://{shown_host}:{args.port}{args.root_path}/ "
        f"(Elasticsearch {settings.es_url_shown}, prefix {settings.index_prefix!r}; "
        f"{'token required' if token else 'no token'}); Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, root_path=args.root_path, log_level="warning")
    return EXIT_OK
