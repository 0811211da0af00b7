"""Arms-control topic tagging: weighted term matching with evidence an analyst can audit.

Scoring (doc/extraction-and-tagging.md, "Tagging"): each concept found adds its weight, boosted in the title and in
the lead, with diminishing returns for repeats; a topic is tagged at its threshold, so one passing
mention deep in a long story is not a tag. Entities of the catalog are found by the same matcher
and reported in the `entities` field of an article.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from newsmon.tagging.matching import Hit, Matcher, Normalized, context_regex, normalize, term_forms
from newsmon.tagging.schema import ROOT, EntityCatalog, Taxonomy

SNIPPET = 70
MAX_EVIDENCE_PER_CONCEPT = 3  # per field: enough to audit, small enough for Kibana


@dataclass(frozen=True)
class _Concept:
    topic: str
    label: str
    weight: float
    near: re.Pattern[str] | None
    window: int


@dataclass
class TagResult:
    topics: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)


class Tagger:
    """Tags title and body with the taxonomy's topics and names the catalog's entities.

    Built once per process (the automaton takes a moment); `tag` is then cheap and thread-safe.
    """

    def __init__(self, taxonomy: Taxonomy, entities: EntityCatalog | None = None):
        self.taxonomy = taxonomy
        self.catalog: EntityCatalog | None = entities if entities is not None else taxonomy.entities
        self._topics = {t.id: t for t in taxonomy.topics}
        self._concepts: list[_Concept] = []
        self._entity_context: dict[int, tuple[re.Pattern[str] | None, int]] = {}
        self._entity_concept: dict[int, int] = {}  # entity index -> concept, for entities with a topic
        self.matcher = Matcher()
        for topic in taxonomy.topics:
            for group in topic.terms:
                ref = len(self._concepts)
                window = group.context.window if group.context else 0
                self._concepts.append(
                    _Concept(topic.id, group.label, group.weight, context_regex(group.context), window)
                )
                for lang, term, cased in group.terms():
                    for form in term_forms(term, lang, cased):
                        self.matcher.add(form, "term", ref, term, lang, cased)
        for phrase in taxonomy.exclusions:
            for form in term_forms(phrase, None, cased=False):
                self.matcher.add(form, "exclusion", -1, phrase, None, False)
        for n, entity in enumerate(self.catalog.entities if self.catalog else []):
            self._entity_context[n] = (
                context_regex(entity.context),
                entity.context.window if entity.context else 0,
            )
            if entity.topic:  # checked against the taxonomy when the catalog was loaded
                self._entity_concept[n] = len(self._concepts)
                self._concepts.append(_Concept(entity.topic, entity.name, entity.weight, None, 0))
            for alias, cased in [(a, False) for a in entity.aliases] + [(a, True) for a in entity.acronyms]:
                for form in term_forms(alias, None, cased):
                    self.matcher.add(form, "entity", n, alias, None, cased)
        self.matcher.build()

    def warm_up(self) -> None:
        """Load what tagging loads on its first Chinese and Japanese story (the segmenters, the
        taxonomy's words in the Chinese dictionary): some 0.2 s of CPU and 60 MB, paid once
        per process, before workers are forked, instead of out of a page's budget."""
        self.tag("朝鲜表示，核裁军的前提是信任。", "北朝鮮は朝鮮半島の非核化に向けた交渉を拒んだ。")

    # -- matching ---------------------------------------------------------------------------------

    def _field_hits(self, text: str) -> tuple[Normalized, list[Hit], list[Hit]]:
        """Accepted term hits and entity hits of one field (offsets in the normalized text)."""
        norm = normalize(text)
        hits = self.matcher.find(norm)
        excluded = [(h.start, h.end) for h in hits if h.pattern.kind == "exclusion"]
        terms: list[Hit] = []
        entities: list[Hit] = []
        seen: dict[re.Pattern[str], list[tuple[int, int]]] = {}  # context found so far, per rule
        for h in hits:
            if h.pattern.kind == "exclusion" or any(s < h.end and h.start < e for s, e in excluded):
                continue
            if h.pattern.kind == "term":
                concept = self._concepts[h.pattern.ref]
                near, window = concept.near, concept.window
                bucket = terms
            else:
                near, window = self._entity_context[h.pattern.ref]
                bucket = entities
            if near is not None and not _near(
                near, norm.lower, h, window, excluded, seen.setdefault(near, [])
            ):
                continue  # an ambiguous term without the context that makes it ours
            bucket.append(h)
        return norm, _longest(terms), _longest(entities)

    # -- scoring ----------------------------------------------------------------------------------

    def tag(self, title: str | None, body: str | None) -> TagResult:
        defaults = self.taxonomy.defaults
        # concept -> [title mentions, body mentions, mentioned in the lead]
        counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
        evidence: dict[int, list[dict[str, Any]]] = defaultdict(list)
        entity_hits: list[EntityHit] = []
        # The lead is the start of a story, not all of a brief: at most a third of the body.
        lead_chars = min(defaults.lead_chars, len(body or "") // 3)
        for field_name, text in (("title", title or ""), ("body", body or "")):
            if not text.strip():
                continue
            norm, terms, entities = self._field_hits(text)
            for h in entities:
                start, end = norm.span(h.start, h.end)
                entity_hits.append(EntityHit(h.pattern.ref, h.pattern.label, field_name, start, end))
            for h in terms + [h for h in entities if h.pattern.ref in self._entity_concept]:
                ref = h.pattern.ref if h.pattern.kind == "term" else self._entity_concept[h.pattern.ref]
                start, end = norm.span(h.start, h.end)
                slot = counts[ref]
                if field_name == "title":
                    slot[0] += 1
                else:
                    slot[1] += 1
                    slot[2] |= start < lead_chars
                shown = sum(1 for ev in evidence[ref] if ev["field"] == field_name)
                if shown < MAX_EVIDENCE_PER_CONCEPT:
                    evidence[ref].append(self._evidence(ref, h, field_name, text, start, end))

        scores: dict[str, float] = defaultdict(float)
        length = len(body or "")
        scale = 1.0
        if defaults.length_ref_chars and length > defaults.length_ref_chars:
            scale = math.sqrt(defaults.length_ref_chars / length)
        for ref, (in_title, in_body, in_lead) in counts.items():
            concept = self._concepts[ref]
            score = concept.weight * defaults.title_boost if in_title else 0.0
            if in_body:
                # Repeats count with diminishing returns: saying a term twice does not make a story
                # twice as relevant, and one mention outside the title and lead never reaches a
                # threshold on its own (thresholds are above the largest weight).
                lead = defaults.lead_boost if in_lead else 1.0
                score += concept.weight * (1 + math.log(in_body)) * lead * scale
            scores[concept.topic] += score
        tagged = [t for t, s in scores.items() if t != ROOT and s >= self.taxonomy.threshold(self._topics[t])]
        # The root is tagged with any subtopic, on its own terms ("arms control", "weapons of mass
        # destruction") or on all evidence together; its reported score is that total.
        own = scores.get(ROOT, 0.0)
        total = sum(scores.values())
        if total:
            scores[ROOT] = total
        if (
            tagged
            or own >= self.taxonomy.threshold(self._topics[ROOT])
            or total >= defaults.combined_threshold
        ):
            tagged.append(ROOT)
        topics = sorted(set(tagged), key=lambda t: (t != ROOT, t))
        # Evidence of topics below their threshold is kept too: it tells why a story was not tagged.
        kept = [ev for evs in evidence.values() for ev in evs]
        kept.sort(key=lambda ev: (ev["topic"] != ROOT, ev["topic"], ev["field"] != "title", ev["start"]))
        return TagResult(
            topics=topics,
            scores={t: round(s, 3) for t, s in sorted(scores.items())},
            evidence=kept,
            entities=collect(self.catalog, entity_hits) if self.catalog else [],
        )

    def _evidence(
        self, ref: int, hit: Hit, field_name: str, text: str, start: int, end: int
    ) -> dict[str, Any]:
        concept = self._concepts[ref]
        ev: dict[str, Any] = {
            "topic": concept.topic,
            "term": hit.pattern.label,
            "concept": concept.label,
            "weight": concept.weight,
            "field": field_name,
            "start": start,
            "end": end,
            "text": text[start:end],
            "snippet": snippet(text, start, end),
        }
        if hit.pattern.lang:
            ev["lang"] = hit.pattern.lang
        return ev


def _near(
    near: re.Pattern[str],
    text: str,
    hit: Hit,
    window: int,
    excluded: list[tuple[int, int]],
    seen: list[tuple[int, int]],
) -> bool:
    """Is a context word within `window` characters of the hit, outside any excluded idiom?

    `seen` holds the context words this rule found for earlier hits of the field: a term repeated
    through a story is mostly confirmed by one of them, without another regex search.
    """
    lo, hi = max(0, hit.start - window), hit.end + window
    for s, e in seen:
        if lo <= s and e <= hi and not (hit.start < e and s < hit.end):
            return True
    for m in near.finditer(text, lo, hi):
        if hit.start < m.end() and m.start() < hit.end:
            continue  # the term itself is no context for itself ("enrichment" near "enrich*")
        if not any(s < m.end() and m.start() < e for s, e in excluded):
            seen.append(m.span())
            return True
    return False


def _longest(hits: list[Hit]) -> list[Hit]:
    """Leftmost-longest hits that do not overlap: "New START" wins over "START" inside it."""
    chosen: list[Hit] = []
    end = -1
    for h in sorted(hits, key=lambda h: (h.start, -h.end, -h.pattern.length)):
        if h.start >= end:
            chosen.append(h)
            end = h.end
    return chosen


def snippet(text: str, start: int, end: int) -> str:
    left = max(0, start - SNIPPET)
    right = min(len(text), end + SNIPPET)
    return ("…" if left else "") + text[left:right].replace("\n", " ") + ("…" if right < len(text) else "")


@dataclass(frozen=True)
class EntityHit:
    entity: int  # index into catalog.entities
    alias: str
    field: str
    start: int
    end: int


def collect(catalog: EntityCatalog, hits: list[EntityHit]) -> list[dict[str, Any]]:
    """One record per entity found, in order of first mention (title first)."""
    found: dict[int, dict[str, Any]] = {}
    for hit in sorted(hits, key=lambda h: (h.field != "title", h.start)):
        record = found.get(hit.entity)
        if record is None:
            entity = catalog.entities[hit.entity]
            record = {"type": entity.type, "id": entity.id, "name": entity.name}
            if entity.role:
                record["role"] = entity.role
            if entity.organisation:
                record["organisation"] = entity.organisation
            if entity.country:
                record["country"] = entity.country
            record.update(
                mentions=0, aliases=[], first={"field": hit.field, "start": hit.start, "end": hit.end}
            )
            found[hit.entity] = record
        record["mentions"] += 1
        if hit.alias not in record["aliases"]:
            record["aliases"].append(hit.alias)
    return list(found.values())
