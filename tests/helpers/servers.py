"""Real servers on loopback for the tests: free ports, a feed server, a webhook receiver, an SMTP
sink and a stand-in Kibana. Each records what it was sent so a test can check it."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from xml.sax.saxutils import escape

# -- ports ---------------------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nothing listens on (bound and closed again on return)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    """Whether `port` on loopback can be bound now (nothing holds it)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


# -- feeds ---------------------------------------------------------------------------------------

Reply = tuple[int, dict[str, str], bytes]


class FeedServer:
    """Routes of (status, headers, body) or callables of the request headers; every request logged."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply | Callable[[dict[str, str]], Reply]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (stdlib name)
                headers = {k.lower(): v for k, v in self.headers.items()}
                path = self.path.split("?")[0]
                outer.requests.append((path, headers))
                route = outer.routes.get(path)
                status, extra, body = (
                    (404, {}, b"") if route is None else route(headers) if callable(route) else route
                )
                self.send_response(status)
                for key, value in extra.items():
                    self.send_header(key, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def headers_of(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def rss(base: str, links: list[str], extra: str = "") -> bytes:
    """An RSS 2.0 feed with one item per link; `extra` goes inside <channel> before the items."""
    items = "".join(
        f"<item><title>Story {i}</title><link>{escape(link)}</link></item>" for i, link in enumerate(links)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{base}/</link>{extra}'
        f"{items}</channel></rss>"
    ).encode()


# -- alert channels ------------------------------------------------------------------------------


class WebhookReceiver:
    """A real HTTP server on loopback that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        received: list[dict] = []
        self.received = received
        self.status = 200

        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (stdlib name)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                if outer.status < 300:
                    received.append(json.loads(body or b"null"))
                self.send_response(outer.status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback; `start()` may be called late to test retries."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[object] = []
        self.controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
                from email import message_from_bytes, policy

                sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


# -- Kibana --------------------------------------------------------------------------------------


class FakeKibana:
    """Records requests; answers from a list of (status, json) replies (the last one repeats)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.replies: list[tuple[int, object]] = [(200, {"success": True, "successCount": 0})]
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fake.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": self.rfile.read(length) if length else b"",
                    }
                )
                status, payload = fake.replies.pop(0) if len(fake.replies) > 1 else fake.replies[0]
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def kibana_import_success(ndjson: str) -> dict:
    """Kibana's saved-objects import answer when every object in `ndjson` was imported."""
    objs = [json.loads(line) for line in ndjson.splitlines() if line.strip()]
    return {
        "success": True,
        "successCount": len(objs),
        "successResults": [
            {"type": o["type"], "id": o["id"], "meta": {"title": o["attributes"]["title"]}} for o in objs
        ],
        "warnings": [],
    }
