"""URL identity: one canonical form per article, and the document id derived from it."""

from __future__ import annotations

import functools
import hashlib
from urllib.parse import urlsplit, urlunsplit

import courlan
import tld


def canonicalize(url: str) -> str:
    """Canonical form used for identity: courlan's normalization (lower-case host, sorted query,
    tracking parameters such as utm_*, fbclid, gclid removed), without the fragment.
    """
    url = url.strip()
    normalized = courlan.normalize_url(url)
    parts = urlsplit(normalized)
    path = parts.path or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def doc_id(canonical_url: str) -> str:
    """The article's Elasticsearch _id: 128 bits of SHA-256 of the canonical URL."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:32]


def domain(url: str) -> str:
    """The outlet of a URL: its registered domain by the Public Suffix List (tld's bundled copy),
    so edition.cnn.com and us.cnn.com are one outlet, www.bbc.co.uk is bbc.co.uk and a blog on
    a private suffix (x.blogspot.com) is its own. Hosts without a public suffix (IP addresses,
    localhost, reserved names such as .example or .test) are their own outlet, without "www.".
    """
    host = (urlsplit(url).hostname or "").rstrip(".")
    if not host:
        return ""
    registered = _registered(host)
    if registered:
        return registered
    return host[4:] if host.startswith("www.") else host


@functools.lru_cache(maxsize=4096)
def _registered(host: str) -> str | None:
    try:
        res = tld.get_tld(host, fix_protocol=True, as_object=True, fail_silently=True)
    except ValueError:  # tld rejects some malformed hosts outright
        return None
    # as_object=True gives a Result (None when fail_silently swallows an unknown suffix).
    if not isinstance(res, tld.Result):
        return None
    return res.fld if res.fld != res.tld else None


def registered_domain(host: str) -> str | None:
    """The registered domain of a host name, or None when it has no public suffix (an IP address,
    localhost, .example): then the host says nothing about who publishes there."""
    return _registered(host.lower().rstrip(".")) if host else None


def same_site(a: str, b: str) -> bool:
    """True when two URLs belong to one outlet (same registered domain; for hosts without a public
    suffix, one host equal to or a subdomain of the other)."""
    ha, hb = domain(a), domain(b)
    if not ha or not hb:
        return False
    if ha == hb:
        return True
    if _registered(ha) or _registered(hb):
        return False
    return ha.endswith("." + hb) or hb.endswith("." + ha)
