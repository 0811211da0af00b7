"""Templates, indices and aliases: check, setup, schema version, reindex, rollover, drop; and the
nodes' CPU, which benchmarks read."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from elasticsearch import ApiError, TransportError

from newsmon.clock import iso
from newsmon.errors import StoreUnavailable
from newsmon.redaction import strip_credentials
from newsmon.storage.backend import Backend, resource_json

# Plain fields added to the articles template after indices were made from it: `setup` adds them to
# those indices' mappings (a missing content_type reads as html, in searches and filters alike).
ADDED_FIELDS = ("content_type", "page_count")
_ES_TIME_UNITS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}


def es_time(value: str) -> timedelta:
    """An Elasticsearch time value (`30d`, `12h`, `0s`, `500ms`) as a time span."""
    match = re.fullmatch(r"(\d+)(d|h|m|s|ms)", value.strip())
    if not match:
        raise ValueError(f"expected an Elasticsearch time value such as 30d, 12h or 0s, got {value!r}")
    return timedelta(milliseconds=int(match.group(1)) * _ES_TIME_UNITS[match.group(2)])


class Schema(Backend):
    """The schema operations of a prefix (the repositories live on `Storage`)."""

    def check(self) -> dict[str, Any]:
        """Cluster health, or StoreUnavailable naming the URL tried."""
        try:
            health = self.es.options(request_timeout=10).cluster.health()
        except TransportError as exc:  # connection refused, timeouts, TLS: no answer
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

    def nodes_cpu_seconds(self) -> float:
        """Benchmarks only: the CPU seconds every node's process has used so far, from the nodes'
        stats (Elasticsearch refreshes them about once a second: coarse for short measurements)."""
        nodes = self.es.nodes.stats(metric="process")["nodes"].values()
        return sum(int(n["process"]["cpu"]["total_in_millis"]) for n in nodes) / 1000

    def nodes_uptime_seconds(self) -> float:
        """Benchmarks only: seconds since the oldest node's JVM started (a node just started runs
        its first requests before the JIT has compiled them)."""
        nodes = self.es.nodes.stats(metric="jvm")["nodes"].values()
        return max(int(n["jvm"]["uptime_in_millis"]) for n in nodes) / 1000

    def articles_footprint(self) -> tuple[int, float]:
        """Benchmarks only: the articles indices merged to one segment each (refreshed first), then
        their primaries' store bytes and the milliseconds Elasticsearch has spent indexing into
        them so far (`indexing.index_time_in_millis`)."""
        alias = self.names.articles
        self.es.indices.refresh(index=alias)
        self.es.indices.forcemerge(index=alias, max_num_segments=1)
        stats = self.es.indices.stats(index=alias, metric=["store", "indexing"])["_all"]["primaries"]
        return int(stats["store"]["size_in_bytes"]), float(stats["indexing"]["index_time_in_millis"])

    def setup(self) -> dict[str, str]:
        """Install the articles template and the first index with its write alias, and create the
        runs, feeds, failed-pages and pending indices and the search page's saved-searches, visits
        and audit indices that do not exist yet."""
        names = self.names
        alias, first = names.articles, names.first_articles_index
        done: dict[str, str] = {}
        body = resource_json("articles-template.json", self.prefix)
        self.es.indices.put_index_template(name=names.articles_template, **body)
        done["template"] = names.articles_template
        if self.es.indices.exists_alias(name=alias):
            done["alias"] = f"{alias} (exists)"
        else:
            try:
                self.es.indices.create(index=first, aliases={alias: {"is_write_index": True}})
                done["alias"] = f"{alias} -> {first} (created)"
            except ApiError as exc:
                if exc.meta.status != 400 or "resource_already_exists" not in str(exc):
                    raise
                self.es.indices.put_alias(index=first, name=alias, is_write_index=True)
                done["alias"] = f"{alias} -> {first} (alias added)"
        self.add_new_fields(body)
        self.ensure_index(names.runs, "runs-mapping.json")
        done["runs"] = names.runs
        self.ensure_index(names.feeds, "feeds-mapping.json")
        done["feeds"] = names.feeds
        outdated = self.outdated_indices()
        if outdated:
            done["schema"] = (
                f"{', '.join(outdated)} predate(s) schema v{self.schema_version()}: new indices get it at "
                "rollover; `newsmon setup --reindex` rebuilds the articles now"
            )
        self.ensure_index(names.failed_pages, "failed-pages-mapping.json")
        done["failed pages"] = names.failed_pages
        self.ensure_index(names.pending, "pending-mapping.json")
        done["pending"] = names.pending
        # The search page's own small indices: made here so that a backup holds them from the start.
        for name, mapping in (
            (names.saved_searches, "saved-searches-mapping.json"),
            (names.visits, "visits-mapping.json"),
            (names.audit, "audit-mapping.json"),
        ):
            self.ensure_index(name, mapping)
        done["search page"] = f"{names.saved_searches}, {names.visits}, {names.audit}"
        return done

    def add_new_fields(self, template: dict[str, Any]) -> None:
        """Give the articles indices made from an older template the plain fields added since
        (ADDED_FIELDS), so that documents written there from now on are found by them: adding a
        field to a mapping needs no reindex, unlike changing one."""
        if not self.es.indices.exists_alias(name=self.names.articles):
            return
        wanted = template["template"]["mappings"]["properties"]
        mappings = self.es.indices.get_mapping(index=self.names.articles)
        for index, mapping in mappings.items():
            have = mapping["mappings"].get("properties", {})
            missing = {f: wanted[f] for f in ADDED_FIELDS if f in wanted and f not in have}
            if missing:
                self.es.indices.put_mapping(index=index, properties=missing)

    def schema_version(self) -> int:
        """The articles template's `_meta.schema_version` as packaged."""
        body = resource_json("articles-template.json", self.prefix)
        return int(body["template"]["mappings"]["_meta"]["schema_version"])

    def outdated_indices(self) -> list[str]:
        """Articles indices behind the alias created from an older template."""
        if not self.es.indices.exists_alias(name=self.names.articles):
            return []
        wanted = self.schema_version()
        mappings = self.es.indices.get_mapping(index=self.names.articles)
        return sorted(
            name for name, m in mappings.items()
            if int(m["mappings"].get("_meta", {}).get("schema_version", 0)) < wanted
        )  # fmt: skip

    def reindex_articles(self) -> dict[str, Any]:
        """Copy every article into a new index made from the current template (language copies
        made anew), then leave the alias on it alone, while passes go on writing: nothing written
        meanwhile is lost or stored twice. How: newsmon.storage.migration."""
        from newsmon.storage.migration import reindex_articles

        return reindex_articles(self)

    def rollover(self, max_age: str, max_size: str, dry_run: bool = False) -> dict[str, Any]:
        """Roll the articles alias over to a new write index when the current one is older than
        `max_age` or its primary shards are larger than `max_size`; the new index gets the
        template, so `auto_expand_replicas` as well. Returns `rolled_over`, `dry_run`,
        `old_index`, `new_index`, `conditions` (each condition and whether it was met).

        The age is newsmon's to judge, by its clock: the write index is old when its oldest
        article was fetched before now - `max_age` (an empty index is never old), and then the
        alias rolls over unconditionally. A `max_age` of zero (`0s`, `0d`) is a forced rollover,
        empty index or not. Otherwise Elasticsearch judges the size alone (the rollover API's
        `max_age` would compare the index's creation time with its own clock)."""
        from newsmon import clock
        from newsmon.storage.lifecycle import Lifecycle

        age_label = f"[max_age: {max_age}]"
        write = next((i for i in Lifecycle(self).articles_indices() if i.is_write_index), None)
        oldest = write.oldest_fetched_at if write else None
        age = es_time(max_age)
        too_old = not age or (oldest is not None and oldest < clock.now() - age)
        if too_old:
            resp = self.es.indices.rollover(alias=self.names.articles, dry_run=dry_run)
            conditions = {age_label: True, f"[max_primary_shard_size: {max_size}]": False}
        else:
            resp = self.es.indices.rollover(
                alias=self.names.articles, conditions={"max_primary_shard_size": max_size}, dry_run=dry_run
            )
            conditions = {age_label: False, **(resp.get("conditions") or {})}
        out = {k: resp.get(k) for k in ("rolled_over", "dry_run", "old_index", "new_index")}
        due = too_old or any(conditions.values())
        return out | {"conditions": conditions, "due": due, "oldest_fetched_at": iso(oldest)}

    def drop_all(self) -> None:
        """Delete every index and template under this prefix (tests, benchmarks)."""
        es = self.es.options(ignore_status=404)
        es.indices.delete(index=self.names.everything, expand_wildcards="all")
        es.indices.delete_index_template(name=self.names.everything)

    def is_set_up(self) -> bool:
        return bool(self.es.indices.exists_alias(name=self.names.articles))
