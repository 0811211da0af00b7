"""OPML import and export: how operators move thousands of feeds between readers and newsmon.

Reading goes through the DOCTYPE guard and an lxml parser that neither resolves entities nor
touches the network; an OPML file is user input like a feed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import lxml.etree
import yaml

from newsmon import clock
from newsmon.errors import ConfigError
from newsmon.reader.xmlguard import UnsafeXml, defuse
from newsmon.urls import canonicalize

# The keys a feeds.yaml entry accepts (newsmon.config.FeedConfig); OPML-only facts stay out.
YAML_KEYS = ("id", "url", "name", "language", "enabled", "max_entries")
_MAX_ID = 64
# An OPML file is refused past these: a reader's export of 10,000 feeds is about 2 MB.
MAX_OPML_BYTES = 10_000_000
MAX_OUTLINES = 50_000


def slug(text: str, max_length: int = _MAX_ID) -> str:
    """A feed id from a title: ASCII, lowercase, words joined by '-'; '' when nothing is left."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    return words[:max_length].rstrip("-")


def _unique(base: str, taken: set[str], counters: dict[str, int] | None = None) -> str:
    """`base`, else `base-2`, `base-3`, ...: the first not in `taken`. `counters` remembers the
    last number tried per base, so that 20,000 same-titled feeds cost 20,000 steps, not 200
    million."""
    n = counters.get(base, 1) if counters is not None else 1
    candidate = base if n == 1 else base[: _MAX_ID - len(f"-{n}")].rstrip("-") + f"-{n}"
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = base[: _MAX_ID - len(suffix)].rstrip("-") + suffix
    if counters is not None:
        counters[base] = n
    taken.add(candidate)
    return candidate


def feed_id(title: str | None, url: str, taken: set[str], counters: dict[str, int] | None = None) -> str:
    """A unique id from the title, else from the feed's host (titles in other scripts fold to nothing)."""
    base = slug(title or "") or slug(urlsplit(url).hostname or "") or "feed"
    return _unique(base, taken, counters)


def _refusal(url: str) -> str | None:
    """Why an imported feed URL is refused, or None. A `${` would make the config loader expand an
    environment variable into a URL someone else wrote."""
    if urlsplit(url).scheme not in ("http", "https"):
        return f"not an http(s) feed URL ({url[:100]})"
    if "${" in url:
        return (
            f"refused: the URL contains '${{' ({url[:100]}); imported files never name environment variables"
        )
    return None


def _body(data: bytes) -> Any:
    """The <body> of an OPML document (None when it has none), its size and outlines checked."""
    if len(data) > MAX_OPML_BYTES:
        raise ConfigError(f"OPML file too large: {len(data)} bytes, the cap is {MAX_OPML_BYTES}")
    try:
        data, _ = defuse(data)
        parser = lxml.etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
        root = lxml.etree.fromstring(data, parser)
    except (UnsafeXml, lxml.etree.XMLSyntaxError) as exc:
        raise ConfigError(f"not a readable OPML document: {exc}") from None
    if root.tag != "opml":
        raise ConfigError(f"not an OPML document: root element is <{root.tag!s}>")
    body = root.find("body")
    outlines = sum(1 for _ in body.iter("outline")) if body is not None else 0
    if outlines > MAX_OUTLINES:
        raise ConfigError(f"OPML file has {outlines} outlines, the cap is {MAX_OUTLINES}")
    return body


def parse_opml(text: str | bytes, taken_ids: Iterable[str] = ()) -> tuple[list[dict[str, Any]], list[str]]:
    """Feeds of an OPML document, in document order, and notes on outlines that were skipped.
    Linear in the outlines; past MAX_OPML_BYTES or MAX_OUTLINES a ConfigError says so."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    body = _body(data)
    taken = set(taken_ids)
    counters: dict[str, int] = {}
    feeds: list[dict[str, Any]] = []
    skipped: list[str] = []

    def walk(element: Any, folders: list[str]) -> None:
        for outline in element.findall("outline"):
            label = (outline.get("title") or outline.get("text") or "").strip()
            url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
            if not url:
                walk(outline, [*folders, label] if label else folders)
                continue
            refused = _refusal(url)
            if refused is not None:
                skipped.append(f"{label[:100] or url[:100]}: {refused}")
                continue
            feed: dict[str, Any] = {"id": feed_id(label, url, taken, counters), "url": url}
            if label:
                feed["name"] = label
            if outline.get("language"):
                feed["language"] = outline.get("language").strip()
            if outline.get("htmlUrl"):
                feed["html_url"] = outline.get("htmlUrl").strip()
            if folders:
                feed["category"] = "/".join(folders)
            feeds.append(feed)
            walk(outline, folders)  # some exporters nest items under a feed; rare, harmless

    if body is not None:
        walk(body, [])
    return feeds, skipped


def _parse_job(data: bytes, taken_ids: list[str]) -> tuple[list[dict[str, Any]], list[str]] | str:
    """parse_opml in a parsing process: a ConfigError comes back as its message."""
    try:
        return parse_opml(data, taken_ids)
    except ConfigError as exc:
        return str(exc)


def read_opml(
    path: str | Path, taken_ids: Iterable[str] = (), timeout: float = 20.0
) -> tuple[list[dict[str, Any]], list[str]]:
    """Feed dicts (id, url, name, and language, html_url, category when known) of an OPML file and
    notes on the outlines skipped; parsed within `timeout` seconds (NEWSMON_PARSE_TIMEOUT)."""
    from newsmon.reader.budget import run_once

    path = Path(path)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_OPML_BYTES + 1)  # never more than the cap in memory
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_OPML_BYTES:
        raise ConfigError(f"{path}: OPML file too large: more than {MAX_OPML_BYTES} bytes")
    try:
        got = run_once(_parse_job, (data, list(taken_ids)), timeout, "OPML file")
    except (TimeoutError, RuntimeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if isinstance(got, str):
        raise ConfigError(f"{path}: {got}")
    feeds, skipped = got
    return feeds, skipped


def import_opml(path: str | Path, taken_ids: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The feed dicts of `read_opml`."""
    return read_opml(path, taken_ids)[0]


def _get(feed: Any, key: str) -> Any:
    return feed.get(key) if isinstance(feed, Mapping) else getattr(feed, key, None)


def export_opml(feeds: Iterable[Any], title: str = "newsmon feeds", now: datetime | None = None) -> str:
    """OPML 2.0 of feeds (dicts or FeedConfig objects); feeds with a `category` go in folders.

    Sitemap and page sources are not feeds a reader could subscribe to: they are left out, and a
    comment at the end of the body names them (see `not_exported`)."""
    feeds = list(feeds)
    skipped = not_exported(feeds)
    feeds = [f for f in feeds if (_get(f, "type") or "feed") == "feed"]
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now or clock.now(), usegmt=True)
    body = ET.SubElement(opml, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        parent = body
        category = _get(feed, "category")
        if category:
            path = ""
            for part in str(category).split("/"):
                path = f"{path}/{part}"
                if path not in folders:
                    folders[path] = ET.SubElement(parent, "outline", text=part, title=part)
                parent = folders[path]
        name = _get(feed, "name") or _get(feed, "id") or _get(feed, "url")
        attrs = {"type": "rss", "text": name, "title": name, "xmlUrl": _get(feed, "url")}
        for key, attr in (("html_url", "htmlUrl"), ("language", "language")):
            if _get(feed, key):
                attrs[attr] = _get(feed, key)
        ET.SubElement(parent, "outline", attrs)
    if skipped:
        named = ", ".join(f"{i} ({t})" for i, t in skipped).replace("--", "- -")
        body.append(ET.Comment(f" not exported: sitemap and page sources are not OPML feeds: {named} "))
    ET.indent(opml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(opml, encoding="unicode") + "\n"


def not_exported(feeds: Iterable[Any]) -> list[tuple[str, str]]:
    """(id, type) of the sources an OPML export leaves out: sitemaps and pages."""
    return [
        (str(_get(f, "id")), str(_get(f, "type"))) for f in feeds if (_get(f, "type") or "feed") != "feed"
    ]


@dataclass
class MergeReport:
    added: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[dict[str, Any], str]] = field(default_factory=list)  # (feed, why)


def _canonical(url: str) -> str:
    try:
        return canonicalize(url)
    except ValueError:
        return url.strip()


def merge_into_yaml(
    path: str | Path,
    feeds: Iterable[Mapping[str, Any]],
    known: Iterable[Mapping[str, Any]] = (),
) -> MergeReport:
    """Add `feeds` to the YAML feeds file at `path` (created if missing), skipping any feed whose
    canonical URL is already there or in `known` (feeds of the other config files).

    The file is rewritten, so comments in it are lost: point this at a generated file such as
    config/feeds.d/imported.yaml. Ids are made unique against both; only feeds.yaml keys are written.
    """
    path = Path(path)
    document: dict[str, Any] = {"feeds": []}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        if loaded is not None:
            if not isinstance(loaded, dict) or not isinstance(loaded.get("feeds", []), list):
                raise ConfigError(f"{path}: expected a mapping with a 'feeds' list")
            document = loaded
            document.setdefault("feeds", [])
    present = [*known, *document["feeds"]]
    seen_urls = {
        _canonical(str(f["url"])): str(f.get("id"))
        for f in present
        if isinstance(f, Mapping) and f.get("url")
    }
    taken = {str(f["id"]) for f in present if isinstance(f, Mapping) and f.get("id")}
    counters: dict[str, int] = {}
    report = MergeReport()
    for feed in feeds:
        refused = _refusal(str(feed["url"]))
        if refused is not None:
            report.skipped.append((dict(feed), refused))
            continue
        canonical = _canonical(str(feed["url"]))
        if canonical in seen_urls:
            report.skipped.append((dict(feed), f"already present as {seen_urls[canonical]!r}"))
            continue
        entry = {k: feed[k] for k in YAML_KEYS if feed.get(k) is not None}
        if entry.get("id") in taken or not entry.get("id"):
            entry["id"] = feed_id(entry.get("name"), entry["url"], taken, counters)
        else:
            taken.add(entry["id"])
        seen_urls[canonical] = entry["id"]
        document["feeds"].append(entry)
        report.added.append(entry)
    if report.added:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
        tmp.replace(path)
    return report
