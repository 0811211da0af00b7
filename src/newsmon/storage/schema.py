"""Templates, indices and aliases: check, setup, schema version, reindex, rollover, drop; and the
nodes' CPU, which benchmarks read."""

from __future__ import annotations

from typing import Any

from elasticsearch import ApiError, TransportError

from newsmon.errors import StoreUnavailable
from newsmon.redaction import strip_credentials
from newsmon.storage.backend import Backend, resource_json


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

    def setup(self) -> dict[str, str]:
        """Install the articles template and the first index with its write alias, and create the
        runs, feeds, failed-pages and pending indices that do not exist yet."""
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
        return done

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
        `max_age` or its primary shards are larger than `max_size` (the rollover API; the new
        index gets the template, so `auto_expand_replicas` as well). Returns what Elasticsearch
        answered: `rolled_over`, `old_index`, `new_index`, `conditions`."""
        resp = self.es.indices.rollover(
            alias=self.names.articles,
            conditions={"max_age": max_age, "max_primary_shard_size": max_size},
            dry_run=dry_run,
        )
        return {k: resp.get(k) for k in ("rolled_over", "dry_run", "old_index", "new_index", "conditions")}

    def drop_all(self) -> None:
        """Delete every index and template under this prefix (tests, benchmarks)."""
        es = self.es.options(ignore_status=404)
        es.indices.delete(index=self.names.everything, expand_wildcards="all")
        es.indices.delete_index_template(name=self.names.everything)

    def is_set_up(self) -> bool:
        return bool(self.es.indices.exists_alias(name=self.names.articles))
