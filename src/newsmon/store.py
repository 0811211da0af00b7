"""Elasticsearch: templates, aliases, idempotent indexing, lookups and search.

Identity is the document _id (from the canonical URL). Because an _id is unique only per index,
every "is it already there?" question is asked of the whole alias, never of one index.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError
from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch.helpers import streaming_bulk

from newsmon.clock import iso
from newsmon.errors import StoreUnavailable
from newsmon.records import Article
from newsmon.settings import Settings

log = logging.getLogger(__name__)


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


class Store:
    def __init__(self, client: Elasticsearch, prefix: str, url: str = ""):
        self.es = client
        self.prefix = prefix
        self.url = url
        self.alias = f"{prefix}articles"
        self.template = f"{prefix}articles"
        self.first_index = f"{prefix}articles-000001"
        self.runs_index = f"{prefix}runs"
        self.failed_index = f"{prefix}failed-pages"

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
                f"Elasticsearch at {self.url or 'the configured URL'} is unreachable: {exc}. "
                "Start it with `scripts/elasticsearch start` or set NEWSMON_ES_URL."
            ) from None
        except ApiError as exc:
            raise StoreUnavailable(f"Elasticsearch at {self.url} answered {exc.meta.status}: {exc}") from None
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
        self.ensure_index(self.failed_index, "failed-pages-mapping.json")
        done["failed pages"] = self.failed_index
        return done

    def ensure_index(self, name: str, resource: str) -> None:
        """Create index `name` from a packaged settings-and-mappings file unless it exists."""
        if self.es.indices.exists(index=name):
            return
        try:
            self.es.indices.create(index=name, **resource_json(resource, self.prefix))
        except ApiError as exc:
            if "resource_already_exists" not in str(exc):  # another process was quicker
                raise

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
            resp = self.es.search(
                index=self.alias,
                query={"bool": {"should": [{"ids": {"values": chunk}}, {"terms": {"url_ids": chunk}}]}},
                source=["url_ids", "feed_updated_at"],
                size=len(chunk) * 2,
            )
            for hit in resp["hits"]["hits"]:
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
                doc = art.to_document()
                old = replace.get(art.id)
                if old is not None:
                    yield {"_op_type": "index", "_index": old.index, "_id": art.id, "_source": doc}
                else:
                    yield {"_op_type": "create", "_index": self.alias, "_id": art.id, "_source": doc}

        for ok, item in streaming_bulk(
            self.es,
            actions(),
            chunk_size=chunk_size,
            raise_on_error=False,
            raise_on_exception=False,
            max_retries=3,
        ):
            op, info = next(iter(item.items()))
            if ok:
                (result.updated if op == "index" else result.created).append(info["_id"])
            elif info.get("status") == 409:
                result.conflicts.append(info["_id"])
            else:
                reason = info.get("error", {})
                result.errors.append({"url": info.get("_id", "?"), "error": f"index failed: {reason}"})
        return result

    def refresh(self) -> None:
        self.es.indices.refresh(index=self.alias)

    def get_many(self, ids: list[str], fields: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        resp = self.es.search(index=self.alias, query={"ids": {"values": ids}}, source=fields, size=len(ids))
        return list(resp["hits"]["hits"])

    def by_field(
        self, name: str, values: list[str], fields: list[str], size: int = 10_000
    ) -> list[dict[str, Any]]:
        if not values:
            return []
        resp = self.es.search(index=self.alias, query={"terms": {name: values}}, source=fields, size=size)
        return list(resp["hits"]["hits"])

    def bulk_update(self, updates: list[tuple[str, str, dict[str, Any]]]) -> int:
        """(index, id, partial doc) updates; returns how many succeeded."""
        actions = ({"_op_type": "update", "_index": i, "_id": d, "doc": doc} for i, d, doc in updates)
        done = 0
        for ok, item in streaming_bulk(self.es, actions, raise_on_error=False, max_retries=3):
            if ok:
                done += 1
            else:
                log.error("cluster update failed: %s", item)
        return done

    def pending(self, flag: str, unless: str | None = None, limit: int = 10_000) -> list[str]:
        """Ids of articles whose `flag` is still set (and, with `unless`, whose other flag is not)."""
        self.refresh()
        query: dict[str, Any] = {"bool": {"filter": [{"term": {flag: True}}]}}
        if unless:
            query["bool"]["must_not"] = [{"term": {unless: True}}]
        resp = self.es.search(
            index=self.alias, query=query, source=False, size=limit, sort=[{"fetched_at": "asc"}]
        )
        return [h["_id"] for h in resp["hits"]["hits"]]

    def clear_pending(self, ids: list[str], flag: str) -> None:
        if not ids:
            return
        hits = self.get_many(ids, [flag])
        self.bulk_update([(h["_index"], h["_id"], {flag: False}) for h in hits if h["_source"].get(flag)])
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
