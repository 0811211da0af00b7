"""`newsmon search`: Lucene query-string search over the articles alias, as in Kibana's Lucene bar."""

from __future__ import annotations

import re
from typing import Any

from newsmon.analysis import (
    QUOTE_SUFFIX,
    base_field,
    cjk_fields,
    has_cjk,
    search_fields,
    segmented_query,
    stemmed_fields,
)
from newsmon.errors import NewsmonError, QueryRejected, QueryTooCostly
from newsmon.query_budget import OPERATOR, QueryBudget, check
from newsmon.storage import Storage

_DURATION = re.compile(r"^(\d+)\s*([mhdwy])$")
DEFAULT_FIELDS = ["title^2", "body", "summary", "authors"]
# Bare words are also looked up in the per-language copies (stemmed); a quoted phrase only in the
# unstemmed fields, through the template's `<field>_<lang>_exact` aliases (see newsmon.analysis).
SEARCH_FIELDS = search_fields(DEFAULT_FIELDS)
# A query in Chinese or Japanese characters: only the segmented zh and ja copies hold their words
# (the `standard` fields hold single characters); see newsmon.analysis.segmented_query.
CJK_FIELDS = cjk_fields(DEFAULT_FIELDS)
# What a stored document is: an HTML article or a PDF document. Documents stored before PDFs were
# read have no content_type: they are html.
CONTENT_TYPES = ("html", "pdf")


def content_type_filter(types: list[str] | tuple[str, ...] | str) -> dict[str, Any]:
    """The filter for documents of any of `types` (html, pdf), a missing content_type read as html."""
    wanted = [types] if isinstance(types, str) else list(types)
    unknown = [t for t in wanted if t not in CONTENT_TYPES]
    if unknown or not wanted:
        raise NewsmonError(
            f"content type: expected one of {', '.join(CONTENT_TYPES)}, got {unknown or wanted!r}"
        )
    should: list[dict[str, Any]] = [{"terms": {"content_type": sorted(set(wanted))}}]
    if "html" in wanted:
        should.append({"bool": {"must_not": [{"exists": {"field": "content_type"}}]}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


def query_string(query: str, budget: QueryBudget | None = None) -> dict[str, Any]:
    """The query_string clause of `newsmon search`, the web page and alert rules; with a budget,
    its limits on wildcards, regular expressions and fuzzy terms. Words in Chinese, Japanese or
    Korean script are searched as phrases of their analyzer's words, and a query with Chinese or
    Japanese characters only in the zh and ja copies."""
    clause: dict[str, Any] = {
        "query": segmented_query(query),
        "fields": CJK_FIELDS if has_cjk(query) else SEARCH_FIELDS,
        "default_operator": "OR",
        "quote_field_suffix": QUOTE_SUFFIX,
    }
    if budget is not None and budget is not OPERATOR:
        clause |= budget.query_string_options()
    return {"query_string": clause}


def since_to_es(value: str) -> str:
    """'30d' -> 'now-30d' (also m=minutes, h, w, y)."""
    match = _DURATION.match(value.strip())
    if not match:
        raise NewsmonError(f"--since: expected a duration such as 90m, 12h, 30d, 2w or 1y, got {value!r}")
    number, unit = match.groups()
    return f"now-{number}{unit}"


def build_query(
    query: str,
    *,
    topic: str | None = None,
    since: str | None = None,
    include_duplicates: bool = False,
    budget: QueryBudget | None = None,
    content_type: str | None = None,
) -> dict[str, Any]:
    filters: list[dict[str, Any]] = []
    if topic:
        filters.append({"term": {"topics": topic}})
    if content_type:
        filters.append(content_type_filter(content_type))
    if since:
        filters.append({"range": {"published_at": {"gte": since_to_es(since)}}})
    must_not = [] if include_duplicates else [{"exists": {"field": "duplicate_of"}}]
    return {
        "bool": {
            "must": [query_string(query, budget)],
            "filter": filters,
            "must_not": must_not,
        }
    }


def highlight(body_fragments: int = 2) -> dict[str, Any]:
    """Highlight title and body and their language copies; `merged_highlights` folds them together."""
    title = {"number_of_fragments": 0}
    body = {"fragment_size": 160, "number_of_fragments": body_fragments}
    fields = {"title": title, **{f: title for f in stemmed_fields("title")}}
    fields |= {"body": body, **{f: body for f in stemmed_fields("body")}}
    return {"fields": fields, "pre_tags": ["**"], "post_tags": ["**"]}


HIGHLIGHT = highlight()
SOURCE_EXCLUDES = [
    "body",
    "topic_evidence",
    "extraction",
    "shingle_sketch",
    *(f"{n}_*" for n in ("title", "body", "summary")),
]


def merged_highlights(hit: dict[str, Any]) -> dict[str, list[str]]:
    """{"title": [...], "body": [...]}: a language copy's fragments when it has any (they mark the
    inflected forms too), otherwise the unstemmed field's."""
    out: dict[str, list[str]] = {}
    for name, frags in (hit.get("highlight") or {}).items():
        base = base_field(name)
        if name != base or base not in out:
            out[base] = list(frags)
    return dict(sorted(out.items(), key=lambda kv: kv[0] != "title"))  # the title's first


def search_request(
    query: str,
    *,
    topic: str | None = None,
    since: str | None = None,
    size: int = 10,
    include_duplicates: bool = False,
    budget: QueryBudget = OPERATOR,
    content_type: str | None = None,
) -> dict[str, Any]:
    """The search request (keyword arguments of `Articles.search`) of `newsmon search`; the web page
    adds its filters to it. A query the budget does not allow is QueryTooCostly."""
    check(query, budget)
    if size > budget.max_size:
        raise QueryTooCostly(f"At most {budget.max_size} results per request here, not {size}.")
    request: dict[str, Any] = {
        "query": build_query(
            query,
            topic=topic,
            since=since,
            include_duplicates=include_duplicates,
            budget=budget,
            content_type=content_type,
        ),  # fmt: skip
        "size": size,
        "source_excludes": SOURCE_EXCLUDES,
        "highlight": HIGHLIGHT,
        "track_total_hits": True,
    }
    if budget.timeout is not None:
        request["timeout"] = budget.es_timeout()
        request["client_timeout"] = budget.client_timeout()
    return request


def finished(resp: dict[str, Any], budget: QueryBudget) -> dict[str, Any]:
    """`resp` of a search that ran to its end; one that Elasticsearch stopped at its `timeout` (a
    partial answer) is QueryTooCostly."""
    if resp.get("timed_out"):
        raise QueryTooCostly(
            f"The search took longer than {budget.timeout:g} s and was stopped; make it narrower "
            "(fewer wildcards or fuzzy terms, a topic or a date range).",
            timed_out=True,
        )
    return resp


def search(
    storage: Storage,
    query: str,
    *,
    topic: str | None = None,
    since: str | None = None,
    size: int = 10,
    include_duplicates: bool = False,
    budget: QueryBudget = OPERATOR,
    content_type: str | None = None,
) -> dict[str, Any]:
    request = search_request(
        query, topic=topic, since=since, size=size, include_duplicates=include_duplicates, budget=budget,
        content_type=content_type,
    )  # fmt: skip
    try:
        resp = finished(storage.articles.search(**request), budget)
    except QueryRejected as exc:
        raise NewsmonError(f"query {query!r} was rejected by Elasticsearch: {exc.reason}") from None
    return {
        "total": resp["hits"]["total"]["value"],
        "hits": [hit_record(hit) for hit in resp["hits"]["hits"]],
    }


def hit_record(hit: dict[str, Any]) -> dict[str, Any]:
    """One hit as `newsmon search --json` prints it."""
    src = hit["_source"]
    return {
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
        "content_type": src.get("content_type") or "html",
        "page_count": src.get("page_count"),
        "score": hit.get("_score"),
        "highlights": [frag for frags in merged_highlights(hit).values() for frag in frags],
    }


def render(result: dict[str, Any]) -> str:
    lines = [f"{result['total']} match(es)"]
    for n, hit in enumerate(result["hits"], 1):
        topics = ", ".join(hit["topics"]) or "no topic"
        carried = (
            f"  (carried by {hit['cluster_size']} outlets)"
            if (hit.get("cluster_size") or 1) > 1 and not hit.get("duplicate_of")  # the leader's count
            else ""
        )
        document = ""
        if hit.get("content_type") == "pdf":
            pages = hit.get("page_count")
            document = f"[PDF, {pages} page{'s' if pages != 1 else ''}] " if pages else "[PDF] "
        lines.append(f"{n:>2}. {document}{hit['title']}{carried}")
        lines.append(f"    {hit['source']} | {hit['published_at']} | {hit['language']} | {topics}")
        lines.append(f"    {hit['url']}")
        for frag in hit["highlights"][:2]:
            lines.append("    … " + " ".join(frag.split()) + " …")
    return "\n".join(lines)
