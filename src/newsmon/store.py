"""Elasticsearch: templates, aliases, idempotent indexing, lookups and search.

Identity is the document _id (from the canonical URL). Because an _id is unique only per index,
every "is it already there?" question is asked of the whole alias, never of one index.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from elasticsearch import ApiError, ConnectionTimeout, Elasticsearch, NotFoundError, TransportError
from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch.helpers import expand_action, scan, streaming_bulk

from newsmon.analysis import base_field, language_fields
from newsmon.clock import iso
from newsmon.errors import StoreUnavailable
from newsmon.records import Article
from newsmon.redaction import strip_credentials
from newsmon.settings import Settings

log = logging.getLogger(__name__)


PENDING_CLUSTER, PENDING_ALERT = "pending_cluster", "pending_alert"  # the flags of a pending marker
FAILED_PAGE_RETRY = timedelta(hours=6)  # a page that broke its extraction budget, tried again after
FAILED_PAGE_RETRY_MAX = timedelta(days=7)  # ... doubling with each failure, at most this


def make_client(settings: Settings) -> Elasticsearch:
    kwargs: dict[str, Any] = {
        "request_timeout": 30,
        "retry_on_timeout": True,
        "max_retries": 2,
        "verify_certs": settings.es_verify_certs,
    }
    if settings.es_api_key:
        kwargs["api_key"] = settings.es_api_key.get_secret_value()
    elif settings.es_username:
        password = settings.es_password.get_secret_value() if settings.es_password else ""
        kwargs["basic_auth"] = (settings.es_username, password)
    # Several nodes may be listed, comma-separated: the client spreads requests and fails over.
    nodes = [u.strip() for u in settings.es_url.get_secret_value().split(",") if u.strip()]
    return Elasticsearch(nodes, **kwargs)


def resource_json(name: str, prefix: str) -> dict[str, Any]:
    text = resources.files("newsmon.resources").joinpath(name).read_text(encoding="utf-8")
    body = json.loads(text.replace("{{PREFIX}}", prefix))
    return {k: v for k, v in body.items() if not k.startswith("_comment")}


@dataclass
class Known:
    id: str
    index: str
    feed_updated_at: str | None
    url_ids: list[str] = field(default_factory=list)


@dataclass
class IndexResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)


# Bulk requests: a dropped connection or a rejection (429) is retried with a doubling pause;
# a chunk that still cannot be written after BULK_ATTEMPTS tries stops the pass (StoreUnavailable),
# which Airflow retries, while what was written stays written (the ids are deterministic).
BULK_ATTEMPTS = 6
BULK_BACKOFF_S = 0.5
BULK_MAX_BACKOFF_S = 15.0


@dataclass
class BulkOutcome:
    ok: bool
    op: str
    info: dict[str, Any]
    resent: bool  # the chunk had been sent before: a 409 on `create` may be our own earlier write


class Store:
    # Results per page of a scan (point in time + search_after); a parameter so tests can page small.
    page_size = 1000

    def __init__(self, client: Elasticsearch, prefix: str, url: str = ""):
        self.es = client
        self.prefix = prefix
        self.url = url
        self.alias = f"{prefix}articles"
        self.template = f"{prefix}articles"
        self.first_index = f"{prefix}articles-000001"
        self.runs_index = f"{prefix}runs"
        self.feeds_index = f"{prefix}feeds"
        self.failed_index = f"{prefix}failed-pages"
        self.pending_index = f"{prefix}pending"

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        return cls(make_client(settings), settings.index_prefix, settings.es_url_shown)

    def close(self) -> None:
        self.es.close()

    # -- availability and setup -------------------------------------------------------------

    def check(self) -> dict[str, Any]:
        """Cluster health, or StoreUnavailable naming the URL tried."""
        try:
            health = self.es.options(request_timeout=10).cluster.health()
        except (ESConnectionError, TransportError) as exc:
            raise StoreUnavailable(
                f"Elasticsearch at {self.url or 'the configured URL'} is unreachable: {strip_credentials(str(exc))}. "
                "Start it with `scripts/elasticsearch start` or set NEWSMON_ES_URL."
            ) from None
        except ApiError as exc:
            raise StoreUnavailable(
                f"Elasticsearch at {self.url} answered {exc.meta.status}: {strip_credentials(str(exc))}"
            ) from None
        if health.get("status") not in ("green", "yellow"):
            raise StoreUnavailable(f"Elasticsearch at {self.url} is {health.get('status')}, not usable")
        return dict(health)

    def setup(self) -> dict[str, str]:
        """Install the template, the first index with its write alias, and the run history index."""
        done: dict[str, str] = {}
        body = resource_json("articles-template.json", self.prefix)
        self.es.indices.put_index_template(name=self.template, **body)
        done["template"] = self.template
        if self.es.indices.exists_alias(name=self.alias):
            done["alias"] = f"{self.alias} (exists)"
        else:
            try:
                self.es.indices.create(index=self.first_index, aliases={self.alias: {"is_write_index": True}})
                done["alias"] = f"{self.alias} -> {self.first_index} (created)"
            except ApiError as exc:
                if exc.meta.status != 400 or "resource_already_exists" not in str(exc):
                    raise
                self.es.indices.put_alias(index=self.first_index, name=self.alias, is_write_index=True)
                done["alias"] = f"{self.alias} -> {self.first_index} (alias added)"
        self.ensure_index(self.runs_index, "runs-mapping.json")
        done["runs"] = self.runs_index
        self.ensure_index(self.feeds_index, "feeds-mapping.json")
        done["feeds"] = self.feeds_index
        outdated = self.outdated_indices()
        if outdated:
            done["schema"] = (
                f"{', '.join(outdated)} predate(s) schema v{self.schema_version()}: new indices get it at "
                "rollover; `newsmon setup --reindex` rebuilds the articles now"
            )
        self.ensure_index(self.failed_index, "failed-pages-mapping.json")
        done["failed pages"] = self.failed_index
        self.ensure_index(self.pending_index, "pending-mapping.json")
        done["pending"] = self.pending_index
        return done

    def schema_version(self) -> int:
        """The articles template's `_meta.schema_version` as packaged."""
        body = resource_json("articles-template.json", self.prefix)
        return int(body["template"]["mappings"]["_meta"]["schema_version"])

    def outdated_indices(self) -> list[str]:
        """Articles indices behind the alias created from an older template."""
        if not self.es.indices.exists_alias(name=self.alias):
            return []
        wanted = self.schema_version()
        mappings = self.es.indices.get_mapping(index=self.alias)
        return sorted(
            name for name, m in mappings.items()
            if int(m["mappings"].get("_meta", {}).get("schema_version", 0)) < wanted
        )  # fmt: skip

    def reindex_articles(self) -> dict[str, Any]:
        """Copy every article into a new index made from the current template (language copies
        added), then point the alias at it alone and delete the old indices. Writes made meanwhile
        would be lost: stop the scheduler first."""
        old = sorted(self.es.indices.get_alias(name=self.alias))
        numbers = [int(n.rsplit("-", 1)[1]) for n in old if n.rsplit("-", 1)[1].isdigit()]
        new = f"{self.prefix}articles-{max(numbers, default=0) + 1:06d}"
        self.es.indices.create(index=new)  # the template gives settings and mappings

        def actions() -> Iterator[dict[str, Any]]:
            for hit in scan(self.es, index=self.alias, query={"query": {"match_all": {}}, "size": 500}):
                doc = {k: v for k, v in hit["_source"].items() if base_field(k) == k}
                doc.update(language_fields(doc))
                yield {"_op_type": "index", "_index": new, "_id": hit["_id"], "_source": doc}

        copied = failed = 0
        for ok, _item in streaming_bulk(self.es, actions(), chunk_size=200, raise_on_error=False):
            copied, failed = copied + ok, failed + (not ok)
        if failed:  # leave everything as it was: the new index is dropped, the alias untouched
            self.es.indices.delete(index=new)
            raise StoreUnavailable(f"reindex into {new}: {failed} document(s) failed; nothing changed")
        self.es.indices.refresh(index=new)
        self.es.indices.update_aliases(
            actions=[{"remove": {"index": i, "alias": self.alias}} for i in old]
            + [{"add": {"index": new, "alias": self.alias, "is_write_index": True}}]
        )
        self.es.indices.delete(index=",".join(old))
        return {"from": old, "to": new, "documents": copied}

    def ensure_index(self, name: str, resource: str) -> None:
        """Create index `name` from a packaged settings-and-mappings file unless it exists."""
        if self.es.indices.exists(index=name):
            return
        try:
            self.es.indices.create(index=name, **resource_json(resource, self.prefix))
        except ApiError as exc:
            if "resource_already_exists" not in str(exc):  # another process was quicker
                raise

    def rollover(self, max_age: str, max_size: str, dry_run: bool = False) -> dict[str, Any]:
        """Roll the articles alias over to a new write index when the current one is older than
        `max_age` or its primary shards are larger than `max_size` (the rollover API; the new
        index gets the template, so `auto_expand_replicas` as well). Returns what Elasticsearch
        answered: `rolled_over`, `old_index`, `new_index`, `conditions`."""
        resp = self.es.indices.rollover(
            alias=self.alias,
            conditions={"max_age": max_age, "max_primary_shard_size": max_size},
            dry_run=dry_run,
        )
        return {k: resp.get(k) for k in ("rolled_over", "dry_run", "old_index", "new_index", "conditions")}

    def drop_all(self) -> None:
        """Delete every index and template under this store's prefix (tests, benchmarks)."""
        es = self.es.options(ignore_status=404)
        es.indices.delete(index=f"{self.prefix}*", expand_wildcards="all")
        es.indices.delete_index_template(name=f"{self.prefix}*")

    def is_set_up(self) -> bool:
        return bool(self.es.indices.exists_alias(name=self.alias))

    # -- identity ---------------------------------------------------------------------------

    def known(self, ids: Iterable[str]) -> dict[str, Known]:
        """Stored articles any of whose URL ids is among `ids`, keyed by each matching id."""
        wanted = sorted(set(ids))
        found: dict[str, Known] = {}
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start : start + 1000]
            query = {"bool": {"should": [{"ids": {"values": chunk}}, {"terms": {"url_ids": chunk}}]}}
            for hit in self.scan(query, source=["url_ids", "feed_updated_at"]):
                src = hit.get("_source", {})
                known = Known(hit["_id"], hit["_index"], src.get("feed_updated_at"), src.get("url_ids") or [])
                for key in {hit["_id"], *known.url_ids} & set(chunk):
                    found[key] = known
        return found

    # -- writing ----------------------------------------------------------------------------

    def index_articles(
        self, articles: list[Article], replace: dict[str, Known], chunk_size: int = 200
    ) -> IndexResult:
        """New articles with `create` (a conflict means another copy won the race: counted, not an
        error); articles in `replace` overwrite their stored document in the index that holds it."""
        result = IndexResult()

        def actions() -> Iterator[dict[str, Any]]:
            for art in articles:
                # Its marker first: an article is never stored without one (a marker whose article
                # was not written is dropped by the step that finds it; a spare one only repeats
                # idempotent work).
                marker = {PENDING_CLUSTER: True, PENDING_ALERT: True, "fetched_at": art.fetched_at}
                yield {"_op_type": "index", "_index": self.pending_index, "_id": art.id, "_source": marker}
                doc = art.to_document()
                old = replace.get(art.id)
                if old is not None:
                    yield {"_op_type": "index", "_index": old.index, "_id": art.id, "_source": doc}
                else:
                    yield {"_op_type": "create", "_index": self.alias, "_id": art.id, "_source": doc}

        for out in self.bulk(actions(), chunk_size=2 * chunk_size):
            info = out.info
            if info.get("_index") == self.pending_index:
                if not out.ok:
                    log.error(
                        "could not mark %s for clustering and alerts: %s", info.get("_id"), info.get("error")
                    )
            elif out.ok:
                (result.updated if out.op == "index" else result.created).append(info["_id"])
            elif info.get("status") == 409 and out.resent:
                # the connection dropped after Elasticsearch wrote it: our own write, not a race
                result.created.append(info["_id"])
            elif info.get("status") == 409:
                result.conflicts.append(info["_id"])
            else:
                reason = info.get("error", {})
                result.errors.append({"url": info.get("_id", "?"), "error": f"index failed: {reason}"})
        return result

    def bulk(self, actions: Iterable[dict[str, Any]], chunk_size: int = 500) -> Iterator[BulkOutcome]:
        """Bulk actions in chunks, each chunk retried on a dropped connection or a 429 with
        backoff; the batch goes on from the chunk where it was, nothing is sent twice that was
        acknowledged."""
        chunk: list[dict[str, Any]] = []
        for action in actions:
            chunk.append(action)
            if len(chunk) >= chunk_size:
                yield from self._bulk_chunk(chunk)
                chunk = []
        if chunk:
            yield from self._bulk_chunk(chunk)

    def _bulk_chunk(self, chunk: list[dict[str, Any]]) -> Iterator[BulkOutcome]:
        todo, resent, delay = chunk, False, BULK_BACKOFF_S
        for attempt in range(1, BULK_ATTEMPTS + 1):
            if attempt > 1:
                time.sleep(delay)
                delay = min(delay * 2, BULK_MAX_BACKOFF_S)
            operations: list[Any] = []
            for action in todo:
                head, data = expand_action(dict(action))
                operations.append(head)
                if data is not None:
                    operations.append(data)
            try:
                resp = self.es.bulk(operations=operations)
            except (ESConnectionError, ConnectionTimeout) as exc:
                log.warning("bulk of %d action(s): %s (try %d/%d)", len(todo), exc, attempt, BULK_ATTEMPTS)
                resent = True
                continue
            except ApiError as exc:
                if exc.meta.status != 429:
                    raise
                log.warning("bulk rejected (429), backing off (try %d/%d)", attempt, BULK_ATTEMPTS)
                continue
            again = []
            for action, item in zip(todo, resp["items"], strict=True):
                op, info = next(iter(item.items()))
                if info.get("status") == 429:
                    again.append(action)
                else:
                    yield BulkOutcome(200 <= info.get("status", 500) < 300, op, info, resent)
            if not again:
                return
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

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Elasticsearch going away in the middle of a step is StoreUnavailable, like not answering
        at its start: the task fails, Airflow retries it, and the retry resumes from what is stored."""
        try:
            yield
        except (ESConnectionError, ConnectionTimeout) as exc:
            raise StoreUnavailable(
                f"Elasticsearch at {self.url} stopped answering ({type(exc).__name__}); "
                "nothing written is lost, run the pass again"
            ) from None

    def refresh(self) -> None:
        """Make the latest writes to the articles and the pending markers searchable."""
        self.es.indices.refresh(index=f"{self.alias},{self.pending_index}", ignore_unavailable=True)

    def scan(
        self,
        query: dict[str, Any],
        source: list[str] | bool = False,
        index: str | None = None,
        sort: list[Any] | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every hit of `query`, however many: a point in time paged with search_after, so nothing
        past one response's size is silently left out."""
        page = page_size or self.page_size
        pit = self.es.open_point_in_time(index=index or self.alias, keep_alive="2m")["id"]
        after: list[Any] | None = None
        seen = 0
        try:
            while True:
                size = page if limit is None else min(page, limit - seen)
                if size <= 0:
                    return
                kwargs: dict[str, Any] = {"search_after": after} if after is not None else {}
                resp = self.es.search(
                    pit={"id": pit, "keep_alive": "2m"},
                    query=query,
                    source=source,
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

    def count_duplicates(self, ids: list[str]) -> int:
        """How many of `ids` are copies of another story (have `duplicate_of`)."""
        total = 0
        for start in range(0, len(ids), 1000):
            query = {
                "bool": {
                    "filter": [
                        {"ids": {"values": ids[start : start + 1000]}},
                        {"exists": {"field": "duplicate_of"}},
                    ]
                }
            }
            total += int(self.es.count(index=self.alias, query=query)["count"])
        return total

    def get_many(self, ids: list[str], fields: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        return list(self.scan({"ids": {"values": ids}}, source=fields))

    def by_field(self, name: str, values: list[str], fields: list[str]) -> list[dict[str, Any]]:
        if not values:
            return []
        return list(self.scan({"terms": {name: values}}, source=fields))

    def bulk_update(self, updates: list[tuple[str, str, dict[str, Any]]]) -> int:
        """(index, id, partial doc) updates; returns how many succeeded."""
        actions = ({"_op_type": "update", "_index": i, "_id": d, "doc": doc} for i, d, doc in updates)
        done = 0
        for out in self.bulk(actions):
            if out.ok:
                done += 1
            else:
                log.error("update failed: %s", out.info)
        return done

    def pending(self, flag: str, unless: str | None = None, limit: int | None = None) -> list[str]:
        """Ids of articles whose `flag` is still set (and, with `unless`, whose other flag is not),
        oldest first; all of them unless `limit`. The flags live in small markers in
        `${prefix}pending`; articles stored by versions that kept them in the article itself are
        found too."""
        self.refresh()
        query: dict[str, Any] = {"bool": {"filter": [{"term": {flag: True}}]}}
        if unless:
            query["bool"]["must_not"] = [{"term": {unless: True}}]
        found: list[tuple[str, str]] = []
        for index in (self.pending_index, self.alias):
            if not self.es.indices.exists(index=index):
                continue
            hits = self.scan(
                query, source=["fetched_at"], index=index, sort=[{"fetched_at": "asc"}], limit=limit
            )
            found += [(h["_source"].get("fetched_at") or "", h["_id"]) for h in hits]
        ids = list(dict.fromkeys(i for _, i in sorted(found)))
        return ids if limit is None else ids[:limit]

    def clear_pending(self, ids: list[str], flag: str) -> None:
        """Clear `flag` of `ids`: a marker with no flag left is deleted, and articles of older
        versions that carry the flag themselves are updated."""
        if not ids:
            return
        actions: list[dict[str, Any]] = []
        es = self.es.options(ignore_status=404)
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            docs = es.mget(index=self.pending_index, ids=chunk, source=[PENDING_CLUSTER, PENDING_ALERT])
            for d in docs.get("docs", []):
                if not d.get("found"):
                    continue
                rest = {k: v for k, v in d["_source"].items() if k != flag and v}
                if rest:
                    actions.append(
                        {
                            "_op_type": "update",
                            "_index": self.pending_index,
                            "_id": d["_id"],
                            "doc": {flag: False},
                        }
                    )
                else:
                    actions.append({"_op_type": "delete", "_index": self.pending_index, "_id": d["_id"]})
            legacy = {"bool": {"filter": [{"ids": {"values": chunk}}, {"term": {flag: True}}]}}
            for h in self.scan(legacy, index=self.alias):
                actions.append(
                    {"_op_type": "update", "_index": h["_index"], "_id": h["_id"], "doc": {flag: False}}
                )
        for out in self.bulk(actions):
            if not out.ok and out.info.get("status") != 404:
                log.error("could not clear %s of %s: %s", flag, out.info.get("_id"), out.info.get("error"))
        self.refresh()

    # -- pages whose extraction failed hard (time budget, dead worker) ------------------------

    def record_failed_pages(self, failed: list[tuple[str, str, str]], now: datetime) -> None:
        """(entry id, url, reason) of pages not to fetch again before a retry time that doubles with
        each failure of the same page, from FAILED_PAGE_RETRY up to FAILED_PAGE_RETRY_MAX."""
        if not failed:
            return
        before = {h["_id"]: h["_source"] for h in self._failed([i for i, _, _ in failed])}
        actions = []
        for entry_id, url, reason in failed:
            failures = int(before.get(entry_id, {}).get("failures", 0)) + 1
            wait = min(FAILED_PAGE_RETRY * 2 ** (failures - 1), FAILED_PAGE_RETRY_MAX)
            doc = {"url": url, "error": reason, "failures": failures, "failed_at": iso(now),
                   "retry_at": iso(now + wait)}  # fmt: skip
            actions.append({"_index": self.failed_index, "_id": entry_id, "_source": doc})
        for ok, item in streaming_bulk(self.es, actions, raise_on_error=False, max_retries=3):
            if not ok:
                log.error("could not record a failed page: %s", item)
        self.es.indices.refresh(index=self.failed_index)

    def deferred(self, ids: Iterable[str], now: datetime) -> set[str]:
        """Entry ids among `ids` of failed pages whose retry time has not come."""
        wanted = sorted(set(ids))
        return {
            h["_id"] for h in self._failed(wanted)
            if h["_source"].get("retry_at", "") > (iso(now) or "")
        }  # fmt: skip

    def _failed(self, ids: list[str]) -> list[dict[str, Any]]:
        hits: list[dict[str, Any]] = []
        es = self.es.options(ignore_status=404)  # no index yet: set up by an older version
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            resp = es.search(index=self.failed_index, query={"ids": {"values": chunk}}, size=len(chunk))
            hits += resp.get("hits", {}).get("hits", [])
        return hits

    def record_run(self, summary: dict[str, Any]) -> None:
        try:
            self.es.index(index=self.runs_index, document=summary, refresh=True)
        except (ApiError, TransportError) as exc:
            log.warning("could not record the run summary in %s: %s", self.runs_index, exc)

    def last_runs(self, size: int = 1) -> list[dict[str, Any]]:
        try:
            resp = self.es.search(index=self.runs_index, sort=[{"@timestamp": "desc"}], size=size)
        except NotFoundError:
            return []
        return [h["_source"] for h in resp["hits"]["hits"]]
