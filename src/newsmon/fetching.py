"""All HTTP goes through here: user agent, timeouts, byte caps, redirects and the network guard.

Three limits hold whatever the server does:
- the address checked is the address connected to: each hop's host is resolved once, refused if
  it is not public, and the connection is made to that IP (Host header, TLS SNI and certificate
  checks still use the host name), so a DNS answer that changes between check and connect (DNS
  rebinding) cannot reach an internal server;
- one deadline (NEWSMON_TOTAL_TIMEOUT) covers connecting, sending, the response headers, the body
  and every redirect hop: each socket operation gets at most the time that is left;
- the byte cap counts decoded bytes, decoded incrementally, and at most one content coding is
  accepted, so a small compressed "bomb" stops at the cap without inflating in memory.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from newsmon import clock
from newsmon.errors import FetchError
from newsmon.redaction import redact_url
from newsmon.settings import Settings

# httpx logs every request's full URL at INFO and httpcore every header at DEBUG: a feed's key, a
# password in its URL, a webhook's token. newsmon logs its own fetches, redacted; theirs stay quiet.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

HTML_TYPES = ("text/html", "application/xhtml+xml")
ACCEPT_ENCODING = "gzip, deflate"  # what _decoder can undo; brotli is not installed


@dataclass(frozen=True)
class Fetched:
    url: str  # what was asked for
    final_url: str  # after redirects
    status: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)
    # (status, url) of every redirect hop followed, in order: a 301/308 means the feed moved.
    history: tuple[tuple[int, str], ...] = ()
    # When the answer arrived, by newsmon's clock: the article's `fetched_at`.
    at: datetime = field(default_factory=clock.now)

    @property
    def permanent_target(self) -> str | None:
        """Where a chain of permanent redirects (301/308 only) ends, or None."""
        if self.history and all(status in (301, 308) for status, _ in self.history):
            return self.final_url
        return None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class Destination:
    host: str
    port: int
    address: str  # the IP the connection is made to


def resolve_destination(url: str, allow_private: bool, *, via_proxy: bool = False) -> Destination | None:
    """Resolve `url`'s host once; refuse loopback, private, link-local and reserved addresses
    unless allowed. The caller connects to `.address` and nowhere else.

    A feed list is user input: without this guard a feed could make the monitor probe the
    internal network (SSRF). Every redirect hop is resolved and checked again.

    Through a proxy (`via_proxy`), the proxy resolves and connects: a host that resolves here is
    still checked, one that does not (only the proxy's DNS knows it) is left to the proxy's policy,
    and None is returned.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(url, f"unsupported scheme {parts.scheme!r} (only http and https)")
    host = parts.hostname
    if not host:
        raise FetchError(url, "no host in URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError(url, "invalid port") from None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        if via_proxy:
            return None
        raise FetchError(url, f"cannot resolve host {host!r}: {getattr(exc, 'strerror', exc)}") from None
    addresses = [str(info[4][0]) for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]
    if not addresses:
        raise FetchError(url, f"cannot resolve host {host!r}: no IP address")
    if not allow_private:
        # Every answer must be public: refusing on any private one leaves no choice to an attacker.
        for address in addresses:
            if not _is_public(address):
                raise FetchError(
                    url,
                    f"refused: {host} resolves to non-public address {address} "
                    "(set NEWSMON_ALLOW_PRIVATE_NETWORKS=1 to allow loopback/private networks)",
                )
    return Destination(host=host, port=port, address=addresses[0])


def check_destination(url: str, allow_private: bool) -> None:
    """Refuse `url` if its scheme is not http(s) or its host resolves to a non-public address."""
    resolve_destination(url, allow_private)


# -- the connection layer ---------------------------------------------------------------------------
#
# httpx's own timeouts bound each socket operation, not a request: a server that sends its headers
# one byte every few seconds never trips the read timeout. Rather than run requests in threads that
# cannot be cancelled, the network backend below gives every connect, read, write and TLS handshake
# at most the time left before the request's deadline; when none is left the operation times out,
# and the socket is closed by httpx as for any timeout. It is also where the pinned address is
# used. Both come from context variables set by Fetcher.get for the current request (each fetching
# thread has its own context).

_DEADLINE: ContextVar[float | None] = ContextVar("newsmon_fetch_deadline", default=None)
_PINNED: ContextVar[Destination | None] = ContextVar("newsmon_fetch_pinned", default=None)


def _time_left(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = _DEADLINE.get()
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


class _DeadlineBackend(httpcore.NetworkBackend):
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


class _PinnedBackend(_DeadlineBackend):
    """Connects to the address the guard checked, and only there (or to the configured proxy)."""

    def __init__(self, proxy_origin: tuple[str, int] | None):
        super().__init__()
        self._proxy_origin = proxy_origin

    def _target(self, host: str, port: int) -> str:
        pinned = _PINNED.get()
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
    pool = transport._pool
    assert hasattr(pool, "_network_backend"), "httpcore changed: cannot bound requests"
    pool._network_backend = _DeadlineBackend()
    return transport


@contextmanager
def total_deadline(seconds: float) -> Iterator[None]:
    """Requests through a deadline transport inside this block end within `seconds` of its start."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _transport(settings: Settings) -> httpx.HTTPTransport:
    proxy = settings.http_proxy.get_secret_value() if settings.http_proxy else None
    transport = httpx.HTTPTransport(
        proxy=proxy, limits=httpx.Limits(max_connections=settings.fetch_concurrency * 2)
    )
    proxy_origin = None
    if proxy:
        parts = httpx.URL(proxy)
        proxy_origin = (parts.host, parts.port or (443 if parts.scheme == "https" else 80))
    # httpx has no parameter for httpcore's network backend; its pool keeps it in this attribute
    # (httpcore 1.x, both ConnectionPool and HTTPProxy). A test fails if an upgrade moves it.
    pool = transport._pool
    assert hasattr(pool, "_network_backend"), "httpcore changed: cannot pin connections"
    pool._network_backend = _PinnedBackend(proxy_origin)
    return transport


# -- decoding ---------------------------------------------------------------------------------------


class _Decompressor(Protocol):
    """What _decoded needs of a decoder: zlib's decompress objects and _Deflate."""

    def decompress(self, data: bytes, max_length: int, /) -> bytes: ...

    @property
    def unconsumed_tail(self) -> bytes: ...


def _decoder(url: str, header: str | None) -> _Decompressor | None:
    """A zlib decompressobj for the response's content coding, or None for identity."""
    codings = [c.strip().lower() for c in (header or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) > 1:
        # Each stacked coding multiplies a bomb's expansion; no real server needs two.
        raise FetchError(url, f"refused: more than one content coding ({', '.join(codings)})")
    coding = codings[0]
    if coding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if coding == "deflate":
        return _Deflate()
    raise FetchError(url, f"refused: unsupported content coding {coding!r}")


class _Deflate:
    """`deflate` is zlib-wrapped by the standard, raw by some servers: decided on the first bytes."""

    def __init__(self) -> None:
        self._obj: _Decompressor | None = None

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._obj is None:
            # A zlib stream starts with a header whose method nibble is 8 and whose two bytes are a
            # multiple of 31 (RFC 1950); anything else is taken as raw deflate.
            raw = len(data) < 2 or (data[0] & 0x0F) != 8 or ((data[0] << 8) | data[1]) % 31 != 0
            self._obj = zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
        return self._obj.decompress(data, max_length)

    @property
    def unconsumed_tail(self) -> bytes:
        return self._obj.unconsumed_tail if self._obj is not None else b""


def _decoded(
    url: str, raw: Iterator[bytes], decoder: _Decompressor | None, max_bytes: int
) -> Iterator[bytes]:
    """Decoded chunks of `raw`; never produces more than max_bytes + 1 bytes in all."""
    size = 0
    for chunk in raw:
        data = chunk
        while data:
            if decoder is None:
                out, data = data, b""
            else:
                try:
                    # max_length bounds the output of this one call: a few compressed bytes cannot
                    # expand past the cap in memory before the cap is checked.
                    out = decoder.decompress(data, max_bytes - size + 1)
                except zlib.error as exc:
                    raise FetchError(url, f"corrupt compressed body: {exc}") from None
                data = decoder.unconsumed_tail
                if not out and data:
                    raise FetchError(url, "corrupt compressed body: no progress")
            size += len(out)
            if size > max_bytes:
                raise FetchError(url, f"too large: more than {max_bytes} bytes (the cap)")
            if out:
                yield out


DRAIN_MAX_BYTES = 16 * 1024


def _drain(response: httpx.Response, deadline: float) -> None:
    """Read the short body of an answer whose body is not used (304, redirect, error status), so
    that its connection goes back to the pool for the host's next request: a response closed
    before its end closes the connection, and a 304 then costs a new TCP connection (and a new
    thread in many servers). A body longer than DRAIN_MAX_BYTES, or past the deadline, is not
    worth reading: its connection is closed as before."""
    size = 0
    try:
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > DRAIN_MAX_BYTES or time.monotonic() > deadline:
                return
    except httpx.HTTPError:
        return  # the answer is complete without its body; the broken connection is not reused


class Fetcher:
    """A thread-safe HTTP client with the project's limits. Use as a context manager."""

    def __init__(self, settings: Settings):
        self.settings = settings
        timeout = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.read_timeout,
        )
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,  # followed by hand so every hop passes the network guard
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            transport=_transport(settings),
            trust_env=False,  # HTTP(S)_PROXY, NO_PROXY, .netrc: only settings decide where we connect
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: str | None = None,
        headers: dict[str, str] | None = None,
        raise_for_status: bool = True,
    ) -> Fetched:
        """GET with redirects followed by hand. `headers` are sent on every hop (validators);
        with `raise_for_status=False` a 304 or an error status is returned, body not read."""
        total = self.settings.total_timeout
        deadline = time.monotonic() + total
        deadline_token = _DEADLINE.set(deadline)
        try:
            return self._get(
                url, max_bytes=max_bytes, accept=accept, deadline=deadline, headers=headers,
                raise_for_status=raise_for_status,
            )  # fmt: skip
        except httpx.TimeoutException as exc:
            if time.monotonic() >= deadline - 0.05:
                raise FetchError(url, f"too slow: request not complete in {total:g} s") from None
            raise FetchError(url, f"timed out ({type(exc).__name__})") from None
        except httpx.ConnectError as exc:
            raise FetchError(url, f"connection failed: {redact_url(str(exc))}") from None
        except httpx.HTTPError as exc:
            raise FetchError(url, f"HTTP error: {type(exc).__name__}: {redact_url(str(exc))}") from None
        finally:
            _DEADLINE.reset(deadline_token)

    def _get(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: str | None,
        deadline: float,
        headers: dict[str, str] | None,
        raise_for_status: bool,
    ) -> Fetched:
        current = url
        history: list[tuple[int, str]] = []
        sent = dict(headers or {})
        if accept:
            sent["Accept"] = accept
        for _ in range(self.settings.max_redirects + 1):
            checked = resolve_destination(
                current, self.settings.allow_private_networks, via_proxy=self.settings.http_proxy is not None
            )
            pinned_token = _PINNED.set(checked)
            try:
                with self._client.stream("GET", current, headers=sent or None) as response:
                    # httpx counts 304 among redirects; here it is an answer to our validators.
                    if response.status_code in (301, 302, 303, 307, 308):
                        _drain(response, deadline)
                        location = response.headers.get("location")
                        if not location:
                            raise FetchError(url, f"HTTP {response.status_code} redirect without Location")
                        history.append((response.status_code, current))
                        current = urljoin(current, location)
                        if any(seen == current for _, seen in history):
                            raise FetchError(url, f"redirect loop at {current}")
                        continue
                    if response.status_code >= 400 or response.status_code == 304:
                        if raise_for_status:
                            raise FetchError(url, f"HTTP {response.status_code}")
                        _drain(response, deadline)
                        return Fetched(
                            url=url,
                            final_url=str(response.url),
                            status=response.status_code,
                            content=b"",
                            headers={k.lower(): v for k, v in response.headers.items()},
                            history=tuple(history),
                        )
                    declared = response.headers.get("content-length")
                    decoder = _decoder(url, response.headers.get("content-encoding"))
                    # The declared length counts encoded bytes: past the cap, refused before reading.
                    # ASCII digits only ("²".isdigit() is true), and no int() of thousands of digits.
                    if (
                        declared
                        and declared.isascii()
                        and declared.isdigit()
                        and (len(declared) > 15 or int(declared) > max_bytes)
                    ):
                        shown = (
                            declared
                            if len(declared) <= 15
                            else f"{declared[:15]}... ({len(declared)} digits)"
                        )
                        raise FetchError(url, f"too large: {shown} bytes declared, cap is {max_bytes}")
                    chunks = []
                    for chunk in _decoded(url, response.iter_raw(), decoder, max_bytes):
                        chunks.append(chunk)
                        if time.monotonic() > deadline:
                            raise httpx.ReadTimeout("the request's total deadline has passed")
                    return Fetched(
                        url=url,
                        final_url=str(response.url),
                        status=response.status_code,
                        content=b"".join(chunks),
                        headers={k.lower(): v for k, v in response.headers.items()},
                        history=tuple(history),
                    )
            finally:
                _PINNED.reset(pinned_token)
        raise FetchError(url, f"more than {self.settings.max_redirects} redirects")
