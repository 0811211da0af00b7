"""What every repository of newsmon.storage shares: the client, the index names, scans that miss
nothing, bulk writes with retries, and the translation of Elasticsearch's errors into newsmon's.

Identity is the document _id (from the canonical URL). Because an _id is unique only per index,
every "is it already there?" question is asked of the whole alias, never of one index.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

from elasticsearch import (
    ApiError,
    BadRequestError,
    ConnectionTimeout,
    Elasticsearch,
    NotFoundError,
    TransportError,
)
from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch.helpers import expand_action

from newsmon.errors import IndexMissing, QueryRejected, StoreError, StoreReadOnly, StoreUnavailable
from newsmon.redaction import strip_credentials
from newsmon.storage.names import IndexNames

log = logging.getLogger(__name__)

# Bulk requests: a dropped connection or a rejection (429) is retried with a doubling pause;
# a chunk that still cannot be written after BULK_ATTEMPTS tries stops the pass (StoreUnavailable),
# which Airflow retries, while what was written stays written (the ids are deterministic).
BULK_ATTEMPTS = 6
BULK_BACKOFF_S = 0.5
BULK_MAX_BACKOFF_S = 15.0

# The write blocks Elasticsearch names in a cluster_block_exception, by the words of its reason, and
# the setting that holds each (the first that matches wins: the longer words come first). The
# flood-stage disk watermark sets the first one on every index with a shard on the node.
WRITE_BLOCKS = (
    ("read-only-allow-delete", "index.blocks.read_only_allow_delete"),
    ("index write", "index.blocks.write"),
    ("index read-only", "index.blocks.read_only"),
    ("cluster read-only / allow delete", "cluster.blocks.read_only_allow_delete"),
    ("cluster read-only", "cluster.blocks.read_only"),
)
DISK_BLOCK = WRITE_BLOCKS[0][1]
WRITE_BLOCK = WRITE_BLOCKS[1][1]

# Bulk actions refused by a write block -> the actions to send instead, or None (then the step
# stops with StoreReadOnly). Each refused action comes with Elasticsearch's answer for it.
Redirect = Callable[[list[tuple[dict[str, Any], dict[str, Any]]]], list[dict[str, Any]] | None]


def resource_json(name: str, prefix: str) -> dict[str, Any]:
    """A packaged settings-and-mappings (or template) file with the prefix filled in."""
    text = resources.files("newsmon.resources").joinpath(name).read_text(encoding="utf-8")
    body = json.loads(text.replace("{{PREFIX}}", prefix))
    return {k: v for k, v in body.items() if not k.startswith("_comment")}


def rejection_reason(exc: BadRequestError) -> str:
    """Elasticsearch's own words for why it refused a query (a Lucene parse error, usually)."""
    try:
        return str(exc.body["error"]["root_cause"][0]["reason"])
    except (KeyError, IndexError, TypeError):
        return str(exc)


def write_block(error: object) -> tuple[str, str, str] | None:
    """(index, setting, reason) when `error` (a bulk item's `error`, or an error answer's body) is a
    write refused by an index or cluster block; None for anything else."""
    if isinstance(error, dict) and isinstance(error.get("error"), dict):
        error = error["error"]  # a whole answer's body
    if not isinstance(error, dict) or error.get("type") != "cluster_block_exception":
        return None
    reason = str(error.get("reason", ""))
    for words, setting in WRITE_BLOCKS:
        if words in reason:
            found = re.search(r"index \[([^\]]+)\]", reason)
            index = str(error.get("index") or (found.group(1) if found else "") or "the cluster")
            return index, setting, reason
    return None


@dataclass
class BulkOutcome:
    ok: bool
    op: str
    info: dict[str, Any]
    resent: bool  # the chunk had been sent before: a 409 on `create` may be our own earlier write


class Backend:
    """The client and the names of one prefix, with the requests every repository makes."""

    # Results per page of a scan (point in time + search_after); a parameter so tests can page small.
    page_size = 1000

    def __init__(self, client: Elasticsearch, prefix: str, url: str = ""):
        self.es = client
        self.prefix = prefix
        self.names = IndexNames(prefix)
        self.url = url

    # -- errors -----------------------------------------------------------------------------

    def read_only(self, index: str, setting: str, reason: str) -> StoreReadOnly:
        """The error for a write refused by a block: what the block is, and how it goes away."""
        where = f"{self.prefix}*" if index.startswith(self.prefix) else index
        if setting == DISK_BLOCK:
            message = (
                f"Elasticsearch refuses writes to {index}: the disk of its data node passed the "
                f"flood-stage watermark, so every index there has {setting} ({reason.strip()}). Free disk "
                "space on that node: Elasticsearch lifts the block by itself once disk usage falls below "
                "the high watermark (cluster.routing.allocation.disk.watermark.high, 90% by default), or "
                f"an operator removes it once there is room: PUT {where}/_settings "
                f'{{"{setting}": null}}. Nothing written is lost: run the pass again afterwards'
            )
        elif setting.startswith("cluster."):
            message = (
                f"Elasticsearch refuses writes: the cluster has {setting} ({reason.strip()}). An "
                f'operator removes it with PUT _cluster/settings {{"persistent": {{"{setting}": null}}}}. '
                "Nothing written is lost: run the pass again afterwards"
            )
        else:
            message = (
                f"Elasticsearch refuses writes to {index}: the index has {setting} ({reason.strip()}). "
                f'An operator removes it with PUT {where}/_settings {{"{setting}": null}}. Nothing '
                "written is lost: run the pass again afterwards"
            )
        return StoreReadOnly(message, index, setting)

    def raise_if_blocked(self, exc: ApiError) -> None:
        """StoreReadOnly when `exc` is a write refused by a block; nothing otherwise."""
        found = write_block(exc.body)
        if found is not None:
            raise self.read_only(*found) from exc

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Elasticsearch going away in the middle of a step is StoreUnavailable, like not answering
        at its start: the task fails, Airflow retries it, and the retry resumes from what is stored.
        A write refused by a block (a full disk) is StoreReadOnly, with what to do about it."""
        try:
            yield
        except ApiError as exc:
            self.raise_if_blocked(exc)
            raise
        except (ESConnectionError, ConnectionTimeout) as exc:
            raise StoreUnavailable(
                f"Elasticsearch at {self.url} stopped answering ({type(exc).__name__}); "
                "nothing written is lost, run the pass again"
            ) from None

    @contextmanager
    def translated(self, index: str) -> Iterator[None]:
        """Reads a person waits on (the search page, `newsmon search`) fail with newsmon's errors:
        QueryRejected, IndexMissing, StoreError (any other refusal), StoreUnavailable (no answer).
        The Elasticsearch error stays the `__cause__`."""
        try:
            yield
        except BadRequestError as exc:
            reason = rejection_reason(exc)
            raise QueryRejected(
                f"rejected by Elasticsearch: {reason}", reason, exc.body, str(exc.error)
            ) from exc
        except NotFoundError as exc:
            raise IndexMissing(f"{index} does not exist: run `newsmon setup`", index) from exc
        except ApiError as exc:
            raise StoreError(
                f"Elasticsearch answered {exc.meta.status} ({exc.error})", exc.meta.status, str(exc.error)
            ) from exc
        except TransportError as exc:
            raise StoreUnavailable(
                f"Elasticsearch at {self.url or 'the configured URL'} is unreachable: "
                f"{strip_credentials(str(exc))}"
            ) from exc

    # -- indices ----------------------------------------------------------------------------

    def ensure_index(self, name: str, resource: str) -> None:
        """Create index `name` from a packaged settings-and-mappings file unless it exists."""
        if self.es.indices.exists(index=name):
            return
        try:
            self.es.indices.create(index=name, **resource_json(resource, self.prefix))
        except ApiError as exc:
            if "resource_already_exists" not in str(exc):  # another process was quicker
                raise

    def refresh_articles(self) -> None:
        """Make the latest writes to the articles and the pending markers searchable."""
        self.es.indices.refresh(index=f"{self.names.articles},{self.names.pending}", ignore_unavailable=True)

    # -- reading ----------------------------------------------------------------------------

    def scan(
        self,
        query: dict[str, Any],
        source: list[str] | bool = False,
        index: str | None = None,
        sort: list[Any] | None = None,
        limit: int | None = None,
        page_size: int | None = None,
        seq_no_primary_term: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Every hit of `query` in `index` (the articles alias by default), however many: a point in
        time paged with search_after, so nothing past one response's size is silently left out.
        `seq_no_primary_term`: each hit carries its `_seq_no` and `_primary_term` (for a conditional write)."""
        page = page_size or self.page_size
        target = index or self.names.articles
        # Most scans fit in one page: one plain search then, instead of opening, paging and closing
        # a point in time (three requests, each with Elasticsearch's fixed cost). A full first page
        # is dropped and the whole scan runs in a point in time.
        first = page if limit is None else min(page, limit)
        if first <= 0:
            return
        extra: dict[str, Any] = {"seq_no_primary_term": True} if seq_no_primary_term else {}
        resp = self.es.search(
            index=target,
            query=query,
            source=source if isinstance(source, bool) else {"includes": source},
            size=first,
            sort=[*(sort or []), "_doc"],
            track_total_hits=False,
            **extra,
        )
        hits = resp["hits"]["hits"]
        if len(hits) < first or limit is not None and limit <= first:
            yield from hits
            return
        pit = self.es.open_point_in_time(index=target, keep_alive="2m")["id"]
        after: list[Any] | None = None
        seen = 0
        try:
            while True:
                size = page if limit is None else min(page, limit - seen)
                if size <= 0:
                    return
                kwargs: dict[str, Any] = {"search_after": after} if after is not None else {}
                if seq_no_primary_term:
                    kwargs["seq_no_primary_term"] = True
                resp = self.es.search(
                    pit={"id": pit, "keep_alive": "2m"},
                    query=query,
                    source=source if isinstance(source, bool) else {"includes": source},
                    size=size,
                    sort=[*(sort or []), {"_shard_doc": "asc"}],
                    track_total_hits=False,
                    **kwargs,
                )
                pit = resp.get("pit_id", pit)
                hits = resp["hits"]["hits"]
                yield from hits
                seen += len(hits)
                if len(hits) < size:
                    return
                after = hits[-1]["sort"]
        finally:
            try:
                self.es.close_point_in_time(id=pit)
            except (ApiError, TransportError):
                pass  # it expires by itself

    # -- writing ----------------------------------------------------------------------------

    def bulk(
        self, actions: Iterable[dict[str, Any]], chunk_size: int = 500, redirect: Redirect | None = None
    ) -> Iterator[BulkOutcome]:
        """Bulk actions in chunks, each chunk retried on a dropped connection or a 429 with
        backoff; the batch goes on from the chunk where it was, nothing is sent twice that was
        acknowledged. A write refused by a block is not back-pressure: it stops at once with
        StoreReadOnly (what was acknowledged stays written), unless `redirect` gives actions to
        send instead (a reindex's write block on old articles indices)."""
        chunk: list[dict[str, Any]] = []
        for action in actions:
            chunk.append(action)
            if len(chunk) >= chunk_size:
                yield from self._bulk_chunk(chunk, redirect)
                chunk = []
        if chunk:
            yield from self._bulk_chunk(chunk, redirect)

    def _send(self, todo: list[dict[str, Any]]) -> Any:
        operations: list[Any] = []
        for action in todo:
            head, data = expand_action(dict(action))
            operations.append(head)
            if data is not None:
                operations.append(data)
        try:
            return self.es.bulk(operations=operations)
        except ApiError as exc:
            self.raise_if_blocked(exc)
            raise

    def _redirected(
        self, blocked: list[tuple[dict[str, Any], dict[str, Any]]], redirect: Redirect | None
    ) -> list[dict[str, Any]]:
        """The actions to send instead of those a block refused, or StoreReadOnly."""
        instead = redirect(blocked) if redirect is not None else None
        if instead is None:
            raise self.read_only(*(write_block(blocked[0][1]["error"]) or ("?", "?", "?")))
        log.info("%d write(s) met a reindex's write block: sent to the new index", len(instead))
        return instead

    def _bulk_chunk(self, chunk: list[dict[str, Any]], redirect: Redirect | None) -> Iterator[BulkOutcome]:
        todo, resent, delay, wait = chunk, False, BULK_BACKOFF_S, False
        for attempt in range(1, BULK_ATTEMPTS + 1):
            if wait:
                time.sleep(delay)
                delay = min(delay * 2, BULK_MAX_BACKOFF_S)
            wait = True
            try:
                resp = self._send(todo)
            except (ESConnectionError, ConnectionTimeout) as exc:
                log.warning("bulk of %d action(s): %s (try %d/%d)", len(todo), exc, attempt, BULK_ATTEMPTS)
                resent = True
                continue
            except ApiError as exc:
                if exc.meta.status != 429:
                    raise
                log.warning("bulk rejected (429), backing off (try %d/%d)", attempt, BULK_ATTEMPTS)
                continue
            again, blocked = [], []
            for action, item in zip(todo, resp["items"], strict=True):
                op, info = next(iter(item.items()))
                if write_block(info.get("error")) is not None:
                    blocked.append((action, info))
                elif info.get("status") == 429:
                    again.append(action)
                else:
                    yield BulkOutcome(200 <= info.get("status", 500) < 300, op, info, resent)
            if blocked:
                wait = bool(again)  # redirected writes go at once
                again += self._redirected(blocked, redirect)
            if not again:
                return
            if wait:
                log.warning(
                    "%d bulk action(s) rejected (429), backing off (try %d/%d)",
                    len(again),
                    attempt,
                    BULK_ATTEMPTS,
                )
            todo = again
        raise StoreUnavailable(
            f"Elasticsearch at {self.url or 'the configured URL'} did not take a bulk of {len(todo)} "
            f"action(s) after {BULK_ATTEMPTS} tries; what was written before stays written"
        )
