"""`newsmon search`: Lucene query-string search over the articles alias, as in Kibana's Lucene bar."""

from __future__ import annotations

import re
from typing import Any

from elasticsearch import BadRequestError

from newsmon.errors import NewsmonError
from newsmon.store import Store

_DURATION = re.compile(r"^(\d+)\s*([mhdwy])$")
DEFAULT_FIELDS = ["title^2", "body", "summary", "authors"]


def since_to_es(value: str) -> str:
    """'30d' -> 'now-30d' (also m=minutes, h, w, y)."""
    match = _DURATION.match(value.strip())
    if not match:
        raise NewsmonError(f"--since: expected a duration such as 90m, 12h, 30d, 2w or 1y, got {value!r}")
    number, unit = match.groups()
    return f"now-{number}{unit}"


def build_query(
    query: str, *, topic: str | None = None, since: str | None = None, include_duplicates: bool = False
) -> dict[str, Any]:
    filters: list[dict[str, Any]] = []
    if topic:
        filters.append({"term": {"topics": topic}})
    if since:
        filters.append({"range": {"published_at": {"gte": since_to_es(since)}}})
    must_not = [] if include_duplicates else [{"exists": {"field": "duplicate_of"}}]
    return {
        "bool": {
            "must": [{"query_string": {"query": query, "fields": DEFAULT_FIELDS, "default_operator": "OR"}}],
            "filter": filters,
            "must_not": must_not,
        }
    }


def search(
    store: Store,
    query: str,
    *,
    topic: str | None = None,
    since: str | None = None,
    size: int = 10,
    include_duplicates: bool = False,
) -> dict[str, Any]:
    try:
        resp = store.es.search(
            index=store.alias,
            query=build_query(query, topic=topic, since=since, include_duplicates=include_duplicates),
            size=size,
            source_excludes=["body", "topic_evidence", "extraction", "shingle_sketch"],
            highlight={
                "fields": {
                    "title": {"number_of_fragments": 0},
                    "body": {"fragment_size": 160, "number_of_fragments": 2},
                },
                "pre_tags": ["**"],
                "post_tags": ["**"],
            },
            track_total_hits=True,
        )
    except BadRequestError as exc:
        raise NewsmonError(f"query {query!r} was rejected by Elasticsearch: {_reason(exc)}") from None
    hits = []
    for hit in resp["hits"]["hits"]:
        src = hit["_source"]
        highlights = [frag for frags in hit.get("highlight", {}).values() for frag in frags]
        hits.append(
            {
                "id": hit["_id"],
                "url": src.get("url"),
                "canonical_url": src.get("canonical_url"),
                "title": src.get("title"),
                "source": src.get("source"),
                "published_at": src.get("published_at"),
                "language": src.get("language"),
                "topics": src.get("topics", []),
                "duplicate_of": src.get("duplicate_of"),
                "cluster_size": src.get("cluster_size", 1),
                "score": hit.get("_score"),
                "highlights": highlights,
            }
        )
    return {"total": resp["hits"]["total"]["value"], "hits": hits}


def _reason(exc: BadRequestError) -> str:
    try:
        return exc.body["error"]["root_cause"][0]["reason"]
    except (KeyError, IndexError, TypeError):
        return str(exc)


def render(result: dict[str, Any]) -> str:
    lines = [f"{result['total']} match(es)"]
    for n, hit in enumerate(result["hits"], 1):
        topics = ", ".join(hit["topics"]) or "no topic"
        carried = (
            f"  (carried by {hit['cluster_size']} outlets)" if (hit.get("cluster_size") or 1) > 1 else ""
        )
        lines.append(f"{n:>2}. {hit['title']}{carried}")
        lines.append(f"    {hit['source']} | {hit['published_at']} | {hit['language']} | {topics}")
        lines.append(f"    {hit['url']}")
        for frag in hit["highlights"][:2]:
            lines.append("    … " + " ".join(frag.split()) + " …")
    return "\n".join(lines)
