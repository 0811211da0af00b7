"""The articles alias: identity (which URL ids are stored), writes, reads, searches, analysis.

New articles are written with their pending marker (newsmon.storage.pending) in the same bulk.

After a rollover the alias spans several indices. Searches, counts, scans, msearch, validation and
bulk `create` work on the alias as such (a write through it goes to its write index); a request
Elasticsearch runs on ONE index is never sent to the alias: analysis goes to the write index (it
has the current template's analyzers), and a get, update, delete or term vector of a stored article
names the index its hit or its bulk answer came from.

While `newsmon setup --reindex` runs, a write or update addressed at an old index meets its write
block and is sent to the new index instead, as a whole document (newsmon.storage.migration); a
write addressed at an index a reindex has deleted since goes to the index that holds the article.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import BadRequestError, ConnectionTimeout, NotFoundError
from elasticsearch.helpers import bulk

from newsmon.errors import QueryTooCostly
from newsmon.records import Article
from newsmon.storage.backend import Backend
from newsmon.storage.migration import Relocator
from newsmon.storage.pending import PENDING_ALERT, PENDING_CLUSTER

log = logging.getLogger(__name__)


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
    # id -> the index that holds it now (bulk's answer): the alias's write index for a new article
    stored_in: dict[str, str] = field(default_factory=dict)


class Articles:
    def __init__(self, backend: Backend):
        self.backend = backend
        # The alias's write index, looked up on the first analysis and kept for this Storage (one
        # task). Only a rollover or a reindex changes it. A rollover in the middle of a task leaves
        # the old index in place, analyzers and all, so the task goes on analysing as it began (the
        # same analysis for all of its rules and stories, never an error); a reindex deletes the old
        # index, which the next analysis finds (404) and then looks the write index up again.
        self._write_index: str | None = None

    @property
    def alias(self) -> str:
        return self.backend.names.articles

    def refresh(self) -> None:
        """Make the latest writes to the articles and the pending markers searchable."""
        self.backend.refresh_articles()

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

    def write(
        self,
        articles: list[Article],
        replace: Mapping[str, Known],
        chunk_size: int = 200,
        markers: Mapping[str, dict[str, Any]] | None = None,
    ) -> IndexResult:
        """New articles with `create` (a conflict means another copy won the race: counted, not an
        error); articles in `replace` overwrite their stored document in the index that holds it.
        `markers` adds fields to an article's pending marker (what its batch decided of its copies,
        newsmon.stories.decided)."""
        result = IndexResult()
        pending_index = self.backend.names.pending

        def actions() -> Iterator[dict[str, Any]]:
            for art in articles:
                # Its marker first: an article is never stored without one (a marker whose article
                # was not written is dropped by the step that finds it; a spare one only repeats
                # idempotent work).
                marker = {PENDING_CLUSTER: True, PENDING_ALERT: True, "fetched_at": art.fetched_at}
                if markers and art.id in markers:
                    marker.update(markers[art.id])
                yield {"_op_type": "index", "_index": pending_index, "_id": art.id, "_source": marker}
                doc = art.to_document()
                old = replace.get(art.id)
                if old is not None:
                    yield {"_op_type": "index", "_index": old.index, "_id": art.id, "_source": doc}
                else:
                    yield {"_op_type": "create", "_index": self.alias, "_id": art.id, "_source": doc}

        relocator = Relocator(self.backend)
        planned = relocator.retarget(list(actions()))
        for out in self.backend.bulk(planned, chunk_size=2 * chunk_size, redirect=relocator):
            info = out.info
            if info.get("_index") == pending_index:
                if not out.ok:
                    log.error(
                        "could not mark %s for clustering and alerts: %s", info.get("_id"), info.get("error")
                    )
            elif out.ok:
                (result.updated if out.op == "index" else result.created).append(info["_id"])
                result.stored_in[info["_id"]] = info["_index"]
            elif info.get("status") == 409 and out.resent:
                # the connection dropped after Elasticsearch wrote it: our own write, not a race
                result.created.append(info["_id"])
            elif info.get("status") == 409:
                result.conflicts.append(info["_id"])
            else:
                reason = info.get("error", {})
                result.errors.append({"url": info.get("_id", "?"), "error": f"index failed: {reason}"})
        return result

    def update_many(self, updates: list[tuple[str, str, dict[str, Any]]]) -> int:
        """(index, id, partial doc) updates; returns how many succeeded."""
        relocator = Relocator(self.backend)
        actions = relocator.retarget(
            [{"_op_type": "update", "_index": i, "_id": d, "doc": doc} for i, d, doc in updates]
        )
        done = 0
        for out in self.backend.bulk(actions, redirect=relocator):
            if out.ok:
                done += 1
            else:
                log.error("update failed: %s", out.info)
        return done

    def load(
        self, docs: Iterable[tuple[str, dict[str, Any]]], chunk_size: int = 500, timeout: float = 30
    ) -> int:
        """Benchmarks only: index prepared documents, (id, source) pairs, into the alias as they are,
        without the pending markers and the outcome bookkeeping of `write`, `timeout` seconds per
        bulk request. A document that fails raises (a benchmark on a partial load would mislead).
        Returns how many were written."""
        return self._load(self.alias, docs, chunk_size, timeout, refresh=False)

    def load_copy(self, docs: Iterable[tuple[str, dict[str, Any]]]) -> int:
        """Benchmarks only: index (id, source) pairs into the scratch copy of the articles
        (IndexNames.articles_copy, made by the articles template on the first write), refreshing
        after each bulk request: indexing through the articles' analysis chains, e.g. to warm a
        node up, without adding articles. `drop_copy` deletes it."""
        return self._load(self.backend.names.articles_copy, docs, 500, 30, refresh=True)

    def drop_copy(self) -> None:
        """Benchmarks only: delete the scratch copy `load_copy` made."""
        self.backend.es.indices.delete(index=self.backend.names.articles_copy)

    def _load(
        self,
        index: str,
        docs: Iterable[tuple[str, dict[str, Any]]],
        chunk_size: int,
        timeout: float,
        refresh: bool,
    ) -> int:
        actions = ({"_index": index, "_id": doc_id, "_source": source} for doc_id, source in docs)
        client = self.backend.es.options(request_timeout=timeout)
        written, _errors = bulk(client, actions, chunk_size=chunk_size, refresh=refresh)
        return written

    def merge_segments(self, timeout: float = 600) -> None:
        """Benchmarks only: merge every articles index into one segment (waiting up to `timeout`
        seconds), so that what is measured after a bulk load does not depend on when Elasticsearch
        would have merged by itself."""
        self.backend.es.options(request_timeout=timeout).indices.forcemerge(
            index=self.alias, max_num_segments=1
        )

    # -- reading ----------------------------------------------------------------------------

    def scan(
        self,
        query: dict[str, Any],
        source: list[str] | bool = False,
        sort: list[Any] | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every hit of `query` over the alias, however many (see Backend.scan); `page_size` hits
        per response (the backend's default when None)."""
        return self.backend.scan(
            query, source=source, index=self.alias, sort=sort, limit=limit, page_size=page_size
        )

    def stream(
        self, query: dict[str, Any], fields: list[str], sort: list[Any], limit: int
    ) -> Iterator[dict[str, Any]]:
        """At most `limit` hits of `query` in `sort` order, page by page through a point in time
        (search_after), so an export of thousands of articles never holds more than one page;
        newsmon's errors (see Backend.translated) when Elasticsearch refuses."""
        with self.backend.translated(self.alias):
            yield from self.backend.scan(query, source=fields, index=self.alias, sort=sort, limit=limit)

    def get_many(self, ids: list[str], fields: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        return list(self.scan({"ids": {"values": ids}}, source=fields))

    def by_field(self, name: str, values: list[str], fields: list[str]) -> list[dict[str, Any]]:
        """Hits whose keyword field `name` has one of `values` (newsmon's errors, see
        Backend.translated: the search page asks this too)."""
        if not values:
            return []
        with self.backend.translated(self.alias):
            return list(self.scan({"terms": {name: values}}, source=fields))

    def count(self, query: dict[str, Any]) -> int:
        return int(self.backend.es.count(index=self.alias, query=query)["count"])

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
            total += self.count(query)
        return total

    def urls_stored_twice(self, size: int = 10) -> list[str]:
        """Canonical URLs that more than one stored article has, at most `size` of them: none, after
        a pass that was interrupted and retried, means nothing was written twice."""
        agg = {"terms": {"field": "canonical_url", "min_doc_count": 2, "size": size}}
        resp = self.backend.es.search(index=self.alias, size=0, aggs={"urls": agg})
        return [str(b["key"]) for b in resp["aggregations"]["urls"]["buckets"]]

    def search(self, *, client_timeout: float | None = None, **request: Any) -> dict[str, Any]:
        """One search request (the keyword arguments of the search API) over the alias. A query
        Elasticsearch cannot use is QueryRejected; no alias IndexMissing; see Backend.translated.

        With `client_timeout` (seconds) the client waits that long and does not send the search
        again when it times out (a costly search sent three times costs three times): QueryTooCostly."""
        es = self.backend.es
        if client_timeout is not None:
            es = es.options(request_timeout=client_timeout, retry_on_timeout=False)
        with self.backend.translated(self.alias):
            try:
                return dict(es.search(index=self.alias, **request))
            except ConnectionTimeout:
                if client_timeout is None:
                    raise
                raise QueryTooCostly(
                    f"Elasticsearch did not answer the search within {client_timeout:g} s; it was not "
                    "sent again. Make it narrower (a topic, a date range, fewer wildcards).",
                    timed_out=True,
                ) from None

    def search_many(self, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Several search bodies over the alias in one request; one response each, in order (a
        failed one carries `error`)."""
        searches: list[dict[str, Any]] = []
        for body in bodies:
            searches += [{"index": self.alias}, body]
        return list(self.backend.es.msearch(searches=searches)["responses"])

    def term_vectors(self, hits: list[dict[str, Any]], fields: list[str]) -> list[dict[str, Any]]:
        """The terms (no positions, offsets or statistics) of `fields` of the stored `hits`."""
        docs = [{"_index": h["_index"], "_id": h["_id"], "fields": fields} for h in hits]
        resp = self.backend.es.mtermvectors(
            docs=docs, term_statistics=False, field_statistics=False, positions=False, offsets=False
        )
        return list(resp["docs"])

    # -- analysis ---------------------------------------------------------------------------

    def write_index(self) -> str:
        """The concrete index the alias writes to (see `__init__` for how long it is kept)."""
        if self._write_index is None:
            self._write_index = self._find_write_index()
        return self._write_index

    def _find_write_index(self) -> str:
        found = self.backend.es.indices.get_alias(name=self.alias)
        names = sorted(found)
        for name in names:
            if found[name]["aliases"][self.alias].get("is_write_index"):
                return name
        return names[-1]  # an alias over one index without the flag writes to that index

    def _tokens(self, **request: Any) -> list[str]:
        """The tokens of one analyze request, asked of the write index: the analyze API runs on
        one index, and an alias over several (after a rollover) is refused."""
        try:
            resp = self.backend.es.indices.analyze(index=self.write_index(), **request)
        except NotFoundError:
            self._write_index = None  # deleted by a reindex since it was looked up
            resp = self.backend.es.indices.analyze(index=self.write_index(), **request)
        return [t["token"] for t in resp["tokens"]]

    def analysis_fingerprint(self, fields: Iterable[str]) -> str:
        """A hash of the analysis the write index applies: its `index.analysis` settings (filters,
        synonym lists, analyzers) and the analyzers its mapping assigns to `fields`. A change of
        either (a new template after a rollover or reindex, settings put on the closed index)
        changes it. Looked up afresh on each call: two requests, no analysis."""
        try:
            return self._fingerprint(fields)
        except NotFoundError:
            self._write_index = None  # deleted by a reindex since it was looked up
            return self._fingerprint(fields)

    def _fingerprint(self, fields: Iterable[str]) -> str:
        index = self.write_index()
        es = self.backend.es
        settings = es.indices.get_settings(index=index, name="index.analysis.*")
        analysis = settings.get(index, {}).get("settings", {}).get("index", {}).get("analysis", {})
        props = es.indices.get_mapping(index=index)[index]["mappings"].get("properties", {})
        keys = ("analyzer", "search_analyzer", "search_quote_analyzer")
        assigned = {f: {k: props.get(f, {}).get(k) for k in keys} for f in sorted(set(fields))}
        text = json.dumps({"analysis": analysis, "fields": assigned}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def analyze(self, text: str, field: str = "body") -> list[str]:
        """The tokens of `text` as `field` of the articles indices analyses it (the write index's
        analysis, the current template's)."""
        return self._tokens(field=field, text=text)

    def analyze_with(self, analyzer: str, text: str) -> list[str] | None:
        """The tokens of `text` by a named analyzer of the articles' write index; None when it
        does not define it (made from an older template)."""
        try:
            return self._tokens(analyzer=analyzer, text=text)
        except BadRequestError:
            return None

    def validate(self, query: dict[str, Any]) -> str | None:
        """Why Elasticsearch would reject `query` over the alias, or None when it is valid. Every
        index of the alias is asked (one explanation each): the first error given is the reason."""
        with self.backend.translated(self.alias):  # no alias yet: IndexMissing
            resp = self.backend.es.indices.validate_query(index=self.alias, query=query, explain=True)
        if resp.get("valid"):
            return None
        errors = [e["error"] for e in resp.get("explanations") or [] if e.get("error")]
        return str(errors[0]) if errors else "rejected by Elasticsearch"
