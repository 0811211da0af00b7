"""Pages that trickle on one host do not hold the fetch threads other hosts' pages need: with per-host
queues a thread only takes a page it can start now. Two loopback servers (two hosts): one whose pages
trickle until the test lets them end, one that answers at once."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from newsmon.articles import _Fetching
from newsmon.errors import FetchError
from newsmon.fetching import Fetcher
from newsmon.records import FeedEntry
from newsmon.settings import load_settings

PAGE = b"<html><head><title>x</title></head><body><p>A page.</p></body></html>"


class Host:
    """A loopback host; with `hold` set, each page sends its headers and one byte, then trickles
    nothing more until `hold` is cleared (the test ends it)."""

    def __init__(self, slow: bool) -> None:
        self.release = threading.Event()
        self.started = 0
        self.finished = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:  # noqa: N802 (stdlib name)
                outer.started += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(PAGE)))
                self.end_headers()
                if slow:
                    self.wfile.write(PAGE[:1])
                    self.wfile.flush()
                    while not outer.release.wait(0.5):
                        pass
                    self.wfile.write(PAGE[1:])
                else:
                    self.wfile.write(PAGE)
                outer.finished += 1

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def entries(base: str, feed: str, n: int) -> list[FeedEntry]:
    return [
        FeedEntry(feed, f"{base}/{feed}/{i}.html", f"{base}/{feed}/{i}.html", f"{feed}-{i}") for i in range(n)
    ]


def test_trickling_host_does_not_hold_the_threads_other_hosts_need():
    slow, fast = Host(slow=True), Host(slow=False)
    settings = load_settings(
        {
            "NEWSMON_ALLOW_PRIVATE_NETWORKS": "1",
            "NEWSMON_FETCH_CONCURRENCY": "8",
            "NEWSMON_HOST_CONCURRENCY": "2",
        }
    )
    # The slow host's pages come first, as when one outlet's feed lists many pages.
    todo = entries(slow.base, "slow", 12) + entries(fast.base, "fast", 12)
    fetcher = Fetcher(settings)
    fetching = _Fetching(fetcher, todo, window=100, robots_off={"slow", "fast"})
    got: dict[str, object] = {}
    try:
        for _ in range(240):  # up to a minute: the old scheduling never gets there while `slow` trickles
            item = fetching.take(0.25)
            if item is not None:
                got[item[0].id] = item[1]
            if sum(1 for key in got if key.startswith("fast-")) == 12:
                break
        fast_pages = {k: v for k, v in got.items() if k.startswith("fast-")}
        assert len(fast_pages) == 12, f"only {len(fast_pages)} of the fast host's pages fetched"
        assert not any(isinstance(v, FetchError) for v in fast_pages.values())
        # All of that while the slow host was still trickling, with never more than its 2 slots.
        assert slow.finished == 0 and slow.started == 2
    finally:
        slow.release.set()
        fetching.close()
        fetcher.close()
        slow.close()
        fast.close()
