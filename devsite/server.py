"""A small real HTTP server on loopback for the offline sample site, tests and benchmarks.

It serves a site directory (``examples/site``) with ``{{BASE}}`` in feeds and pages replaced by the
running server's base URL, plus a few generated routes:

- ``/status/<code>``: that HTTP status with a tiny HTML body;
- ``/generated/big.html?bytes=N``: a valid HTML page of N bytes, streamed (size-cap tests);
- ``/generated/article/<n>.html``: synthetic news article ``n`` (deterministic; see devsite.text);
- ``/generated/feed.xml?count=N&start=S``: RSS listing articles S .. S+N-1;
- ``/generated/img/<name>.svg``: a placeholder image, so pages have no broken images;
- ``<path>.gz`` where only ``<path>`` exists: that file (templated) gzip'd, served as
  ``application/gzip`` without a Content-Encoding, as sites serve ``sitemap.xml.gz``.

Run it by hand with ``python -m devsite examples/site --port 8765``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import mimetypes
import re
import socket
import sys
import threading
from collections.abc import Iterable
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

from devsite import text as devsite_text

PLACEHOLDER = b"{{BASE}}"
TEMPLATED_SUFFIXES = frozenset({".xml", ".atom", ".rss", ".html"})
CONTENT_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
}
HTML = CONTENT_TYPES[".html"]
MAX_BIG_BYTES = 512 * 1024 * 1024  # far above any sane fetch cap, low enough to stop typos
MAX_FEED_COUNT = 5000

_STATUS = re.compile(r"/status/(\d{3})")
_ARTICLE = re.compile(r"/generated/article/(\d{1,9})\.html")
_IMAGE = re.compile(r"/generated/img/[\w.-]+\.svg")


class _BadRequest(ValueError):
    """A query parameter that is missing its number or out of range."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung client must never keep the test process alive

    def __init__(self, address: tuple[str, int], site: DevSite) -> None:
        self.site = site
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        # Track connections so stop() can end keep-alive ones too, not just the listening socket.
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            still_open = list(self._open)
        for conn in still_open:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already gone

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that hang up early (size caps, timeouts) are normal here; stay quiet unless asked.
        if self.site.verbose:
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # Keep-alive lets a benchmark reuse connections instead of paying a handshake per page.
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write, with Nagle off: otherwise every keep-alive response
    # waits out the client's delayed ACK (40 ms here), and the site, not the client, is measured.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    timeout = 30  # drop idle keep-alive connections so their threads do not linger
    server_version = "newsmon-devsite/1.0"

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.site.verbose:
            super().log_message(format, *args)

    def _serve(self, send_body: bool) -> None:
        site = self.server.site
        url = urlsplit(self.path)
        path = unquote(url.path)
        site._count(path)
        query = parse_qs(url.query)
        try:
            if (m := _STATUS.fullmatch(path)) and 200 <= int(m[1]) <= 599 and int(m[1]) not in (204, 304):
                self._status(int(m[1]), send_body)  # 1xx, 204 and 304 cannot carry a body: 404 below
            elif path == "/generated/big.html":
                length, chunks = devsite_text.big_page(_int_param(query, "bytes", 1_000_000, MAX_BIG_BYTES))
                self._send(200, HTML, chunks, send_body, length=length)
            elif m := _ARTICLE.fullmatch(path):
                self._send_text(200, HTML, devsite_text.render_article(int(m[1]), site.base_url), send_body)
            elif path == "/generated/feed.xml":
                start = _int_param(query, "start", 1, 10**9)
                count = _int_param(query, "count", 20, MAX_FEED_COUNT)
                feed = devsite_text.render_feed(site.base_url, start, count)
                self._send_text(200, CONTENT_TYPES[".xml"], feed, send_body)
            elif _IMAGE.fullmatch(path):
                self._send_text(200, "image/svg+xml", devsite_text.PLACEHOLDER_SVG, send_body)
            else:
                self._file(path, send_body)
        except _BadRequest as exc:
            self._send_text(400, HTML, devsite_text.status_page(400, str(exc)), send_body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client hung up mid-body, e.g. at its size cap

    def _file(self, path: str, send_body: bool) -> None:
        target = self.server.site.resolve(path)
        packed = False
        if target is None and path.endswith(".gz"):
            target, packed = self.server.site.resolve(path[: -len(".gz")]), True
        if target is None:
            self._status(404, send_body)
            return
        body = target.read_bytes()
        suffix = target.suffix.lower()
        if suffix in TEMPLATED_SUFFIXES:
            body = body.replace(PLACEHOLDER, self.server.site.base_url.encode())
        ctype = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(target.name)[0]
        ctype = ctype or "application/octet-stream"
        if packed:  # mtime 0: the same bytes, and so the same ETag, on every request
            body, ctype = gzip.compress(body, mtime=0), "application/gzip"
        # A strong ETag and Last-Modified let the pipeline's conditional GETs be tested against
        # real 304s. If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2).
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        modified = formatdate(int(target.stat().st_mtime), usegmt=True)
        validators = {"ETag": etag, "Last-Modified": modified}
        match = self.headers.get("If-None-Match")
        since = self.headers.get("If-Modified-Since")
        if (match is not None and etag in match) or (match is None and since == modified):
            self.send_response(304)
            for name, value in validators.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self._send(200, ctype, [body], send_body, length=len(body), extra=validators)

    def _status(self, code: int, send_body: bool) -> None:
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Status"
        self._send_text(code, HTML, devsite_text.status_page(code, phrase), send_body)

    def _send_text(self, code: int, ctype: str, text: str, send_body: bool) -> None:
        body = text.encode("utf-8")
        self._send(code, ctype, [body], send_body, length=len(body))

    def _send(
        self,
        code: int,
        ctype: str,
        chunks: Iterable[bytes],
        send_body: bool,
        *,
        length: int,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            for chunk in chunks:
                self.wfile.write(chunk)


def _int_param(query: dict[str, list[str]], name: str, default: int, maximum: int) -> int:
    raw = query.get(name, [str(default)])[-1]
    if not raw.isdigit() or not 0 <= int(raw) <= maximum:
        raise _BadRequest(f"{name} must be an integer between 0 and {maximum}")
    return int(raw)


class DevSite:
    """Serve ``root`` over HTTP on ``host:port`` (0 = any free port) from a daemon thread.

    ``hits`` counts requests per path (query strings ignored), so tests can assert how often the
    pipeline fetched a page: ``with DevSite(root) as site: ...; site.hits["/a.html"]``.
    """

    def __init__(
        self, root: Path | str, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False
    ) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"site root is not a directory: {self.root}")
        self.host = host
        self.port = port
        self.verbose = verbose
        self._hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server, without a trailing slash."""
        if self._server is None:
            raise RuntimeError("DevSite is not running; call start() first")
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def hits(self) -> dict[str, int]:
        """A snapshot of request counts per path."""
        with self._lock:
            return dict(self._hits)

    def reset_hits(self) -> None:
        with self._lock:
            self._hits.clear()

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (``"/outlet/rss.xml"`` or ``"outlet/rss.xml"``) on this server."""
        return self.base_url + "/" + path.lstrip("/")

    def start(self) -> DevSite:
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), self)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="newsmon-devsite", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> DevSite:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def resolve(self, path: str) -> Path | None:
        """The file under root that ``path`` names (``index.html`` for folders), or None."""
        parts = [p for p in path.split("/") if p]
        if any(p.startswith(".") for p in parts):  # no dotfiles, no "..": nothing outside root
            return None
        target = self.root.joinpath(*parts).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or not target.is_relative_to(self.root):
            return None
        return target

    def _count(self, path: str) -> None:
        with self._lock:
            self._hits[path] = self._hits.get(path, 0) + 1


def main(argv: list[str] | None = None) -> int:
    """``python -m newsmon.devsite ROOT [--host H] [--port P] [--verbose]``: serve until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m newsmon.devsite", description="Serve a newsmon sample site on loopback."
    )
    parser.add_argument("root", type=Path, help="site directory, e.g. examples/site")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    try:
        site = DevSite(args.root, args.host, args.port, verbose=args.verbose).start()
    except (FileNotFoundError, OSError) as exc:
        print(f"devsite: {exc}", file=sys.stderr)
        return 2
    print(site.base_url, flush=True)  # first line: the URL, so scripts can read it
    print(
        f"Serving {site.root} (Ctrl-C to stop). For the demo feeds: export NEWSMON_FEED_DEMO_SITE={site.base_url}",
        file=sys.stderr,
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
