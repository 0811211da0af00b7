"""What one search page shows, asked of Elasticsearch: hits with facets and the chart in one request,
then the copies of the page's stories, the recent alert events and the feed state.

The query is `newsmon search`'s own (`search.search_request`); the page only adds its filters,
paging, aggregations and the fields it displays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from newsmon.clock import publication_bounds
from newsmon.query_budget import QueryBudget, for_visitors
from newsmon.redaction import redact_text, redact_url
from newsmon.search import (
    CONTENT_TYPES,
    content_type_filter,
    finished,
    hit_record,
    merged_highlights,
    search_request,
    since_to_es,
)
from newsmon.storage import Storage

PAGE_SIZES = (10, 20, 50)
MAX_WINDOW = 10_000  # Elasticsearch's index.max_result_window
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CONTENT_TYPE_LABELS = {"html": "HTML articles", "pdf": "PDF documents"}
SUBTOPIC = r"[^.]+\..+"  # topic ids with a dot: arms_control.<subtopic>
_SHOWN_FIELDS_EXCLUDED = [
    "body", "extraction", "para_hashes", "lsh_bands", "shingle_sketch", "url_ids", "topic_scores", "title_*", "body_*",
    "summary_*",
]  # fmt: skip


@dataclass(frozen=True)
class Filters:
    """The page's state, all of it in the URL so that every view can be linked and reloaded."""

    q: str = ""
    topics: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()  # source_domain
    languages: tuple[str, ...] = ()
    content_types: tuple[str, ...] = ()  # html, pdf (a document without content_type is html)
    since: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    include_duplicates: bool = False
    page: int = 1
    size: int = 10

    def params(self, **changes: Any) -> str:
        """The query string of this view with `changes` applied (page goes back to 1 unless given)."""
        view = replace(self, **{"page": 1, **changes})
        pairs: list[tuple[str, str]] = []
        if view.q:
            pairs.append(("q", view.q))
        pairs += [("topic", v) for v in view.topics]
        pairs += [("entity", v) for v in view.entities]
        pairs += [("outlet", v) for v in view.outlets]
        pairs += [("language", v) for v in view.languages]
        pairs += [("content_type", v) for v in view.content_types]
        for name in ("since", "date_from", "date_to"):
            if getattr(view, name):
                pairs.append((name, getattr(view, name)))
        if view.include_duplicates:
            pairs.append(("include_duplicates", "1"))
        if view.size != 10:
            pairs.append(("size", str(view.size)))
        if view.page > 1:
            pairs.append(("page", str(view.page)))
        return "?" + urlencode(pairs)

    def toggle(self, facet: str, value: str) -> str:
        """Link that adds `value` to facet `facet` (topics, entities, outlets, languages,
        content_types) or removes it."""
        current: tuple[str, ...] = getattr(self, facet)
        new = tuple(v for v in current if v != value) if value in current else (*current, value)
        return self.params(**{facet: new})

    def export_params(self, fmt: str) -> str:
        """The query string of GET /api/export for this view's results (every page of them)."""
        query = replace(self, size=10).params()
        return f"{query}{'&' if query != '?' else ''}format={fmt}"

    def rule_filters(self) -> dict[str, list[str]]:
        """The filters of an alert rule that sends what this search shows: each topic and entity
        chosen narrows the results (a story has every one), outlets and languages widen within
        their facet (any of them)."""
        return {
            "all_topics": list(self.topics),
            "all_entities": list(self.entities),
            "outlets": list(self.outlets),
            "languages": list(self.languages),
        }

    def search_filters(self) -> dict[str, Any]:
        """The filters of a saved search: the page's state but its paging."""
        out: dict[str, Any] = {
            "topics": list(self.topics),
            "entities": list(self.entities),
            "outlets": list(self.outlets),
            "languages": list(self.languages),
        }
        if self.content_types:
            out["content_types"] = list(self.content_types)
        for name in ("since", "date_from", "date_to"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.include_duplicates:
            out["include_duplicates"] = True
        return out

    @property
    def active(self) -> bool:
        return bool(
            self.topics
            or self.entities
            or self.outlets
            or self.languages
            or self.content_types
            or self.since
            or self.date_from
            or self.date_to
        )


def parse_filters(params: Any) -> tuple[Filters, list[str]]:
    """Filters from request query parameters (a multi-dict), and what was wrong with them, in words."""
    problems: list[str] = []

    def many(name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.strip() for v in params.getlist(name) if v.strip()))

    def day(name: str, label: str) -> str | None:
        value = (params.get(name) or "").strip()
        if not value:
            return None
        try:
            if not _DAY.match(value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            problems.append(f"{label} must be a date such as 2024-05-31, not {value!r}; it was ignored.")
            return None
        return value

    since = (params.get("since") or "").strip() or None
    if since:
        try:
            since_to_es(since)
        except Exception:
            problems.append(f"'Published within' must be a duration such as 12h, 30d or 1y, not {since!r}.")
            since = None
    try:
        page = max(1, int(params.get("page") or 1))
    except ValueError:
        page = 1
    try:
        size = int(params.get("size") or 10)
    except ValueError:
        size = 10
    if size not in PAGE_SIZES:
        size = 10
    page = min(page, max(1, (MAX_WINDOW - size) // size + 1))
    filters = Filters(
        q=(params.get("q") or "").strip(),
        topics=many("topic"),
        entities=many("entity"),
        outlets=many("outlet"),
        languages=many("language"),
        content_types=tuple(t for t in many("content_type") if t in CONTENT_TYPES),
        since=since,
        date_from=day("date_from", "'Published from'"),
        date_to=day("date_to", "'Published until'"),
        include_duplicates=(params.get("include_duplicates") or "") in ("1", "true", "on", "yes"),
        page=page,
        size=size,
    )
    return filters, problems


@dataclass
class Bucket:
    value: str
    count: int
    selected: bool
    href: str
    label: str = ""


@dataclass
class Result:
    total: int
    hits: list[dict[str, Any]]
    facets: dict[str, list[Bucket]]
    per_day: list[tuple[str, int, dict[str, int]]]  # (day, stories, {subtopic: stories}), days with stories
    copies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def build_request(f: Filters, budget: QueryBudget | None = None) -> dict[str, Any]:
    """`newsmon search`'s request with the page's filters, paging, aggregations and shown fields,
    within the visitors' query budget (QueryTooCostly for a query it refuses)."""
    request = search_request(
        f.q or "*",
        since=f.since,
        size=f.size,
        include_duplicates=f.include_duplicates,
        budget=budget or for_visitors(),
    )
    filters = request["query"]["bool"]["filter"]
    filters += [{"term": {"topics": t}} for t in f.topics]
    filters += [{"term": {"entities.name": e}} for e in f.entities]
    if f.outlets:
        filters.append({"terms": {"source_domain": list(f.outlets)}})
    if f.languages:
        filters.append({"terms": {"language": list(f.languages)}})
    if f.content_types:
        filters.append(content_type_filter(f.content_types))
    if f.date_from or f.date_to:
        bounds = {}
        if f.date_from:
            bounds["gte"] = f"{f.date_from}||/d"
        if f.date_to:
            bounds["lte"] = f"{f.date_to}||/d"
        filters.append({"range": {"published_at": bounds}})
    request["from_"] = (f.page - 1) * f.size
    request["source_excludes"] = _SHOWN_FIELDS_EXCLUDED
    if not f.q:  # no query: the newest stories first
        request["sort"] = [{"published_at": {"order": "desc", "missing": "_last"}}, "_score"]
    earliest, latest = publication_bounds()
    request["aggs"] = {
        "topics": {"terms": {"field": "topics", "size": 50}},
        "entities": {"terms": {"field": "entities.name", "size": 15}},
        "outlets": {"terms": {"field": "source_domain", "size": 15}},
        "languages": {"terms": {"field": "language", "size": 15}},
        # Documents stored before PDFs were read have no content_type: they count as html.
        "content_types": {"terms": {"field": "content_type", "size": 5, "missing": "html"}},
        # Days with stories only (a corpus can span years); chart.regroup fills gaps and widens bars.
        # Bounded to the publication range (clock.publication_bounds): one stored outlier such as
        # 0001-01-01 would otherwise stretch the chart over two thousand years of empty periods.
        "per_day": {
            "date_histogram": {
                "field": "published_at",
                "calendar_interval": "day",
                "format": "yyyy-MM-dd",
                "min_doc_count": 1,
                "hard_bounds": {"min": earliest.date().isoformat(), "max": latest.date().isoformat()},
            },
            "aggs": {"subtopics": {"terms": {"field": "topics", "include": SUBTOPIC, "size": 12}}},
        },
    }
    return request


def search_page(
    storage: Storage,
    f: Filters,
    topic_names: dict[str, str] | None = None,
    budget: QueryBudget | None = None,
) -> Result:
    """Run the page's search. QueryRejected (a query Elasticsearch cannot parse), QueryTooCostly,
    IndexMissing, StoreError and StoreUnavailable are the caller's to show."""
    names = topic_names or {}
    budget = budget or for_visitors()
    resp = finished(storage.articles.search(**build_request(f, budget)), budget)
    aggs = resp.get("aggregations", {})
    hits = []
    for raw in resp["hits"]["hits"]:
        src = raw["_source"]
        hit = hit_record(raw)
        hit["source_domain"] = src.get("source_domain")
        hit["fetched_at"] = src.get("fetched_at")  # when newsmon stored it: "new since your last visit"
        hit["outlets"] = src.get("outlets") or []
        hit["entities"] = src.get("entities") or []
        hit["evidence"] = _evidence(src.get("topic_evidence") or [], names)
        highlight = merged_highlights(raw)
        hit["title_marked"] = next(iter(highlight.get("title") or []), None)
        hit["snippets"] = highlight.get("body") or ([_clip(src["summary"])] if src.get("summary") else [])
        hits.append(hit)

    def buckets(agg: str, facet: str, only: Any = None) -> list[Bucket]:
        chosen: tuple[str, ...] = getattr(f, facet)
        out = [
            Bucket(b["key"], b["doc_count"], b["key"] in chosen, f.toggle(facet, b["key"]))
            for b in aggs.get(agg, {}).get("buckets", [])
            if only is None or only(b["key"])
        ]
        seen = {b.value for b in out}
        # A chosen value stays listed (with its count 0) so that it can be removed.
        out += [
            Bucket(v, 0, True, f.toggle(facet, v))
            for v in chosen
            if v not in seen and (only is None or only(v))
        ]
        for b in out:
            if facet == "topics":
                b.label = names.get(b.value, b.value)
            elif facet == "content_types":
                b.label = CONTENT_TYPE_LABELS.get(b.value, b.value)
            else:
                b.label = b.value
        return out

    facets = {
        "topics": buckets("topics", "topics", lambda v: "." not in v),
        "subtopics": buckets("topics", "topics", lambda v: "." in v),
        "entities": buckets("entities", "entities"),
        "outlets": buckets("outlets", "outlets"),
        "languages": buckets("languages", "languages"),
        "content_types": buckets("content_types", "content_types"),
    }
    per_day = [
        (b["key_as_string"], b["doc_count"], {s["key"]: s["doc_count"] for s in b["subtopics"]["buckets"]})
        for b in aggs.get("per_day", {}).get("buckets", [])
    ]
    return Result(
        total=resp["hits"]["total"]["value"],
        hits=hits,
        facets=facets,
        per_day=per_day,
    )


def client_state(f: Filters, root: str, names: dict[str, str]) -> dict[str, Any]:
    """What the page's script needs to know of this view: where the app is, the search as an alert
    rule would take it (the query box's empty query is `*`: every story) and as a saved search
    keeps it, the topic names, and what of the page a rule does not take."""
    not_taken = []
    if f.since or f.date_from or f.date_to:
        not_taken.append("the dates: a rule watches the stories that come in from now on")
    if f.include_duplicates:
        not_taken.append("the copies of a story: a rule sends one alert per story")
    if f.content_types:
        not_taken.append("the source type: a rule watches HTML articles and PDF documents alike")
    return {
        "root": root,
        "query": f.q,
        "rule": {"query": f.q or "*", "filters": f.rule_filters()},
        "search": {"query": f.q, "filters": f.search_filters()},
        "topic_names": names,
        "not_taken": not_taken,
    }


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _evidence(evidence: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """Tag evidence grouped by topic: the distinct terms, where they matched and one snippet each."""
    grouped: dict[str, dict[str, Any]] = {}
    for ev in evidence:
        topic = ev.get("topic") or "?"
        group = grouped.setdefault(topic, {"topic": topic, "name": names.get(topic, topic), "terms": []})
        term = ev.get("term") or ev.get("text") or "?"
        if any(t["term"] == term for t in group["terms"]) or len(group["terms"]) >= 5:
            continue
        group["terms"].append(
            {"term": term, "field": ev.get("field"), "snippet": ev.get("snippet"), "text": ev.get("text")}
        )
    return list(grouped.values())


def copies_of(storage: Storage, leader_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The copies (documents whose duplicate_of is the leader) of each leader, oldest first."""
    fields = ["title", "url", "source", "source_domain", "published_at", "language", "duplicate_of"]
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in leader_ids}
    for hit in storage.articles.by_field("duplicate_of", leader_ids, fields):
        src = hit["_source"]
        out.setdefault(src["duplicate_of"], []).append(src | {"id": hit["_id"]})
    for copies in out.values():
        copies.sort(key=lambda c: c.get("published_at") or "")
    return out


def recent_alerts(storage: Storage, size: int = 10) -> list[dict[str, Any]] | None:
    """The newest alert events; None when no alert was ever recorded (no events index)."""
    fields = ["created_at", "rule_id", "rule_name", "article_id", "title", "url", "source_domain", "status",
              "cluster_size", "matched_terms"]  # fmt: skip
    return storage.alert_events.recent(size, fields)


_HEALTH_ORDER = {"failing": 0, "gone": 1, "warning": 2, "ok": 3, "disabled": 4}


def feed_health(storage: Storage, size: int = 500) -> list[dict[str, Any]] | None:
    """Rows of the feed states (as `newsmon feeds status` shows them), worst first; None when the
    index does not exist yet."""
    hits = storage.feed_states.documents(size)
    if hits is None:
        return None
    rows = [_shown_state(h["_source"] | {"id": h["_source"].get("id") or h["_id"]}) for h in hits]
    rows.sort(key=lambda r: (_HEALTH_ORDER.get(str(r.get("health")), 5), str(r["id"])))
    return rows


def _shown_state(row: dict[str, Any]) -> dict[str, Any]:
    """A stored feed state fit to show: states written before feed URLs were stored redacted may
    still carry a user, password or key in a URL or an error."""
    for name in ("url", "final_url", "moved_to"):
        if isinstance(row.get(name), str):
            row[name] = redact_url(row[name])
    if isinstance(row.get("last_error"), str):
        row["last_error"] = redact_text(row["last_error"])
    return row


_ENCOUNTERED = re.compile(r"Encountered .*? at line \d+, column (\d+)")


def explain_query_error(query: str, body: Any) -> str:
    """Lucene's parse error (the deepest `caused_by` of Elasticsearch's 400) in words."""
    reason = ""
    try:
        node = body["error"]["failed_shards"][0]["reason"]
        while isinstance(node.get("caused_by"), dict):
            node = node["caused_by"]
        reason = str(node.get("reason") or "")
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    if reason.startswith("Lexical error"):
        if 'after prefix "\\"' in reason or reason.count('"') % 2 or query.count('"') % 2:
            return 'A quotation mark (") is opened but not closed.'
        return "The query ends inside an unfinished term, e.g. after a backslash."
    match = _ENCOUNTERED.search(reason)
    if match and "<EOF>" in reason.split("\n", 1)[0]:
        return (
            "The query ends too early: something more is expected at its end, such as a closing "
            "bracket ) or ], a word after AND, OR or NOT, or the end of a range (… TO …)."
        )
    if match:
        col = int(match.group(1))
        token = query[col:].split()[0] if col < len(query) and query[col:].strip() else query[col : col + 1]
        return (
            f"“{token}” at character {col + 1} is not expected there. A bracket may be unbalanced, or a "
            f"special character may need a backslash before it to be searched for (\\{token[:1]})."
        )
    return "Elasticsearch could not use this query."
