"""Who may talk to the standalone `newsmon web`: the host names it answers and the token it asks for.

A browser page on any site can make the analyst's browser send requests to `127.0.0.1:8090`; with a
host name of the attacker's that resolves to loopback (DNS rebinding) the answers are even readable
by that page. So the server answers only requests whose `Host` is one of its own names (the
loopback names, plus NEWSMON_WEB_HOSTS); any other gets 421 before the app sees it.

With NEWSMON_WEB_TOKEN set (required for a bind beyond loopback), every request needs it: API
clients send `Authorization: Bearer <token>`; a browser signs in once at `/signin` with the token
and then carries a session cookie that is an HMAC of the token (never the token itself). Tokens are
compared in constant time and never logged.

The app is told who is asking (newsmon.web.identity): without a token the single user `local`, with
one `token`; both may edit alert rules. A browser's state-changing requests also need the CSRF
token, derived from NEWSMON_WEB_TOKEN (or, without one, from a secret of this process).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from html import escape
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from newsmon.web.identity import csrf_key

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
LOCAL_USER = "local"  # the one user of a server without a token (it answers loopback only)
TOKEN_USER = "token"  # whoever presents NEWSMON_WEB_TOKEN
COOKIE = "newsmon_session"
SIGNIN = "/signin"
_MAX_FORM = 4096

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """Whether a bind address is loopback only (`localhost`, 127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name of a `Host` header without its port, lower case (`[::1]:8090` -> `::1`)."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def session_value(token: str) -> str:
    """The cookie a signed-in browser carries: derived from the token, useless without it."""
    return hmac.new(token.encode(), b"newsmon web session", hashlib.sha256).hexdigest()


class WebGuard:
    """ASGI middleware in front of the app: host names first, then the token (when one is set)."""

    def __init__(self, app: ASGIApp, hosts: list[str], token: str | None):
        self.app = app
        self.hosts = {h.strip().strip("[]").lower() for h in (*LOOPBACK_NAMES, *hosts) if h.strip()}
        self.token = token
        self.session = session_value(token) if token else None
        # Without a token there is no secret to derive CSRF tokens from: one for this process (a
        # restart asks the page for a new token, which it does on load).
        self.csrf_key = csrf_key(token) if token else csrf_key(secrets.token_bytes(32))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if host_name(headers.get("host", "")) not in self.hosts:
            await _text(send, 421, "This server does not answer to that host name.\n")
            return
        if self.token is None:
            _identify(scope, LOCAL_USER, "session", self.csrf_key)
            await self.app(scope, receive, send)
            return
        root = str(scope.get("root_path", "")).rstrip("/")
        path = str(scope.get("path", ""))
        how = self._authorised(headers)
        if path.removeprefix(root) == SIGNIN:
            await self._signin(scope, receive, send, root)
        elif how is not None:
            _identify(scope, TOKEN_USER, how, self.csrf_key)
            await self.app(scope, receive, send)
        elif scope.get("method") == "GET" and "text/html" in headers.get("accept", ""):
            query = scope.get("query_string", b"").decode("latin-1")
            back = path + (f"?{query}" if query else "")
            await _redirect(send, f"{root}{SIGNIN}?next={quote(back, safe='')}")
        else:
            await _text(send, 401, "Authorization: Bearer <token> required.\n",
                        [(b"www-authenticate", b'Bearer realm="newsmon"')])  # fmt: skip

    def _authorised(self, headers: dict[str, str]) -> str | None:
        """How the request proved it knows the token: `bearer` (the header), `session` (the
        sign-in cookie), or None."""
        assert self.token is not None and self.session is not None
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token.encode()):
            return "bearer"
        cookie = _cookie(headers.get("cookie", ""), COOKIE)
        if cookie is not None and hmac.compare_digest(cookie.encode(), self.session.encode()):
            return "session"
        return None

    async def _signin(self, scope: Scope, receive: Receive, send: Send, root: str) -> None:
        """GET: the sign-in form; POST: check the token, set the session cookie, go back."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        back = _local(query.get("next", [""])[0], root)
        if scope.get("method") != "POST":
            await _signin_form(send, root, back, 200, "")
            return
        body = await _read_body(receive)
        form = parse_qs(body.decode("utf-8", "replace")) if body is not None else {}
        given = form.get("token", [""])[0].strip()
        assert self.token is not None and self.session is not None
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            await _signin_form(
                send, root, back, 401, "That token is not the one this server was started with."
            )
            return
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = f"{COOKIE}={self.session}; Path={root or '/'}; HttpOnly; SameSite=Strict{secure}"
        await _redirect(send, back, [(b"set-cookie", cookie.encode("latin-1"))])


def _identify(scope: Scope, user: str, how: str, key: bytes) -> None:
    """Tell the app who is asking (newsmon.web.identity): standalone, one user who may edit."""
    state = scope.setdefault("state", {})
    state.update(newsmon_user=user, newsmon_can_edit=True, newsmon_auth=how, newsmon_csrf_key=key)


def _local(target: str, root: str) -> str:
    """Where to go after signing in: a path on this server only (never another site)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return f"{root}/"
    return target


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


async def _read_body(receive: Receive) -> bytes | None:
    """The request body, or None past _MAX_FORM bytes (a sign-in form is a few dozen)."""
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if len(body) > _MAX_FORM:
            return None
        if not message.get("more_body"):
            return body


async def _signin_form(send: Send, root: str, back: str, status: int, problem: str) -> None:
    note = f'<p role="alert">{escape(problem)}</p>' if problem else ""
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in · newsmon</title>'
        f'<link rel="stylesheet" href="{escape(root)}/static/style.css"></head><body><main>'
        "<h1>Sign in to newsmon search</h1>"
        "<p>This server asks for the token it was started with (NEWSMON_WEB_TOKEN).</p>"
        f'{note}<form method="post" action="{escape(root)}{SIGNIN}?next={escape(quote(back, safe=""))}">'
        '<label>Token <input type="password" name="token" autocomplete="current-password" required></label> '
        '<button type="submit">Sign in</button></form></main></body></html>'
    )
    await _respond(send, status, page.encode(), b"text/html; charset=utf-8")


async def _text(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    await _respond(send, status, text.encode(), b"text/plain; charset=utf-8", extra)


async def _redirect(send: Send, location: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"location", location.encode("latin-1", "replace")), *(extra or [])]
    await _respond(send, 303, b"", b"text/plain; charset=utf-8", headers)


async def _respond(
    send: Send, status: int, body: bytes, ctype: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-type", ctype), (b"content-length", str(len(body)).encode()), *(extra or [])]
    headers.append((b"cache-control", b"no-store"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
