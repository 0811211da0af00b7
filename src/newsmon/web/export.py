"""A result set of the search page as CSV or JSON, with the page's columns: the page's own query and
filters (page.build_request), newest first, read page by page through a point in time and written
out as it is read, so a large export holds one page of results in memory, never the whole set. At
most NEWSMON_EXPORT_MAX rows; a larger set is cut there and the answer says so.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from newsmon.query_budget import QueryBudget
from newsmon.search import finished
from newsmon.storage import Storage
from newsmon.web import page

COLUMNS = ("title", "outlet", "published", "language", "topics", "url", "cluster_size")
FIELDS = [
    "title",
    "source_domain",
    "published_at",
    "language",
    "topics",
    "url",
    "cluster_size",
    "duplicate_of",
]
SORT = [{"published_at": {"order": "desc", "missing": "_last"}}]
# A cell a spreadsheet would run as a formula (a title from the web is anybody's text) starts with
# one of these; such a cell gets a leading apostrophe, which spreadsheets show as text.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    query: dict[str, Any]
    total: int  # stories the search matches
    cap: int

    @property
    def capped(self) -> bool:
        return self.total > self.cap


def plan(storage: Storage, filters: page.Filters, cap: int, budget: QueryBudget) -> Export:
    """The export's query (the page's, within the visitors' budget) and how many stories it
    matches. QueryTooCostly, QueryRejected, IndexMissing: the caller's to show."""
    request = page.build_request(replace(filters, page=1, size=10), budget)
    query = request["query"]
    counted = storage.articles.search(
        query=query, size=0, track_total_hits=True, timeout=request.get("timeout"),
        client_timeout=request.get("client_timeout"),
    )  # fmt: skip
    finished(counted, budget)
    return Export(query, int(counted["hits"]["total"]["value"]), cap)


def row_of(hit: dict[str, Any]) -> dict[str, Any]:
    src = hit.get("_source") or {}
    return {
        "title": src.get("title"), "outlet": src.get("source_domain"), "published": src.get("published_at"),
        "language": src.get("language"), "topics": list(src.get("topics") or []), "url": src.get("url"),
        "cluster_size": src.get("cluster_size") or 1,
    }  # fmt: skip


def rows(storage: Storage, export: Export) -> Iterator[dict[str, Any]]:
    for hit in storage.articles.stream(export.query, FIELDS, SORT, export.cap):
        yield row_of(hit)


def _cell(value: Any) -> str:
    text = "; ".join(value) if isinstance(value, list) else "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA) else text


def csv_lines(found: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """CSV with a header row, UTF-8 with a byte-order mark (so spreadsheets read it as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield "\ufeff".encode() + _drain(buffer)
    for n, row in enumerate(found, 1):
        writer.writerow([_cell(row[c]) for c in COLUMNS])
        if n % 200 == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def json_chunks(found: Iterator[dict[str, Any]], export: Export) -> Iterator[bytes]:
    """`{"rows": [...], "total": N, "capped": bool, "cap": N}`, written row by row."""
    yield b'{"rows": ['
    for n, row in enumerate(found):
        yield (", " if n else "").encode() + json.dumps(row, ensure_ascii=False).encode()
    tail = {"total": export.total, "capped": export.capped, "cap": export.cap}
    yield b"], " + json.dumps(tail)[1:].encode()


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()
