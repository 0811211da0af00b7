"""The connection layer under newsmon.fetching: where a socket may go, how long each of its
operations may take, and which open connections are kept for the next request to the same host.

httpx's own timeouts bound each socket operation, not a request: a server that sends its headers
one byte every few seconds never trips the read timeout. Rather than run requests in threads that
cannot be cancelled, the network backend below gives every connect, read, write and TLS handshake
at most the time left before the request's deadline; when none is left the operation times out,
and the socket is closed as for any timeout. It is also where the pinned address is used. Both
come from context variables set by Fetcher.get for the current request (each fetching thread has
its own context).
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from newsmon.settings import Settings

KEEPALIVE_S = 5.0  # how long an idle connection is kept (httpx's default, which newsmon used before)


@dataclass(frozen=True)
class Destination:
    host: str
    port: int
    address: str  # the IP the connection is made to


DEADLINE: ContextVar[float | None] = ContextVar("newsmon_fetch_deadline", default=None)
PINNED: ContextVar[Destination | None] = ContextVar("newsmon_fetch_pinned", default=None)


def _time_left(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the request's total deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        # server_hostname is the URL's host, not the pinned IP: SNI and certificate checks hold.
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _time_left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """Plain connections (no pinning) whose every operation ends by the request's deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def _target(self, host: str, port: int) -> str:
        """The address to connect to for `host`."""
        return host

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:  # fmt: skip
        stream = self._inner.connect_tcp(
            self._target(host, port),
            port,
            _time_left(timeout, httpcore.ConnectTimeout),
            local_address,
            socket_options,
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class PinnedBackend(DeadlineBackend):
    """Connects to the address the guard checked, and only there (or to the configured proxy)."""

    def __init__(self, proxy_origin: tuple[str, int] | None):
        super().__init__()
        self._proxy_origin = proxy_origin

    def _target(self, host: str, port: int) -> str:
        pinned = PINNED.get()
        if pinned is not None and (host, port) == (pinned.host, pinned.port):
            return pinned.address
        if self._proxy_origin is not None and (host, port) == self._proxy_origin:
            return host  # the operator's proxy: trusted, resolved as usual
        raise httpcore.ConnectError(f"refused: {host}:{port} was not resolved and checked first")


def deadline_transport() -> httpx.HTTPTransport:
    """A transport for requests to operator-configured endpoints (alert webhooks): no address guard,
    but every request made inside `total_deadline(...)` ends by its deadline, however slowly the
    peer trickles its answer."""
    transport = httpx.HTTPTransport()
    # httpx has no parameter for httpcore's network backend; its pool keeps it in this attribute
    # (httpcore 1.x). A test fails if an upgrade moves it.
    pool = transport._pool
    assert hasattr(pool, "_network_backend"), "httpcore changed: cannot bound requests"
    pool._network_backend = DeadlineBackend()
    return transport


@contextmanager
def total_deadline(seconds: float) -> Iterator[None]:
    """Requests through a deadline transport inside this block end within `seconds` of its start."""
    token = DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        DEADLINE.reset(token)


def connection_maker(settings: Settings) -> httpcore.ConnectionPool:
    """What makes new connections for KeepAlive: httpcore's, with the pinned backend, to the host
    directly or through the configured proxy (NEWSMON_HTTP_PROXY), as httpx's transport sets them up."""
    proxy = settings.http_proxy.get_secret_value() if settings.http_proxy else None
    ssl_context = httpx.create_ssl_context()
    if not proxy:
        return httpcore.ConnectionPool(
            ssl_context=ssl_context, keepalive_expiry=KEEPALIVE_S, network_backend=PinnedBackend(None)
        )
    parsed = httpx.Proxy(proxy)  # credentials in the URL become the Proxy-Authorization header
    url = parsed.url
    return httpcore.HTTPProxy(
        proxy_url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
        proxy_auth=parsed.raw_auth,
        proxy_headers=parsed.headers.raw,
        ssl_context=ssl_context,
        keepalive_expiry=KEEPALIVE_S,
        network_backend=PinnedBackend((url.host, url.port or (443 if url.scheme == "https" else 80))),
    )


_Key = tuple[bytes, bytes, int]


class KeepAlive:
    """Open connections kept per origin (scheme, host, port) between requests, shared by the
    fetching threads: a host's next request reuses one instead of a new TCP (and TLS) connection.

    httpcore's own pool re-examines every connection it holds (a poll(2) for each idle one) under
    one lock, twice per request; with a feed pass's sixteen threads that bookkeeping cost more CPU
    than the request itself. Here a request takes the newest idle connection of its origin, or a
    new one from `maker` (httpcore's, see connection_maker), and the connection comes back when
    its response is closed, complete. Open connections are bounded by the requests running at once
    (the fetching threads), idle ones by `max_idle`.
    """

    def __init__(self, maker: httpcore.ConnectionPool, max_idle: int):
        self._maker = maker
        self._max_idle = max_idle
        self._lock = threading.Lock()
        self._idle: dict[_Key, list[httpcore.ConnectionInterface]] = {}
        self._count = 0
        self._closed = False

    def request(self, request: httpcore.Request) -> httpcore.Response:
        """Send `request`; the caller reads the response's stream and closes the response."""
        origin = request.url.origin
        key = (origin.scheme, origin.host, origin.port)
        connection = self._take(key)
        while True:
            if connection is None:
                connection = self._maker.create_connection(origin)
            try:
                response = connection.handle_request(request)
            except httpcore.ConnectionNotAvailable:
                connection.close()  # taken while it was being closed: the next one is new
                connection = None
                continue
            except BaseException:
                connection.close()
                raise
            return httpcore.Response(
                status=response.status,
                headers=response.headers,
                content=_Returning(response, connection, key, self),
                extensions=response.extensions,
            )

    def _take(self, key: _Key) -> httpcore.ConnectionInterface | None:
        while True:
            with self._lock:
                kept = self._idle.get(key)
                if not kept:
                    return None
                connection = kept.pop()
                self._count -= 1
            # Outside the lock: has_expired polls the socket (a server that hung up makes it readable).
            if connection.is_available() and not connection.has_expired():
                return connection
            connection.close()

    def give_back(self, connection: httpcore.ConnectionInterface, key: _Key) -> None:
        if connection.is_available():
            with self._lock:
                if not self._closed and self._count < self._max_idle:
                    self._idle.setdefault(key, []).append(connection)
                    self._count += 1
                    return
        connection.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            kept = [c for connections in self._idle.values() for c in connections]
            self._idle.clear()
            self._count = 0
        for connection in kept:
            connection.close()


class _Returning:
    """A response's body stream that gives its connection back to KeepAlive once closed."""

    def __init__(
        self,
        response: httpcore.Response,
        connection: httpcore.ConnectionInterface,
        key: _Key,
        pool: KeepAlive,
    ):
        self._response = response
        self._connection = connection
        self._key = key
        self._pool = pool
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._response.iter_stream()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            # A body not read to its end closes the connection (httpcore): only a complete
            # answer leaves it available for the next request.
            self._response.close()
            self._pool.give_back(self._connection, self._key)
