"""The simulated world of the soak: what every outlet has published at any instant, and the faults
its feed shows on each day. Everything is a pure function of the simulated time, so the controller
(which knows what should happen) and the server process (which serves it) agree without talking,
except for one message: the current simulated time.

`python -m soak.world START DAYS` serves it on loopback: one HTTP server per outlet, each on its own
loopback address (so per-host politeness sees distinct hosts), and a control server with `PUT /time`
(the simulated now), `POST /hook` (alert webhooks, stamped with the simulated time) and
`GET /received`. It prints its addresses as one JSON line, then serves until stdin closes."""

from __future__ import annotations

import hashlib
import html
import json
import random
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devsite.text import generate_story

OUTLETS = (
    "Harbour Ledger",
    "Meridian Wire",
    "Upland Gazette",
    "Corvid Times",
    "Saltmarsh Post",
    "Tallis Daily",
)
# Code names only this world uses: a story carries one, an alert rule asks for one.
CODES = ("Kestrelmoor", "Pavanel", "Solvering", "Quorlan", "Brisketta", "Tamberlin", "Ovlander", "Glenwrath")
STORIES_PER_DAY = 4
FEED_WINDOW = 40  # entries a feed lists, newest first
CYCLE_DAYS = 30  # the feeds' faults repeat every cycle
# Faults by day of the cycle: outlet index -> (first day, last day, kind).
FAULTS: dict[int, tuple[int, int, str]] = {
    1: (2, 4, "dead"),  # 503 for three days
    2: (5, 6, "gone"),  # 404 for two days, then back
    4: (9, 9, "rate-limited"),  # 429 with a Retry-After of 12 hours
    5: (11, 11, "broken"),  # truncated XML
}
MOVED_OUTLET, MOVED_ON_DAY = 3, 7  # from this day on the feed's old address answers 301 for good
RETRY_AFTER_S = 12 * 3600


@dataclass(frozen=True)
class Page:
    """One published page: a story's first copy on its home outlet, or a wire copy elsewhere."""

    story: int
    outlet: int
    copy: bool
    published: datetime

    @property
    def path(self) -> str:
        return f"/{'wire' if self.copy else 'story'}-{self.story}.html"


def _rng(story: int, purpose: str) -> random.Random:
    return random.Random(f"newsmon-soak:{story}:{purpose}")


class World:
    """Stories from `start` for `days` days: STORIES_PER_DAY a day, each on a home outlet, most
    copied to one or two other outlets one to three days later."""

    def __init__(self, start: datetime, days: int) -> None:
        self.start, self.days = start, days
        self.end = start + timedelta(days=days)

    @cached_property
    def pages(self) -> list[Page]:
        found: list[Page] = []
        for story in range(self.days * STORIES_PER_DAY):
            rng = _rng(story, "when")
            published = self.start + timedelta(hours=24 * story / STORIES_PER_DAY + rng.uniform(0, 5))
            home = story % len(OUTLETS)
            found.append(Page(story, home, False, published))
            copies = rng.choices((0, 1, 2), weights=(3, 5, 2))[0]
            for k in range(1, copies + 1):
                lag = timedelta(days=rng.randint(1, 3), hours=rng.uniform(0, 12))
                found.append(Page(story, (home + k) % len(OUTLETS), True, published + lag))
        return sorted((p for p in found if p.published < self.end), key=lambda p: p.published)

    @cached_property
    def by_outlet_path(self) -> dict[tuple[int, str], Page]:
        return {(p.outlet, p.path): p for p in self.pages}

    def published(self, outlet: int, now: datetime) -> list[Page]:
        """What the outlet's feed lists at `now`: its newest pages, newest first."""
        mine = [p for p in self.pages if p.outlet == outlet and p.published <= now]
        return mine[::-1][:FEED_WINDOW]

    def fault(self, outlet: int, now: datetime) -> str | None:
        day = (now - self.start).days % CYCLE_DAYS
        first, last, kind = FAULTS.get(outlet, (-1, -1, ""))
        return kind if first <= day <= last else None

    def moved(self, outlet: int, now: datetime) -> bool:
        return outlet == MOVED_OUTLET and (now - self.start).days >= MOVED_ON_DAY


def code_of(story: int) -> str:
    return CODES[_rng(story, "code").randrange(len(CODES))]


def title_of(page: Page) -> str:
    title = generate_story(page.story).title
    return f"{OUTLETS[page.outlet]}: {title}" if page.copy else title


def render_page(page: Page, base: str) -> str:
    story = generate_story(page.story)
    url = f"{base}{page.path}"
    paragraphs = [
        *story.paragraphs,
        f"The working group known as {code_of(page.story)} meets again next month.",
    ]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    credit = (
        f"<p class='credit'>Distributed by {OUTLETS[page.story % len(OUTLETS)]}.</p>" if page.copy else ""
    )
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title_of(page))}"
        f"</title><link rel='canonical' href='{url}'><meta property='article:published_time' "
        f"content='{page.published.isoformat()}'></head><body><header><nav><a href='/'>"
        f"{OUTLETS[page.outlet]}</a></nav></header><article><h1>{html.escape(title_of(page))}</h1>"
        f"{body}{credit}</article><footer>(c) {OUTLETS[page.outlet]}</footer></body></html>"
    )


def render_feed(world: World, outlet: int, base: str, now: datetime) -> str:
    entries = "".join(
        f"<entry><id>{base}{p.path}</id><title>{html.escape(title_of(p))}</title>"
        f"<link href='{base}{p.path}'/><updated>{p.published.isoformat()}</updated></entry>"
        for p in world.published(outlet, now)
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<id>{base}/</id><title>{OUTLETS[outlet]}</title><updated>{now.isoformat()}</updated>{entries}</feed>"
    )


FAULT_ANSWERS: dict[str, tuple[int, bytes, dict[str, str]]] = {
    "dead": (503, b"down for maintenance", {"Content-Type": "text/plain"}),
    "gone": (404, b"no such feed", {"Content-Type": "text/plain"}),
    "rate-limited": (429, b"slow down", {"Retry-After": str(RETRY_AFTER_S)}),
}


def feed_answer(
    world: World, outlet: int, now: datetime, base: str, path: str, if_none_match: str | None
) -> tuple[int, bytes, dict[str, str]]:
    """Status, body and headers of the outlet's feed at `now`, faults and validators included."""
    if path == "/feed.xml" and world.moved(outlet, now):
        return 301, b"", {"Location": f"{base}/feed-moved.xml"}
    fault = world.fault(outlet, now)
    if fault in FAULT_ANSWERS:
        return FAULT_ANSWERS[fault]
    body = render_feed(world, outlet, base, now).encode()
    if fault == "broken":
        body = body[: len(body) // 3]
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    if if_none_match == etag:
        return 304, b"", {"ETag": etag}
    return (
        200,
        body,
        {
            "Content-Type": "application/atom+xml",
            "ETag": etag,
            "Last-Modified": format_datetime(now, usegmt=True),
        },
    )


class _State:
    def __init__(self, world: World) -> None:
        self.world = world
        self.now = world.start
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()


def _outlet_handler(state: _State, outlet: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (stdlib name)
            world, now = state.world, state.now
            base = f"http://{self.headers.get('Host')}"
            if self.path in ("/feed.xml", "/feed-moved.xml"):
                self._feed(world, now, base)
                return
            page = world.by_outlet_path.get((outlet, self.path))
            if page is None or page.published > now:
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            self._send(200, render_page(page, base).encode(), {"Content-Type": "text/html; charset=utf-8"})

        def _feed(self, world: World, now: datetime, base: str) -> None:
            self._send(*feed_answer(world, outlet, now, base, self.path, self.headers.get("If-None-Match")))

    return Handler


def _control_handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_PUT(self) -> None:  # noqa: N802 (stdlib name)
            state.now = datetime.fromisoformat(self._body().decode())
            self._reply(204)

        def do_POST(self) -> None:  # noqa: N802 (stdlib name)
            payload = json.loads(self._body() or b"null")
            with state.lock:
                state.received.append({"at": state.now.isoformat(), "payload": payload})
            self._reply(200, b"{}")

        def do_GET(self) -> None:  # noqa: N802 (stdlib name)
            with state.lock:
                self._reply(200, json.dumps(state.received).encode())

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up early (a fetch past its deadline) is no error of the world's."""


def serve(start: datetime, days: int) -> None:
    state = _State(World(start, days))
    servers = [_Server((f"127.0.0.{20 + i}", 0), _outlet_handler(state, i)) for i in range(len(OUTLETS))]
    control = _Server(("127.0.0.1", 0), _control_handler(state))
    for server in (*servers, control):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    addresses = {
        "outlets": [f"http://{s.server_address[0]}:{s.server_address[1]}" for s in servers],
        "control": f"http://127.0.0.1:{control.server_address[1]}",
    }
    print(json.dumps(addresses), flush=True)
    sys.stdin.read()  # until the controller closes it (or dies)


if __name__ == "__main__":
    serve(datetime.fromisoformat(sys.argv[1]).astimezone(UTC), int(sys.argv[2]))
