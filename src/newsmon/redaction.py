"""Keeping secrets and terminal control characters out of what is printed, logged or stored.

One place for the three helpers every module uses: `redact_url` (a URL without its user and
password), `redact_text` (text that came from elsewhere, e.g. an error a webhook receiver or an SMTP
server sent back, without tokens, credentials or URL paths that may carry them) and `for_log`
(a URL or title from a feed, with control characters escaped so it cannot forge log lines).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"

# What a receiver may echo back of a request: URLs (webhook URLs carry their token in the path),
# credentials in a header or a query, and long token-shaped runs (Slack, GitHub, JWT, hex keys).
_URL = re.compile(r"\b[a-z][a-z0-9+.-]{1,15}://[^\s\"'<>]+", re.IGNORECASE)
_SCHEME_VALUE = re.compile(r"\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_KEY_VALUE = re.compile(
    r"\b(authorization|proxy-authorization|x-api-key|api[-_]?key|access[-_]?token|token|secret"
    r"|password|passwd|sig|signature)(\"?\s*[:=]\s*\"?)[^\s\"',;&]+",
    re.IGNORECASE,
)
# Runs of token characters; masked when they mix letters and digits (setting names stay readable).
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-+/=]{24,}")  # no dot: host names stay readable
_USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]{1,15}://)[^/\s@?#]*@", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Query parameters whose value is a credential (`?apikey=...`, `&access_token=...`, `sig=...`).
_SECRET_PARAM = re.compile(
    r"(^|[&;])((?:[a-z0-9_.-]*[_.-])?(?:api[-_]?key|apikey|key|token|access[-_]?token|auth|authorization"
    r"|secret|client[-_]?secret|password|passwd|pass|pwd|sig|signature|session|sessionid|sid|jwt|hash)"
    r")=([^&;#]*)",
    re.IGNORECASE,
)


def redact_url(url: str) -> str:
    """`url` without the user and password it may carry, and with the values of credential-looking
    query parameters (`apikey`, `token`, `sig`, ...) masked."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
        has_user = parts.username is not None or parts.password is not None
    except ValueError:
        return "<unparsable URL>"
    query = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}={MASK}", parts.query)
    if not has_user and query == parts.query:
        return url
    if has_user:
        if ":" in host:
            host = f"[{host}]"
        parts = parts._replace(netloc=f"{host}:{port}" if port else host)
    return urlunsplit(parts._replace(query=query))


def strip_credentials(text: str) -> str:
    """`text` with the user and password of every URL in it removed (the rest of the URL stays)."""
    return _USERINFO.sub(r"\1", text)


def _url_shown(match: re.Match[str]) -> str:
    # Scheme and host stay (they say where the error came from); user, password, path and query
    # go: a webhook URL's path is its token.
    try:
        parts = urlsplit(match.group(0))
        host = parts.hostname or ""
    except ValueError:
        return MASK
    return f"{parts.scheme}://{host}/{MASK}" if host else MASK


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` received from a peer, fit to be logged or stored: known secrets (and their URL-decoded
    forms) masked, then URLs, credential-looking `key: value` pairs and token-shaped runs."""
    known = {s for s in secrets if s and len(s) >= 4}
    known |= {unquote(s) for s in known}
    for secret in sorted(known, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _URL.sub(_url_shown, text)
    text = _SCHEME_VALUE.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return _TOKEN_LIKE.sub(_token_masked, text)


def _token_masked(match: re.Match[str]) -> str:
    run = match.group(0)
    mixed = any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
    return MASK if mixed else run


def for_log(value: object) -> str:
    """`value` (a URL, a title) for a log line: control characters escaped as `\\xNN`, so a crafted
    title cannot start a new, forged log line or drive the terminal."""
    return _CONTROL.sub(_escaped, str(value))


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"
