"""Feed polling: what per-feed state and conditional GET save, and what the state costs at scale.

1. 1,000 feeds served on loopback by a separate process (20 items each, strong ETags). After a
   first pass has stored every feed's validators, a pass in which 90% of the feeds answer 304 is
   timed against one in which all 1,000 changed, in turn, ROUNDS times: each kind's best time
   counts, so both are measured in the same warm state and neither is favoured by the machine's
   load of the moment. A pass here is the feed stage of a batch, as `process_batch` runs it: read
   the states (mget), conditional GETs, parse what changed, ask the index which entries are known,
   write the states (bulk). Target: ratio at most 0.15.
2. State handling alone (mget, schedule, bulk write) for 1,000 and for 10,000 feeds: the per-feed
   cost at 10,000 may be at most 1.5 x that at 1,000 (one request per batch, not per feed).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from email.utils import formatdate

import httpx

from bench.loopback import served
from newsmon import clock
from newsmon.config import FeedConfig
from newsmon.fetching import Fetcher
from newsmon.reader.poll import poll_feeds
from newsmon.reader.state import FeedState, Poll, apply_poll, states_from
from newsmon.settings import load_settings
from newsmon.storage import Storage

FEEDS = 1000
ITEMS = 20
ROUNDS = 3


def _feed(i: int, gen: int) -> bytes:
    items = "".join(
        f"<item><title>Story {k} of feed {i}, generation {gen}</title>"
        f"<link>http://news{i % 50}.example/{i}/{gen}/{k}.html</link>"
        f"<description>Negotiators met in Geneva to discuss item {k}.</description>"
        f"<pubDate>Mon, 30 Nov 2026 08:{k:02d}:00 GMT</pubDate></item>"
        for k in range(ITEMS)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {i}</title>'
        f"<link>http://news{i % 50}.example/</link>{items}</channel></rss>"
    ).encode()


def _answer(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    head = {
        "Server": "bench-feeds",
        "Date": formatdate(usegmt=True),
        **headers,
        "Content-Length": str(len(body)),
    }
    return (
        f"HTTP/1.1 {status}\r\n".encode()
        + "".join(f"{k}: {v}\r\n" for k, v in head.items()).encode()
        + b"\r\n"
        + body
    )


def serve(port: int) -> None:
    """The feed server: /feed/N.xml with ETag "N-gen"; GET /bump?mod=M changes every feed N % M == 0.

    It stands for a thousand publishers' servers, whose CPU a deployment does not pay: one thread
    (asyncio), keep-alive, each feed's answers made when it changes (at /bump, before a timed
    pass), so that it takes as little of the two cores the measured side runs on as it can.
    """
    generation = [0] * FEEDS
    full: list[bytes] = []  # per feed: the 200 with its body
    not_modified: list[bytes] = []  # per feed: the 304
    etags: list[bytes] = []

    def render(i: int) -> None:
        etag = f'"{i}-{generation[i]}"'
        full[i] = _answer(
            "200 OK", {"ETag": etag, "Content-Type": "application/rss+xml"}, _feed(i, generation[i])
        )
        not_modified[i] = _answer("304 Not Modified", {"ETag": etag})
        etags[i] = etag.encode()

    full.extend([b""] * FEEDS)
    not_modified.extend([b""] * FEEDS)
    etags.extend([b""] * FEEDS)
    for i in range(FEEDS):
        render(i)

    def respond(head: bytes) -> bytes:
        lines = head.split(b"\r\n")
        path = lines[0].split(b" ")[1].decode()
        if path.startswith("/bump"):
            mod = int(path.split("mod=")[1])
            for i in range(0, FEEDS, mod):
                generation[i] += 1
                render(i)
            return _answer("200 OK", {}, b"ok")
        i = int(path.rsplit("/", 1)[1].split(".")[0])
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"if-none-match" and value.strip() == etags[i]:
                return not_modified[i]
        return full[i]

    class Connection(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while b"\r\n\r\n" in self.buffer:  # GET requests only: no body
                head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
                self.transport.write(respond(head))

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Connection, "127.0.0.1", port)
        print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        await server.serve_forever()

    asyncio.run(main())


def feed_pass(storage: Storage, settings, feeds: list[FeedConfig]) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    now = clock.now()
    states = storage.feed_states
    old = states_from(states.get_many(f.id for f in feeds))
    with Fetcher(settings) as fetcher:
        polled = poll_feeds(fetcher, feeds, old, now)
    entries = {e.id for p in polled for e in p.entries}
    known = storage.articles.known(entries) if entries else {}
    new_states = []
    outcomes: dict[str, int] = {}
    for p in polled:
        p.poll.new = sum(1 for e in p.entries if e.id not in known)
        outcomes[p.poll.outcome] = outcomes.get(p.poll.outcome, 0) + 1
        new_states.append(apply_poll(old.get(p.feed.id) or FeedState(p.feed.id, p.feed.url), p.poll, now))
    states.put_many(s.to_doc() for s in new_states)
    return time.perf_counter() - started, outcomes


def state_cost(storage: Storage, n: int) -> float:
    """Seconds per feed to read, schedule and write the state of n feeds."""
    states = storage.feed_states.scratch(n)
    ids = [f"feed-{i}" for i in range(n)]
    now = clock.now()
    states.put_many([FeedState(id=i, url=f"http://h{i}.example/rss.xml", etag='"x"').to_doc() for i in ids])
    states.refresh()
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        got = states_from(states.get_many(ids))
        poll = Poll("not_modified", status=304)
        states.put_many([apply_poll(got[i], poll, now).to_doc() for i in ids])
        best = min(best, time.perf_counter() - started)
    return best / n


def _times(seconds: list[float]) -> str:
    return " ".join(f"{s:.2f}" for s in seconds)


def run() -> list[str]:
    prefix = f"bench-{uuid.uuid4().hex[:6]}-"
    settings = load_settings(index_prefix=prefix, allow_private_networks=True)
    with Storage.from_settings(settings) as storage:
        try:
            with served(["-c", "from bench.feeds import serve; serve(0)"]) as base:
                storage.setup()
                feeds = [FeedConfig(id=f"f{i}", url=f"{base}/feed/{i}.xml") for i in range(FEEDS)]
                feed_pass(storage, settings, feeds)  # stores every feed's validators
                times_304: list[float] = []
                times_changed: list[float] = []
                for _ in range(ROUNDS):
                    httpx.get(f"{base}/bump?mod=10")
                    seconds, outcomes_304 = feed_pass(storage, settings, feeds)
                    times_304.append(seconds)
                    httpx.get(f"{base}/bump?mod=1")
                    seconds, outcomes_changed = feed_pass(storage, settings, feeds)
                    times_changed.append(seconds)
                mostly_304, changed = min(times_304), min(times_changed)
                ratio = mostly_304 / changed
                small = state_cost(storage, 1000)
                large = state_cost(storage, 10_000)
                scale = large / small
        finally:
            storage.drop_all()
    return [
        f"{FEEDS} feeds x {ITEMS} items on loopback; outcomes {outcomes_304} then {outcomes_changed}",
        f"feed pass, 90% 304 / all changed, best of {ROUNDS}: {mostly_304:.2f} s / {changed:.2f} s, "
        f"ratio {ratio:.2f} (target <= 0.15{'' if ratio <= 0.15 else ': MISSED'}); "
        f"all: {_times(times_304)} / {_times(times_changed)}",
        f"feed state per feed, 10,000 / 1,000 feeds: {large * 1e6:.0f} us / {small * 1e6:.0f} us, "
        f"ratio {scale:.2f} (target <= 1.5{'' if scale <= 1.5 else ': MISSED'})",
    ]
