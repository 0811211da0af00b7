"""Aggregator redirect links unwrapped to the publisher's URL, without requesting the aggregator.

Google Alerts, Google News, Bing News and social sites hand out links that bounce through their
servers; fetching or deduping by those defeats both politeness and dedupe. Only shapes that carry
the target in the link itself are here: Feedburner/feedproxy and Google News `/rss/articles/...`
links need a request to resolve and are returned unchanged.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from urllib.parse import parse_qs, unquote, urlsplit

MAX_DEPTH = 5  # wrappers inside wrappers (an Alert linking a Google News redirect ...)

_GOOGLE = re.compile(r"(?:www\.)?google\.(?:com|co\.[a-z]{2}|com\.[a-z]{2}|[a-z]{2})")


def _param(*names: str) -> Callable[[str, str], str | None]:
    def extract(query: str, path: str) -> str | None:
        values = parse_qs(query, keep_blank_values=False)
        for name in names:
            if name in values:
                return values[name][0]
        return None

    return extract


def _yahoo(query: str, path: str) -> str | None:
    # r.search.yahoo.com/_ylt=...;_ylu=.../RV=2/RE=.../RO=10/RU=<percent-encoded target>/RK=2/RS=...
    match = re.search(r"/RU=([^/]+)/R[KS]=", path)
    return unquote(match.group(1)) if match else None


def _bing_ck(query: str, path: str) -> str | None:
    # bing.com/ck/a?...&u=a1<base64url of the target>&ntb=1
    value = _param("u")(query, path)
    if not value or not value.startswith("a1"):
        return None
    data = value[2:]
    try:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


# (host test, path test, extractor): data, so a new aggregator is one line.
RULES: list[tuple[Callable[[str], bool], Callable[[str], bool], Callable[[str, str], str | None]]] = [
    (lambda h: bool(_GOOGLE.fullmatch(h)), lambda p: p == "/url", _param("url", "q")),
    (lambda h: h == "news.google.com", lambda p: True, _param("url")),
    (lambda h: h.endswith("bing.com"), lambda p: p.lower() == "/news/apiclick.aspx", _param("url")),
    (lambda h: h.endswith("bing.com"), lambda p: p == "/ck/a", _bing_ck),
    (lambda h: h.endswith("search.yahoo.com"), lambda p: "/RU=" in p, _yahoo),
    (lambda h: h in ("l.facebook.com", "lm.facebook.com"), lambda p: p == "/l.php", _param("u")),
    (lambda h: h == "l.instagram.com", lambda p: True, _param("u")),
    (lambda h: h in ("duckduckgo.com", "html.duckduckgo.com"), lambda p: p == "/l/", _param("uddg")),
    (lambda h: h in ("www.youtube.com", "youtube.com"), lambda p: p == "/redirect", _param("q")),
    (lambda h: h == "away.vk.com", lambda p: p == "/away.php", _param("to")),
    (lambda h: h == "t.umblr.com", lambda p: p == "/redirect", _param("z")),
    (lambda h: h == "out.reddit.com", lambda p: True, _param("url")),
    (lambda h: h == "slack-redir.net", lambda p: p == "/link", _param("url")),
    (lambda h: h == "www.linkedin.com", lambda p: p == "/redir/redirect", _param("url")),
]


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _unwrap_once(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    for host_ok, path_ok, extract in RULES:
        if host_ok(host) and path_ok(parts.path):
            target = extract(parts.query, parts.path)
            if target:
                target = target.strip()
                if _is_web_url(target):
                    return target
    return None


def unwrap(url: str) -> str:
    """The publisher URL an aggregator redirect link points to; any other URL unchanged."""
    current = url
    for _ in range(MAX_DEPTH):
        target = _unwrap_once(current)
        if target is None or target == current:
            break
        current = target
    return current


def is_aggregator_link(url: str) -> bool:
    """True for a redirect link that `unwrap` resolves."""
    return _unwrap_once(url) is not None
