"""All HTTP goes through here: user agent, timeouts, byte caps, redirects and the network guard."""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from newsmon.errors import FetchError
from newsmon.settings import Settings

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Fetched:
    url: str  # what was asked for
    final_url: str  # after redirects
    status: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)
    # (status, url) of every redirect hop followed, in order: a 301/308 means the feed moved.
    history: tuple[tuple[int, str], ...] = ()

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


def check_destination(url: str, allow_private: bool) -> None:
    """Refuse loopback, private, link-local and reserved destinations unless allowed.

    A feed list is user input: without this guard a feed could make the monitor probe the
    internal network (SSRF). Every redirect hop is checked again.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(url, f"unsupported scheme {parts.scheme!r} (only http and https)")
    host = parts.hostname
    if not host:
        raise FetchError(url, "no host in URL")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
    except socket.gaierror as exc:
        raise FetchError(url, f"cannot resolve host {host!r}: {exc.strerror}") from None
    for info in infos:
        address = str(info[4][0])
        if not _is_public(address):
            raise FetchError(
                url,
                f"refused: {host} resolves to non-public address {address} "
                "(set NEWSMON_ALLOW_PRIVATE_NETWORKS=1 to allow loopback/private networks)",
            )


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
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            limits=httpx.Limits(max_connections=settings.fetch_concurrency * 2),
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _check_peer(self, url: str, response: httpx.Response) -> None:
        """The address actually connected to must pass the guard too: a host may resolve to a
        public address when checked and to an internal one when connected (DNS rebinding)."""
        if self.settings.allow_private_networks:
            return
        stream = response.extensions.get("network_stream")
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        if peer and not _is_public(str(peer[0])):
            raise FetchError(url, f"refused: connected to non-public address {peer[0]}")

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
        current = url
        history: list[tuple[int, str]] = []
        sent = dict(headers or {})
        if accept:
            sent["Accept"] = accept
        for _ in range(self.settings.max_redirects + 1):
            check_destination(current, self.settings.allow_private_networks)
            try:
                with self._client.stream("GET", current, headers=sent or None) as response:
                    self._check_peer(url, response)
                    if response.status_code in (301, 302, 303, 307, 308):
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
                        return Fetched(
                            url=url,
                            final_url=str(response.url),
                            status=response.status_code,
                            content=b"",
                            headers={k.lower(): v for k, v in response.headers.items()},
                            history=tuple(history),
                        )
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise FetchError(
                            url, f"too large: {int(declared)} bytes declared, cap is {max_bytes}"
                        )
                    chunks: list[bytes] = []
                    size = 0
                    # The read timeout bounds each read; a server that trickles a byte at a time
                    # must not hold a batch for hours, so the whole body has a deadline too.
                    deadline = time.monotonic() + self.settings.total_timeout
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchError(url, f"too large: more than {max_bytes} bytes (the cap)")
                        if time.monotonic() > deadline:
                            raise FetchError(
                                url, f"too slow: body not complete in {self.settings.total_timeout:.0f} s"
                            )
                        chunks.append(chunk)
                    return Fetched(
                        url=url,
                        final_url=str(response.url),
                        status=response.status_code,
                        content=b"".join(chunks),
                        headers={k.lower(): v for k, v in response.headers.items()},
                        history=tuple(history),
                    )
            except httpx.TimeoutException as exc:
                raise FetchError(url, f"timed out ({type(exc).__name__})") from None
            except httpx.ConnectError as exc:
                raise FetchError(url, f"connection failed: {exc}") from None
            except httpx.HTTPError as exc:
                raise FetchError(url, f"HTTP error: {exc}") from None
        raise FetchError(url, f"more than {self.settings.max_redirects} redirects")
