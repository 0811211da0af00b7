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
import time
import zlib
from base64 import b64encode
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from newsmon import clock
from newsmon.connections import (
    DEADLINE,
    PINNED,
    Destination,
    KeepAlive,
    connection_maker,
)
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

# What httpcore raises for a request that failed on the network or in the protocol (besides
# timeouts and refused connections, reported apart); its names are httpx's.
_HTTP_ERRORS = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.ProxyError,
    httpcore.UnsupportedProtocol,
)


def _drain(response: httpcore.Response, deadline: float) -> None:
    """Read the short body of an answer whose body is not used (304, redirect, error status), so
    that its connection goes back to the pool for the host's next request: a response closed
    before its end closes the connection, and a 304 then costs a new TCP connection (and a new
    thread in many servers). A body longer than DRAIN_MAX_BYTES, or past the deadline, is not
    worth reading: its connection is closed as before."""
    size = 0
    try:
        for chunk in response.iter_stream():
            size += len(chunk)
            if size > DRAIN_MAX_BYTES or time.monotonic() > deadline:
                return
    except (httpcore.TimeoutException, *_HTTP_ERRORS):
        return  # the answer is complete without its body; the broken connection is not reused


class Fetcher:
    """A thread-safe HTTP client with the project's limits. Use as a context manager.

    Requests go to httpcore's connections through KeepAlive (newsmon.connections), not through an
    httpx client: redirects are followed here (each hop passes the network guard), and what else
    httpx's client adds per request (cookie jar, credentials of the URL, default headers, the
    timeouts) is done here, the cookie jar only when a server sets a cookie. Proxies in the
    environment and .netrc are not read: only settings decide where we connect."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._connections = KeepAlive(connection_maker(settings), max_idle=settings.fetch_concurrency * 2)
        self._timeouts = {
            "connect": settings.connect_timeout,
            "read": settings.read_timeout,
            "write": settings.read_timeout,
            "pool": settings.read_timeout,
        }
        self._cookies = httpx.Cookies()
        self._headers = [
            (b"Accept-Encoding", ACCEPT_ENCODING.encode()),
            (b"Connection", b"keep-alive"),
            (b"User-Agent", settings.user_agent.encode()),
        ]

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._connections.close()

    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: str | None = None,
        headers: dict[str, str] | None = None,
        raise_for_status: bool = True,
        type_caps: Mapping[str, int] | None = None,
    ) -> Fetched:
        """GET with redirects followed by hand. `headers` are sent on every hop (validators);
        with `raise_for_status=False` a 304 or an error status is returned, body not read.
        `type_caps`: another byte cap for a response of one of these content types (PDF documents
        are larger than pages)."""
        total = self.settings.total_timeout
        deadline = time.monotonic() + total
        deadline_token = DEADLINE.set(deadline)
        try:
            return self._get(
                url, max_bytes=max_bytes, accept=accept, deadline=deadline, headers=headers,
                raise_for_status=raise_for_status, type_caps=type_caps or {},
            )  # fmt: skip
        except httpcore.TimeoutException as exc:
            if time.monotonic() >= deadline - 0.05:
                raise FetchError(url, f"too slow: request not complete in {total:g} s") from None
            raise FetchError(url, f"timed out ({type(exc).__name__})") from None
        except httpcore.ConnectError as exc:
            raise FetchError(url, f"connection failed: {redact_url(str(exc))}") from None
        except _HTTP_ERRORS as exc:
            raise FetchError(url, f"HTTP error: {type(exc).__name__}: {redact_url(str(exc))}") from None
        finally:
            DEADLINE.reset(deadline_token)

    def _send(self, url: httpx.URL, headers: dict[str, str]) -> tuple[httpcore.Response, dict[str, str]]:
        """One GET of `url` (already checked and pinned); the response, its body not read yet,
        and its headers (names in lower case, repeated ones joined, as httpx shows them)."""
        sent = [(b"Host", url.netloc), *self._headers]
        if not any(k.lower() == "accept" for k in headers):
            sent.append((b"Accept", b"*/*"))
        sent += [(k.encode(), v.encode()) for k, v in headers.items()]
        if url.username or url.password:  # http://user:password@host/: HTTP Basic, as httpx does
            token = b64encode(f"{url.username}:{url.password}".encode()).decode()
            sent.append((b"Authorization", f"Basic {token}".encode()))
        if len(self._cookies.jar):
            with_cookies = httpx.Request("GET", url)
            self._cookies.set_cookie_header(with_cookies)
            if "cookie" in with_cookies.headers:
                sent.append((b"Cookie", with_cookies.headers["cookie"].encode()))
        request = httpcore.Request(
            b"GET",
            httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=sent,
            extensions={"timeout": self._timeouts},
        )
        response = self._connections.request(request)
        shown = httpx.Headers(response.headers)
        if "set-cookie" in shown:
            self._cookies.extract_cookies(
                httpx.Response(response.status, headers=response.headers, request=httpx.Request("GET", url))
            )
        return response, {k.lower(): v for k, v in shown.items()}

    def _get(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: str | None,
        deadline: float,
        headers: dict[str, str] | None,
        raise_for_status: bool,
        type_caps: Mapping[str, int],
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
            pinned_token = PINNED.set(checked)
            try:
                target = httpx.URL(current)
                response, got = self._send(target, sent)
                try:
                    if response.status in (301, 302, 303, 307, 308):
                        _drain(response, deadline)
                        location = got.get("location")
                        if not location:
                            raise FetchError(url, f"HTTP {response.status} redirect without Location")
                        history.append((response.status, current))
                        current = urljoin(current, location)
                        if any(seen == current for _, seen in history):
                            raise FetchError(url, f"redirect loop at {current}")
                        continue
                    if response.status >= 400 or response.status == 304:
                        if raise_for_status:
                            raise FetchError(url, f"HTTP {response.status}")
                        _drain(response, deadline)
                        content = b""
                    else:
                        kind = got.get("content-type", "").split(";")[0].strip().lower()
                        cap = type_caps.get(kind, max_bytes)
                        content = self._body(url, response, got, cap, deadline)
                    return Fetched(
                        url=url,
                        final_url=str(target),
                        status=response.status,
                        content=content,
                        headers=got,
                        history=tuple(history),
                    )
                finally:
                    response.close()
            finally:
                PINNED.reset(pinned_token)
        raise FetchError(url, f"more than {self.settings.max_redirects} redirects")

    @staticmethod
    def _body(
        url: str, response: httpcore.Response, headers: dict[str, str], max_bytes: int, deadline: float
    ) -> bytes:
        declared = headers.get("content-length")
        decoder = _decoder(url, headers.get("content-encoding"))
        # The declared length counts encoded bytes: past the cap, refused before reading.
        # ASCII digits only ("²".isdigit() is true), and no int() of thousands of digits.
        if (
            declared
            and declared.isascii()
            and declared.isdigit()
            and (len(declared) > 15 or int(declared) > max_bytes)
        ):
            shown = declared if len(declared) <= 15 else f"{declared[:15]}... ({len(declared)} digits)"
            raise FetchError(url, f"too large: {shown} bytes declared, cap is {max_bytes}")
        chunks = []
        for chunk in _decoded(url, response.iter_stream(), decoder, max_bytes):
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise httpcore.ReadTimeout("the request's total deadline has passed")
        return b"".join(chunks)
