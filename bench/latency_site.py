"""A loopback news site spread over several loopback addresses whose answers take a fixed latency,
as remote outlets' do: what `make bench-distributed` fetches.

    python -m bench.latency_site --hosts 8 --latency 0.3

Serves the generated routes of the sample site (`/generated/feed.xml?count=N&start=S`,
`/generated/article/<n>.html`, `/generated/img/<name>.svg`; see devsite) on 127.0.0.10,
127.0.0.11, ... (one address per host, one port for all), each answer sent `--latency` seconds
after the request arrived. Links in a host's feeds point at that host, as an outlet's do. Prints
one JSON line first: {"hosts": ["http://127.0.0.10:PORT", ...], "latency": 0.3}; serves until
SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from devsite import text as devsite_text

_ARTICLE = re.compile(r"/generated/article/(\d{1,9})\.html")
_IMAGE = re.compile(r"/generated/img/[\w.-]+\.svg")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], latency: float) -> None:
        super().__init__(address, _Handler)
        self.latency = latency
        host, port = self.socket.getsockname()[:2]
        self.base_url = f"http://{host}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(self.server.latency)  # the remote site's answer time
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        base = self.server.base_url
        if url.path == "/generated/feed.xml":
            start = int(query.get("start", ["1"])[0])
            count = min(int(query.get("count", ["20"])[0]), 5000)
            self._send(
                200, "application/rss+xml; charset=utf-8", devsite_text.render_feed(base, start, count)
            )
        elif m := _ARTICLE.fullmatch(url.path):
            self._send(200, "text/html; charset=utf-8", devsite_text.render_article(int(m[1]), base))
        elif _IMAGE.fullmatch(url.path):
            self._send(200, "image/svg+xml", devsite_text.PLACEHOLDER_SVG)
        else:
            self._send(404, "text/plain; charset=utf-8", "not found\n")

    def _send(self, code: int, ctype: str, text: str) -> None:
        body = text.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _free_port(addresses: list[str]) -> int:
    """A port free on every one of `addresses`."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((addresses[0], 0))
            port = int(probe.getsockname()[1])
        try:
            for address in addresses[1:]:
                with socket.socket() as other:
                    other.bind((address, port))
            return port
        except OSError:
            continue
    raise OSError("no port free on every loopback address")


def serve(hosts: int, latency: float, first: int = 10) -> list[_Server]:
    """Start one server per loopback address 127.0.0.<first>.. (same port), each in a thread."""
    addresses = [f"127.0.0.{first + i}" for i in range(hosts)]
    port = _free_port(addresses)
    servers = [_Server((address, port), latency) for address in addresses]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return servers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency_site", description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, default=8, help="loopback addresses, 127.0.0.10 and up (1-200)")
    parser.add_argument("--latency", type=float, default=0.3, help="seconds before every answer")
    args = parser.parse_args(argv)
    if not 1 <= args.hosts <= 200 or args.latency < 0:
        parser.error("--hosts must be 1-200 and --latency >= 0")
    servers = serve(args.hosts, args.latency)
    print(json.dumps({"hosts": [s.base_url for s in servers], "latency": args.latency}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    for server in servers:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
