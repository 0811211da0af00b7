"""URL identity: one canonical form per article, and the document id derived from it."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

import courlan


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
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


def same_site(a: str, b: str) -> bool:
    """True when two URLs share a registrable-looking host (exact host or one a subdomain of the other)."""
    ha, hb = domain(a), domain(b)
    if not ha or not hb:
        return False
    return ha == hb or ha.endswith("." + hb) or hb.endswith("." + ha)
