"""The HTTP layer against a real loopback server: guard, caps, errors, kept connections."""

import base64
import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from newsmon.errors import FetchError
from newsmon.fetching import Fetcher, check_destination
from newsmon.settings import load_settings
from tests.helpers.servers import free_port


def allowed(**kw):
    return load_settings({"NEWSMON_ALLOW_PRIVATE_NETWORKS": "1"}, **kw)


def test_loopback_and_private_refused_by_default():
    for url in (
        "http://127.0.0.1:8080/feed",
        "http://localhost/x",
        "http://10.1.2.3/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data",
    ):
        with pytest.raises(FetchError, match="NEWSMON_ALLOW_PRIVATE_NETWORKS"):
            check_destination(url, allow_private=False)
    check_destination("http://127.0.0.1:8080/feed", allow_private=True)


def test_only_http_schemes():
    with pytest.raises(FetchError, match="unsupported scheme"):
        check_destination("file:///etc/passwd", allow_private=True)


def test_guard_applies_when_fetching(site):
    with Fetcher(load_settings({})) as fetcher, pytest.raises(FetchError, match="non-public address"):
        fetcher.get(f"{site.base_url}/outlet/rss.xml", max_bytes=10_000)


def test_user_agent_names_the_project(site):
    with Fetcher(allowed()) as fetcher:
        got = fetcher.get(f"{site.base_url}/outlet/rss.xml", max_bytes=1_000_000)
    assert got.status == 200 and b"<rss" in got.content
    assert "newsmon" in fetcher.settings.user_agent


def test_refused_connection_is_a_fetch_error():
    port = free_port()  # nothing listens there
    with Fetcher(allowed()) as fetcher, pytest.raises(FetchError, match="connection failed"):
        fetcher.get(f"http://127.0.0.1:{port}/feed.xml", max_bytes=1000)


def test_http_404(site):
    with Fetcher(allowed()) as fetcher, pytest.raises(FetchError, match="HTTP 404"):
        fetcher.get(f"{site.base_url}/status/404", max_bytes=1000)


def test_byte_cap(site):
    with Fetcher(allowed()) as fetcher:
        with pytest.raises(FetchError, match="too large"):
            fetcher.get(f"{site.base_url}/generated/big.html?bytes=200000", max_bytes=100_000)
        assert (
            len(fetcher.get(f"{site.base_url}/generated/big.html?bytes=50000", max_bytes=100_000).content)
            > 40_000
        )


def test_a_body_that_takes_too_long_is_cut_off(site):
    with Fetcher(allowed(total_timeout=1e-6)) as fetcher, pytest.raises(FetchError, match="too slow"):
        fetcher.get(f"{site.base_url}/generated/big.html?bytes=2000000", max_bytes=3_000_000)


# -- hostile servers ------------------------------------------------------------------------------


@contextmanager
def raw_server(handler):
    """A loopback TCP server calling handler(conn) per connection; yields (port, connections)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    accepted: list[bytes] = []
    stop = threading.Event()

    def serve_one(conn):
        with conn:
            try:
                handler(conn, accepted)
            except OSError:
                pass  # the client hung up, as it should

    def loop():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(b"")
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join()
        listener.close()


def read_request(conn) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        got = conn.recv(4096)
        if not got:
            break
        data += got
    return data


def answer(body: bytes, headers: dict[str, str] | None = None, status: str = "200 OK"):
    head = {"Content-Length": str(len(body)), "Connection": "close", **(headers or {})}
    raw = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items()) + "\r\n"

    def handler(conn, accepted):
        accepted[-1] = read_request(conn)
        conn.sendall(raw.encode() + body)

    return handler


def gzip_bomb(decoded_mib: int) -> bytes:
    """gzip of `decoded_mib` MiB of zeros, compressed a MiB at a time (about 1 KiB per MiB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1 << 20)
    return b"".join(packer.compress(zeros) for _ in range(decoded_mib)) + packer.flush()


def fake_dns(monkeypatch, answers: dict[str, list[str]]):
    """socket.getaddrinfo answering `answers[host]` in turn (the last one repeats); IP literals
    are not connected to but recorded, so no test packet leaves the machine."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        asked.append(host)
        if host in answers:
            queue = answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        if host == "93.184.216.34":  # the "public" answer: never really connected to
            raise socket.gaierror(socket.EAI_NONAME, "test: public address not reachable here")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_dns_rebinding_cannot_reach_an_internal_server(monkeypatch):
    # The name resolves to a public address when checked and to loopback afterwards: the request
    # must go to the checked address, so the loopback server sees nothing.
    with raw_server(answer(b"internal secret")) as (port, accepted):
        asked = fake_dns(monkeypatch, {"rebind.example": ["93.184.216.34", "127.0.0.1"]})
        with Fetcher(load_settings({}, connect_timeout=1, total_timeout=3)) as fetcher:
            with pytest.raises(FetchError, match="connection failed"):
                fetcher.get(f"http://rebind.example:{port}/admin", max_bytes=10_000)
        time.sleep(0.3)
        assert accepted == [], "the request reached the loopback server"
        assert asked.count("rebind.example") == 1  # resolved once
        assert "93.184.216.34" in asked  # and the connection went to the checked address


def test_the_pinned_connection_keeps_the_host_name(monkeypatch):
    with raw_server(answer(b"<html>ok</html>", {"Content-Type": "text/html"})) as (port, accepted):
        fake_dns(monkeypatch, {"news.example": ["127.0.0.1"]})
        with Fetcher(allowed()) as fetcher:
            got = fetcher.get(f"http://news.example:{port}/a", max_bytes=10_000)
    assert got.content == b"<html>ok</html>"
    assert f"host: news.example:{port}".encode() in accepted[0].lower()


def test_proxies_from_the_environment_are_ignored(site, monkeypatch):
    with raw_server(answer(b"from the proxy")) as (proxy_port, accepted):
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy_port}")
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        with Fetcher(allowed()) as fetcher:
            got = fetcher.get(f"{site.base_url}/outlet/rss.xml", max_bytes=1_000_000)
        assert b"<rss" in got.content
        assert accepted == []


def test_the_proxy_setting_is_used(monkeypatch):
    with raw_server(answer(b"via proxy")) as (proxy_port, accepted):
        fake_dns(monkeypatch, {"news.example": ["93.184.216.34"]})
        settings = load_settings({"NEWSMON_HTTP_PROXY": f"http://127.0.0.1:{proxy_port}"})
        with Fetcher(settings) as fetcher:
            got = fetcher.get("http://news.example/a", max_bytes=10_000)
    assert got.content == b"via proxy"
    assert accepted[0].startswith(b"GET http://news.example/a HTTP/1.1")


def test_one_deadline_covers_headers_trickled_byte_by_byte():
    response = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok"

    def trickle(conn, accepted):
        read_request(conn)
        for byte in response:
            conn.sendall(bytes([byte]))
            time.sleep(0.5)

    with raw_server(trickle) as (port, _):
        settings = allowed(total_timeout=2, read_timeout=5, connect_timeout=5)
        with Fetcher(settings) as fetcher:
            started = time.monotonic()
            with pytest.raises(FetchError, match="too slow: request not complete in 2 s"):
                fetcher.get(f"http://127.0.0.1:{port}/slow", max_bytes=10_000)
            elapsed = time.monotonic() - started
    assert elapsed < 3.5, f"took {elapsed:.1f} s against a 2 s deadline"


def test_one_deadline_covers_every_redirect_hop():
    def slow_redirect(conn, accepted):
        request = read_request(conn)
        time.sleep(0.8)  # each hop well within the read timeout
        hop = int(request.split(b" ")[1].rsplit(b"/", 1)[1] or 0)
        conn.sendall(f"HTTP/1.1 302 Found\r\nLocation: /{hop + 1}\r\nContent-Length: 0\r\n\r\n".encode())

    with raw_server(slow_redirect) as (port, accepted):
        with Fetcher(allowed(total_timeout=2, read_timeout=5, max_redirects=5)) as fetcher:
            started = time.monotonic()
            with pytest.raises(FetchError, match="too slow"):
                fetcher.get(f"http://127.0.0.1:{port}/0", max_bytes=10_000)
            elapsed = time.monotonic() - started
    assert elapsed < 3.0 and len(accepted) <= 3


def test_a_compression_bomb_stops_at_the_cap_in_little_memory():
    bomb = gzip_bomb(64)  # 64 MiB of zeros in about 64 KiB: one network read
    with raw_server(answer(bomb, {"Content-Encoding": "gzip"})) as (port, _):
        with Fetcher(allowed()) as fetcher:
            tracemalloc.start()
            try:
                with pytest.raises(FetchError, match="too large: more than 1000000 bytes"):
                    fetcher.get(f"http://127.0.0.1:{port}/bomb", max_bytes=1_000_000)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.0f} MiB while refusing a 1 MB-capped body"


def test_stacked_content_codings_are_refused():
    bomb = gzip.compress(gzip_bomb(64))  # about 1 KiB that would expand to 64 MiB
    assert len(bomb) < 2000
    with raw_server(answer(bomb, {"Content-Encoding": "gzip, gzip"})) as (port, _):
        with Fetcher(allowed()) as fetcher:
            tracemalloc.start()
            try:
                with pytest.raises(FetchError, match=r"more than one content coding \(gzip, gzip\)"):
                    fetcher.get(f"http://127.0.0.1:{port}/bomb", max_bytes=100_000_000)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
    assert peak < 8 * 2**20


@pytest.mark.parametrize(
    "coding, encode",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the standard says
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
        ("identity", lambda b: b),
    ],
)
def test_content_codings_are_decoded(coding, encode):
    page = b"<html><body>" + b"arms control " * 5000 + b"</body></html>"
    with raw_server(answer(encode(page), {"Content-Encoding": coding})) as (port, _):
        with Fetcher(allowed()) as fetcher:
            got = fetcher.get(f"http://127.0.0.1:{port}/p", max_bytes=1_000_000)
    assert got.content == page


def test_credentials_never_appear_in_fetch_errors():
    port = free_port()
    with Fetcher(allowed()) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get(f"http://reader:hunter22@127.0.0.1:{port}/feed.xml", max_bytes=1000)
    assert "hunter22" not in str(caught.value) and "hunter22" not in caught.value.url
    assert "hunter22" not in caught.value.reason
    with pytest.raises(FetchError) as caught:
        check_destination(f"http://reader:hunter22@127.0.0.1:{port}/", allow_private=False)
    assert "hunter22" not in str(caught.value)


def keep_alive(*answers: bytes):
    """A handler answering every request of a connection in turn with `answers` (the last one
    repeats), keeping the connection open between them, as servers with keep-alive do."""

    def handler(conn, accepted):
        n = 0
        while request := read_request(conn):
            accepted[-1] += request
            conn.sendall(answers[min(n, len(answers) - 1)])
            n += 1

    return handler


NOT_MODIFIED = b'HTTP/1.1 304 Not Modified\r\nETag: "a"\r\n\r\n'
MOVED = b"HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 9\r\n\r\nmoved on."
PAGE_OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 8\r\n\r\n<p>ok</p"


def test_304s_and_redirects_reuse_the_hosts_connection(monkeypatch):
    # A 304 has no body and a redirect's is not used: both used to close their connection, so a
    # feed pass paid a new connection for every feed that had not changed.
    with raw_server(keep_alive(NOT_MODIFIED, NOT_MODIFIED, NOT_MODIFIED, MOVED, PAGE_OK)) as (port, accepted):
        asked = fake_dns(monkeypatch, {"feeds.example": ["127.0.0.1"]})
        with Fetcher(allowed()) as fetcher:
            got = [
                fetcher.get(f"http://feeds.example:{port}/f", max_bytes=1000, headers={"If-None-Match": '"a"'},
                            raise_for_status=False).status
                for _ in range(3)
            ]  # fmt: skip
            page = fetcher.get(f"http://feeds.example:{port}/a", max_bytes=1000)
    assert got == [304, 304, 304]
    assert page.final_url.endswith("/b") and page.history == ((302, f"http://feeds.example:{port}/a"),)
    assert len(accepted) == 1, "each request opened a connection of its own"
    assert accepted[0].count(b"GET ") == 5
    # The guard still runs for every request and every hop, the connection reused or not.
    assert asked.count("feeds.example") == 5


def test_a_reused_connection_never_skips_the_guard(monkeypatch):
    # The host's connection is open when its name starts resolving to loopback: the request is
    # refused by the guard before the pool is asked for a connection.
    with raw_server(keep_alive(PAGE_OK)) as (port, accepted):
        fake_dns(monkeypatch, {"rebind.example": ["127.0.0.1"]})
        with Fetcher(allowed()) as fetcher:
            fetcher.get(f"http://rebind.example:{port}/a", max_bytes=1000)
            fetcher.settings = load_settings({}, connect_timeout=1, total_timeout=3)
            with pytest.raises(FetchError, match="non-public address 127.0.0.1"):
                fetcher.get(f"http://rebind.example:{port}/a", max_bytes=1000)
    assert accepted[0].count(b"GET ") == 1


def test_a_connection_the_server_closed_while_idle_is_not_reused():
    # The first answer keeps the connection open, then the server hangs up while it is idle: the
    # next request goes on a new connection instead of failing on the dead one.
    def answer_then_hang_up(conn, accepted):
        accepted[-1] = read_request(conn)
        conn.sendall(PAGE_OK)
        time.sleep(0.2)  # the client has the answer; now the idle connection is closed

    with raw_server(answer_then_hang_up) as (port, accepted):
        with Fetcher(allowed()) as fetcher:
            first = fetcher.get(f"http://127.0.0.1:{port}/a", max_bytes=1000)
            time.sleep(0.5)
            second = fetcher.get(f"http://127.0.0.1:{port}/a", max_bytes=1000)
    assert first.content == second.content == b"<p>ok</p"
    assert len(accepted) == 2


def test_fetching_threads_share_each_hosts_connections():
    with raw_server(keep_alive(PAGE_OK)) as (port, accepted):
        with Fetcher(allowed()) as fetcher, ThreadPoolExecutor(4) as threads:
            got = list(
                threads.map(
                    lambda i: fetcher.get(f"http://127.0.0.1:{port}/{i}", max_bytes=1000).status, range(200)
                )
            )
    assert got == [200] * 200
    assert len(accepted) <= 4, "a connection per request, not per thread"
    assert sum(a.count(b"GET ") for a in accepted) == 200


def test_a_cookie_a_server_sets_is_sent_back_to_it():
    first = b"HTTP/1.1 200 OK\r\nSet-Cookie: consent=yes; Path=/\r\nContent-Length: 2\r\n\r\nok"
    with raw_server(keep_alive(first, PAGE_OK)) as (port, accepted):
        with Fetcher(allowed()) as fetcher:
            fetcher.get(f"http://127.0.0.1:{port}/a", max_bytes=1000)
            fetcher.get(f"http://127.0.0.1:{port}/b", max_bytes=1000)
    requests = accepted[0].split(b"GET ")[1:]
    assert b"cookie:" not in requests[0].lower()
    assert b"cookie: consent=yes" in requests[1].lower()


def test_credentials_in_the_url_are_sent_as_basic_auth():
    with raw_server(answer(b"ok")) as (port, accepted):
        with Fetcher(allowed()) as fetcher:
            fetcher.get(f"http://reader:hunter22@127.0.0.1:{port}/feed.xml", max_bytes=1000)
    token = base64.b64encode(b"reader:hunter22").decode()
    assert f"Authorization: Basic {token}\r\n".encode() in accepted[0]
    assert accepted[0].startswith(b"GET /feed.xml HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{port}\r\n".encode() in accepted[0]
