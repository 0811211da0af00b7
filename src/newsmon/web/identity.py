"""Who is asking, as the auth layer in front of the app found out, and the cross-site request check.

The auth layer (newsmon.web.guard standalone, the Airflow plugin inside Airflow) sets on every
request it lets through:
- `newsmon_user`: the user name;
- `newsmon_can_edit`: whether the user may create, change and delete alert rules;
- `newsmon_auth`: `bearer` when the identity came from an `Authorization: Bearer` header (an API
  client), `session` otherwise (a browser's cookie, or nobody's credential at all on loopback);
- `newsmon_csrf_key`: the secret the CSRF tokens of this server are derived from.

A browser sends its cookie with requests other sites make it send. So a state-changing request
(POST, PUT, PATCH, DELETE) not made with a bearer token must come from this server's own page: it
is refused when the browser says it is cross-site (`Sec-Fetch-Site`) or from another origin
(`Origin`), and it must carry `X-CSRF-Token`, which only this server's pages can read
(GET /api/me): an HMAC of the user under the server's key, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Identity:
    user: str
    can_edit: bool
    auth: str  # "bearer" or "session"
    csrf_key: bytes

    @property
    def csrf_token(self) -> str:
        return csrf_token(self.csrf_key, self.user)


def csrf_key(secret: str | bytes) -> bytes:
    """The key CSRF tokens are made with, derived from a server secret (never the secret itself)."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, b"newsmon csrf key", hashlib.sha256).digest()


def csrf_token(key: bytes, user: str) -> str:
    return hmac.new(key, b"newsmon csrf\x00" + user.encode(), hashlib.sha256).hexdigest()


def of_state(state: Any) -> Identity | None:
    """The identity the auth layer set on `request.state`, or None when it set none."""
    user = getattr(state, "newsmon_user", None)
    key = getattr(state, "newsmon_csrf_key", None)
    if not isinstance(user, str) or not user or not isinstance(key, bytes):
        return None
    auth = "bearer" if getattr(state, "newsmon_auth", None) == "bearer" else "session"
    return Identity(user, bool(getattr(state, "newsmon_can_edit", False)), auth, key)


def cross_site_problem(method: str, headers: Any, identity: Identity) -> str | None:
    """Why a request must be refused as possibly cross-site, or None when it may go on."""
    if method.upper() not in UNSAFE or identity.auth == "bearer":
        return None
    if headers.get("sec-fetch-site", "").lower() == "cross-site":
        return "a request from another site is refused"
    origin = headers.get("origin")
    if origin is not None and not _own_origin(origin, headers):
        return "a request from another origin is refused"
    given = headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(given.encode(), identity.csrf_token.encode()):
        return "the X-CSRF-Token header is missing or wrong: take the token from GET /api/me"
    return None


def _own_origin(origin: str, headers: Any) -> bool:
    """Whether `Origin` names the host the request was sent to (or, behind a proxy, the host the
    proxy was asked for)."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # "null" (a sandboxed frame, a file) and anything odd
    own = _with_port(parts.netloc.lower(), parts.scheme)
    hosts = (headers.get("host", ""), headers.get("x-forwarded-host", "").split(",")[0])
    return any(own == _with_port(h.strip().lower(), parts.scheme) for h in hosts if h.strip())


def _with_port(host: str, scheme: str) -> str:
    """`host` without the scheme's default port, as browsers write `Origin`."""
    default = ":443" if scheme == "https" else ":80"
    return host.removesuffix(default)
