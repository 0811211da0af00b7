"""Rules as stored queries, and matching new stories against them.

`sync_rules` makes the configuration rules stored match config/alerts.yaml (add, update, remove);
a query that Elasticsearch rejects is reported with the rule's id and left out. Rules made on the
search page (newsmon.alerts.owned) are stored beside them with the same fields (`rule_document`)
and left alone by a sync. `percolate` finds, for a batch
of stories, the rules whose required terms (newsmon.alerts.terms) occur in each story, then runs
only those rules' queries, each restricted to its candidate stories, in one multi-search. The cost
per story follows the number of candidate rules, not the number of rules stored.

A rule's terms come from the articles' analysis (synonyms, stemmers) as well as from its query: each
stored rule keeps a fingerprint of the write index's analysis it was computed with, and a sync
computes the terms of every rule again when that fingerprint changed (new synonyms or analyzers),
even if the rule did not.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from newsmon import clock
from newsmon.alerts.rules import AlertRule, LoadedAlerts
from newsmon.alerts.terms import required_terms
from newsmon.analysis import (
    ANALYSED,
    LANGUAGES,
    SEARCH_ANALYZERS,
    SEGMENTED,
    base_field,
    is_segmented,
    stemmed_fields,
)
from newsmon.query_budget import QueryBudget
from newsmon.search import finished, highlight, merged_highlights, query_string, since_to_es
from newsmon.storage import Storage
from newsmon.storage.articles import Articles

log = logging.getLogger(__name__)

ANY = "__any__"  # the term of rules that must be tried on every story
TEXT_FIELDS = ("title", "body", "summary", "authors")
# A bare word also matches a story through its language copy (body_en...): those terms take the
# form "<lang>:<stem>" on both sides, rule and story, so stems never meet unstemmed words.
LANGUAGE_FIELDS = tuple(f for name in ANALYSED for f in stemmed_fields(name))
KEYWORD_KEYS = ("topics", "source", "source_domain", "language", "outlets")


def _search_tokens(articles: Articles, text: str, lang: str) -> list[str]:
    """A word as the search analyzer of `body_<lang>` sees it: stems plus domain synonyms ("weapon"
    -> weapon, arms, ...), so a rule finds the stories its query matches. An index from before the
    synonyms (schema v2) lacks that analyzer: then the field's own analysis."""
    analyzer = SEARCH_ANALYZERS.get(lang)
    if analyzer:
        tokens = articles.analyze_with(analyzer, text)
        if tokens is not None:
            return tokens
    return articles.analyze(text, f"body_{lang}")


def _stems(articles: Articles, text: str) -> list[str]:
    """ "<lang>:<stem>" terms of a word in every language copy, synonyms included."""
    return [f"{lang}:{t}" for lang in LANGUAGES for t in _search_tokens(articles, text, lang)]


class _TermPicker:
    """Turns query text into the one index term to require, the one fewest stored stories contain
    (any token of a phrase is required for it to match), counting with Elasticsearch."""

    def __init__(self, articles: Articles):
        self.articles = articles
        self.df: dict[str, int] = {}

    def freq(self, token: str) -> int:
        if token not in self.df:
            lang, sep, stem = token.partition(":")
            if sep and lang in LANGUAGES:  # a stem: counted as is in that language's copies
                fields = [f"{name}_{lang}" for name in ANALYSED]
                query: dict[str, Any] = {"bool": {"should": [{"term": {f: stem}} for f in fields]}}
            else:
                query = {"multi_match": {"query": token, "fields": list(TEXT_FIELDS)}}
            self.df[token] = self.articles.count(query)
        return self.df[token]

    def terms(self, field: str | None, text: str) -> list[str] | None:
        """The index terms one alternative stands for; None when it cannot be required."""
        if field is not None:
            return [f"{field}={text}"]
        bare = text.strip('"')
        # A phrase, or a word in Chinese, Japanese or Korean script (searched as one: see
        # newsmon.analysis.segmented_query), matches where all its tokens occur: in the unstemmed
        # fields (quote_field_suffix) or in a segmented copy, whose `_exact` alias is itself. The
        # rarest token of each will do.
        if text.startswith('"') or is_segmented(text):
            groups = [self.articles.analyze(bare)]
            groups += [
                [f"{lang}:{t}" for t in _search_tokens(self.articles, bare, lang)] for lang in SEGMENTED
            ]
            picks = [min(g, key=lambda t: (self.freq(t), -len(t))) for g in groups if g]
            return picks or None  # e.g. only punctuation
        tokens = self.articles.analyze(bare)
        if not tokens:
            return None
        # A word analyzed into several tokens matches any of them, unstemmed or stemmed.
        return sorted(set(tokens) | set(_stems(self.articles, text)))

    def cost(self, alternatives: list[tuple[str | None, str]]) -> float:
        total = 0.0
        for fld, text in alternatives:
            terms = self.terms(fld, text)
            total += float("inf") if terms is None else sum(self.freq(t) for t in terms if fld is None)
        return total + len(alternatives) * 1e-3


def rule_terms(articles: Articles, query: str, picker: _TermPicker | None = None) -> list[str]:
    """Index terms of which a story matching a rule's `query` must contain one; [ANY] when none
    can be named."""
    picker = picker or _TermPicker(articles)
    req = required_terms(query, cost=picker.cost)
    if req is None:
        return [ANY]
    terms: set[str] = set()
    for fld, text in req:
        found = picker.terms(fld, text)
        if found is None:
            return [ANY]
        terms.update(found)
    return sorted(terms)


@dataclass
class SyncResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # broken now; their last good version stays active


CONFIGURATION = "configuration"  # `source` of the rules of alerts.yaml (and of rules stored without one)
PAGE = "page"  # `source` of the rules analysts made on the search page


def definition_hash(rule: AlertRule) -> str:
    return hashlib.sha256(json.dumps(rule.definition(), sort_keys=True).encode()).hexdigest()[:16]


def analysis_fingerprint(articles: Articles) -> str:
    """The fingerprint of the analysis a rule's terms are computed with."""
    return articles.analysis_fingerprint([*TEXT_FIELDS, *LANGUAGE_FIELDS])


def rule_document(
    articles: Articles, rule: AlertRule, fingerprint: str, now: str, picker: _TermPicker | None = None,
    terms: list[str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """What is stored of a rule, whichever its source: its definition, the terms a story must hold
    for it to be tried (computed unless given: the stored ones of an unchanged query), and the
    analysis those terms were computed with. Percolation, delivery and digests read nothing else,
    so a rule made on the page runs exactly as one of alerts.yaml."""
    if terms is None:
        terms = rule_terms(articles, rule.query, picker)
    return {
        "rule_id": rule.id, "name": rule.name, "query": rule.query, "mode": rule.mode, "schedule": rule.schedule,
        "channels": rule.channels, "enabled": rule.enabled, "terms": terms,
        "definition_hash": definition_hash(rule), "analysis_fingerprint": fingerprint, "updated_at": now,
        "definition": rule.definition(), "last_error": None, "error_at": None,
    }  # fmt: skip


def sync_rules(storage: Storage, loaded: LoadedAlerts, source: str = "alerts.yaml") -> SyncResult:
    """Make the configuration rules stored match alerts.yaml (add, update, remove). Rules made on the
    search page are never removed or changed here: only their terms follow a change of analysis."""
    rules, articles = storage.alert_rules, storage.articles
    rules.ensure()
    rules.update_mapping()  # an index made by an older version lacks the newer fields
    result = SyncResult(errors=list(loaded.errors))
    fields = ["query", "definition_hash", "analysis_fingerprint", "last_error", "source"]
    stored = {h["_id"]: h["_source"] for h in rules.scan({"match_all": {}}, source=fields)}
    made_on_page = {rule_id for rule_id, doc in stored.items() if doc.get("source") == PAGE}
    # Terms depend on the articles' analysis as much as on the rule: after a change of synonyms or
    # analyzers every rule computed with the old analysis is computed again.
    fingerprint = analysis_fingerprint(articles)
    stale = _stale(stored, [*(r.id for r in loaded.rules), *loaded.failed, *made_on_page], fingerprint)
    if stale:
        log.info("analysis changed: recomputing the terms of %d rules", len(stale))
    keep: set[str] = set(made_on_page)
    now = clock.now().isoformat()
    picker = _TermPicker(articles)

    def keep_last_good(rule_id: str, problem: str) -> None:
        # A rule broken by an edit keeps matching with its last good version, and says so. (An id
        # of a page-made rule is not this file's to keep.)
        if rule_id in stored and rule_id not in made_on_page:
            keep.add(rule_id)
            result.kept.append(rule_id)
            doc: dict[str, Any] = {"last_error": problem, "error_at": now}
            if rule_id in stale:  # the last good version's terms, with the current analysis
                doc.update(
                    terms=rule_terms(articles, stored[rule_id]["query"], picker),
                    analysis_fingerprint=fingerprint,
                )
            rules.update(rule_id, doc)
            log.error("alert rule %s is broken; its last good version stays active: %s", rule_id, problem)

    for rule_id, problem in loaded.failed.items():
        keep_last_good(rule_id, problem)
    for rule in loaded.rules:
        if rule.id in made_on_page:
            result.errors.append(
                f"{source}: rule {rule.id!r}: that id belongs to a rule made on the search page; this one "
                "is skipped (give it another id, or delete the page's rule first)"
            )
            continue
        rejected = articles.validate(rule_query(rule))
        if rejected:
            result.errors.append(f"{source}: rule {rule.id!r}: query {rule.query!r}: {rejected}")
            keep_last_good(rule.id, result.errors[-1])
            continue
        keep.add(rule.id)
        if stored.get(rule.id, {}).get("definition_hash") == definition_hash(rule) and rule.id not in stale:
            result.unchanged.append(rule.id)
            if stored[rule.id].get("last_error"):  # fixed back to the stored version
                rules.update(rule.id, {"last_error": None, "error_at": None})
            continue
        doc = rule_document(articles, rule, fingerprint, now, picker) | {"source": CONFIGURATION}
        # A partial update keeps last_digest_at of a rule that changed.
        rules.update(rule.id, doc, upsert=True)
        (result.updated if rule.id in stored else result.added).append(rule.id)
    _reterm(storage, {i: stored[i]["query"] for i in sorted(made_on_page & stale)}, fingerprint, picker)
    for rule_id in sorted(set(stored) - keep):
        rules.delete(rule_id)
        result.removed.append(rule_id)
    rules.refresh()
    return result


def _stale(stored: dict[str, dict[str, Any]], rule_ids: list[str], fingerprint: str) -> set[str]:
    """Those of `rule_ids` stored with terms of another analysis than `fingerprint`'s."""
    return {i for i in rule_ids if i in stored and stored[i].get("analysis_fingerprint") != fingerprint}


def _reterm(storage: Storage, queries: dict[str, str], fingerprint: str, picker: _TermPicker) -> None:
    """New terms for stored rules whose definition stays as it is (rule id -> query)."""
    for rule_id, query in queries.items():
        terms = rule_terms(storage.articles, query, picker)
        storage.alert_rules.update(rule_id, {"terms": terms, "analysis_fingerprint": fingerprint})


def rule_query(rule: AlertRule | dict[str, Any], ids: list[str] | None = None) -> dict[str, Any]:
    """The rule's query with its filters: a story has any of the values of each list filter, and
    every one of `all_topics` and `all_entities` (the search page's facets); with `ids`, only those."""
    d = rule.definition() if isinstance(rule, AlertRule) else rule["definition"]
    filters: list[dict[str, Any]] = []
    f = d.get("filters") or {}
    if f.get("topics"):
        filters.append({"terms": {"topics": f["topics"]}})
    if f.get("sources"):
        filters.append({"terms": {"source": f["sources"]}})
    if f.get("outlets"):
        filters.append({"terms": {"source_domain": f["outlets"]}})
    if f.get("entities"):
        filters.append({"terms": {"entities.name": f["entities"]}})
    if f.get("languages"):
        filters.append({"terms": {"language": f["languages"]}})
    filters += [{"term": {"topics": t}} for t in f.get("all_topics") or []]
    filters += [{"term": {"entities.name": e}} for e in f.get("all_entities") or []]
    for topic, score in (f.get("min_topic_score") or {}).items():
        filters.append({"nested": {"path": "topic_scores", "query": {"bool": {"filter": [
            {"term": {"topic_scores.topic": topic}}, {"range": {"topic_scores.score": {"gte": score}}}]}}}})  # fmt: skip
    if ids is not None:
        filters.append({"ids": {"values": ids}})
    must = [query_string(d["query"])]
    return {"bool": {"must": must, "filter": filters}}


def would_match(storage: Storage, rule: AlertRule, since: str, size: int) -> tuple[int, list[dict[str, Any]]]:
    """Which stored stories `rule` would have alerted for, published within `since` (e.g. 30d):
    how many in all, and the newest `size` with their highlights. A rule can be tried before it
    is switched on (`newsmon alerts test`)."""
    found = back_test(storage, rule, since, size)
    return found.total, found.matches


@dataclass
class BackTest:
    total: int
    matches: list[dict[str, Any]]  # the newest stories, with their highlights
    per_day: list[tuple[str, int]] = field(default_factory=list)  # (YYYY-MM-DD, stories), every day


def back_test(
    storage: Storage, rule: AlertRule, since: str, size: int, *, per_day: bool = False,
    budget: QueryBudget | None = None,
) -> BackTest:  # fmt: skip
    """What `rule` would have sent for the stored stories published within `since`: how many, the
    newest `size`, and with `per_day` how many each day (days without any included). One alert per
    story: copies are left out. With a `budget`, its time limit (QueryTooCostly past it)."""
    start = since_to_es(since)
    query = rule_query(rule)
    query["bool"]["must_not"] = [{"exists": {"field": "duplicate_of"}}]  # one alert per story
    query["bool"]["filter"].append({"range": {"published_at": {"gte": start}}})
    request: dict[str, Any] = {
        "query": query, "size": size, "track_total_hits": True,
        "source": ["title", "url", "source", "source_domain", "published_at", "topics", "cluster_size"],
        "highlight": highlight(), "sort": [{"published_at": "desc"}],
    }  # fmt: skip
    if per_day:
        request["aggs"] = {
            "per_day": {
                "date_histogram": {
                    "field": "published_at",
                    "calendar_interval": "day",
                    "format": "yyyy-MM-dd",
                    "min_doc_count": 0,
                    "extended_bounds": {"min": f"{start}/d", "max": "now/d"},
                }  # fmt: skip
            }
        }
    if budget is not None and budget.timeout is not None:
        request["timeout"] = budget.es_timeout()
        request["client_timeout"] = budget.client_timeout()
    resp = storage.articles.search(**request)
    if budget is not None:
        finished(resp, budget)
    matches = [
        {"rule_id": rule.id, "article_id": h["_id"], **h["_source"],
         "highlights": [f for fl in merged_highlights(h).values() for f in fl]}
        for h in resp["hits"]["hits"]
    ]  # fmt: skip
    days = [
        (str(b["key_as_string"]), int(b["doc_count"]))
        for b in resp.get("aggregations", {}).get("per_day", {}).get("buckets", [])
    ]
    return BackTest(int(resp["hits"]["total"]["value"]), matches, days)


def story_terms(articles: Articles, hits: list[dict[str, Any]]) -> dict[str, set[str]]:
    """The index terms of each story's text fields, plus field=value keys of its keyword fields."""
    out: dict[str, set[str]] = {}
    if not hits:
        return out
    for doc in articles.term_vectors(hits, [*TEXT_FIELDS, *LANGUAGE_FIELDS]):
        terms: set[str] = set()
        for name, fld in (doc.get("term_vectors") or {}).items():
            if base_field(name) == name:
                terms.update(fld.get("terms", {}))
            else:
                lang = name.rpartition("_")[2]
                terms.update(f"{lang}:{t}" for t in fld.get("terms", {}))
        out[doc["_id"]] = terms
    for h in hits:
        src = h["_source"]
        for key in KEYWORD_KEYS:
            values = src.get(key)
            for v in values if isinstance(values, list) else [values] if values else []:
                out.setdefault(h["_id"], set()).add(f"{key}={v}")
    return out


@dataclass
class Match:
    rule: dict[str, Any]
    story: dict[str, Any]  # the hit, with _id, _index, _source
    highlights: list[str]


def percolate(
    storage: Storage, story_ids: list[str], rules: list[dict[str, Any]] | None = None
) -> list[Match]:
    if not story_ids:
        return []
    rules = storage.alert_rules.enabled() if rules is None else rules
    if not rules:
        return []
    articles = storage.articles
    articles.refresh()  # the stories were just indexed
    fields = [
        "title",
        "url",
        "source",
        "source_domain",
        "published_at",
        "topics",
        "language",
        "outlets",
        "cluster_size",
        "duplicate_of",
    ]
    hits = articles.get_many(story_ids, fields)
    terms = story_terms(articles, hits)
    by_term: dict[str, list[int]] = defaultdict(list)
    for n, rule in enumerate(rules):
        for t in rule["terms"]:
            by_term[t].append(n)
    candidates: dict[int, list[str]] = defaultdict(list)
    for h in hits:
        rule_ids = set(by_term.get(ANY, []))
        for t in terms.get(h["_id"], ()):
            rule_ids.update(by_term.get(t, ()))
        for n in rule_ids:
            candidates[n].append(h["_id"])
    if not candidates:
        return []
    order = sorted(candidates)
    bodies = [
        {
            "query": rule_query(rules[n], candidates[n]),
            "size": len(candidates[n]),
            "_source": False,
            "highlight": highlight(body_fragments=3),
        }
        for n in order
    ]
    by_id = {h["_id"]: h for h in hits}
    matches: list[Match] = []
    responses = articles.search_many(bodies)
    for n, resp in zip(order, responses, strict=True):
        if "error" in resp:
            log.error("rule %s failed: %s", rules[n]["rule_id"], resp["error"])
            continue
        for hit in resp["hits"]["hits"]:
            frags = [f for fl in merged_highlights(hit).values() for f in fl]
            matches.append(Match(rule=rules[n], story=by_id[hit["_id"]], highlights=frags))
    log.info("percolated %d story(ies) against %d rule(s): %d candidate rule runs, %d match(es)",
             len(hits), len(rules), sum(len(v) for v in candidates.values()), len(matches))  # fmt: skip
    return matches
