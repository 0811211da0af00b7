"""Arms-control topic tagging: weighted term matching with evidence an analyst can audit.

Every term, entity alias and exclusion of the taxonomy goes into one Aho-Corasick automaton
(ahocorasick-rs), so a text is scanned once whatever the taxonomy's size. Matching runs on a
normalized copy of the text of the same length (lower case; dash, space and apostrophe variants
unified), so evidence offsets point at the exact characters of the stored title or body. Accents
are handled on the term side: each term is also indexed without accents, with decomposed accents
and, for German, with ae/oe/ue/ss; that keeps the per-article work to a few C-level string passes.
Only soft hyphens and zero-width marks, which must be dropped, take a slower path with an offset map.

Scoring (see README, "Tagging"): each concept found adds its weight, boosted in the title and in
the lead, with diminishing returns for repeats; a topic is tagged at its threshold, so one passing
mention deep in a long story is not a tag.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import ahocorasick_rs

from newsmon.entities import EntityCatalog, EntityHit, collect
from newsmon.taxonomy import ROOT, Context, Taxonomy

SNIPPET = 70
MAX_EVIDENCE_PER_CONCEPT = 3  # per field: enough to audit, small enough for Kibana

# Characters replaced one for one before matching; the text keeps its length.
_SAME_LENGTH = {
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", " "),
    **dict.fromkeys("\u00a0\u2007\u2009\u200a\u202f\u3000", " "),
    **dict.fromkeys("\u2018\u2019\u02bc\u00b4\u2032", "'"),
}
# ASCII text (str.translate is fast on it) needs only these: "New-START" is "New START", and the
# terms are normalized the same way.
_ASCII = str.maketrans({"-": " ", "\t": " ", "\n": " ", "\r": " ", "\f": " ", "\v": " ", "`": "'"})
_REPLACED = [(chr(k), v) for k, v in _ASCII.items()] + list(_SAME_LENGTH.items())
# Marks that must be dropped: a text holding any takes the slow path.
_RARE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


@dataclass(frozen=True)
class Normalized:
    lower: str  # for case-insensitive terms
    cased: str  # the same with case kept, for acronyms
    index: list[int] | None  # original offset of each character; None when it is the identity

    def origin(self, i: int) -> int:
        return i if self.index is None else self.index[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin(start), self.origin(end - 1) + 1


def normalize(text: str) -> Normalized:
    if text.isascii():
        cased = text.translate(_ASCII)
    else:
        # str.translate is slow on other text; each `in` is a fast scan, and most of these
        # characters are absent from most stories.
        cased = text
        for old, new in _REPLACED:
            if old in cased:
                cased = cased.replace(old, new)
        # Soft hyphens and zero-width marks must go, with an offset map. (Decomposed accents need
        # nothing here: terms are indexed in that form too.)
        if any(ch in text for ch in _RARE):
            return _normalize_slowly(text)
    lower = cased.lower()
    if len(lower) != len(text):  # a rare letter whose lower case is longer ('İ')
        return _normalize_slowly(text)
    return Normalized(lower, cased, None)


def _normalize_slowly(text: str) -> Normalized:
    """Compose decomposed accents, drop soft hyphens and zero-width marks, keep an offset map."""
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        ch = _SAME_LENGTH.get(ch, ch).translate(_ASCII)
        if unicodedata.combining(ch):
            if chars:
                composed = unicodedata.normalize("NFC", chars[-1] + ch)
                if len(composed) == 1:
                    chars[-1] = composed
            continue
        if unicodedata.category(ch) == "Cf":
            continue
        chars.append(ch)
        index.append(i)
    cased = "".join(chars)
    lower = "".join(c.lower()[:1] for c in chars)  # 'İ'.lower() is two characters
    return Normalized(lower, cased, index)


def term_forms(term: str, lang: str | None, cased: bool) -> set[str]:
    """The spellings a term is indexed under: as written (composed and decomposed accents),
    without accents, and for German with ae/oe/ue/ss."""
    base = normalize(term).cased if cased else normalize(term).lower
    forms = {base, unicodedata.normalize("NFD", base), _strip_accents(base)}
    if lang == "de" and not cased:
        forms.add(base.translate(_GERMAN))
    return {" ".join(f.split()) for f in forms}


def _strip_accents(text: str) -> str:
    return unicodedata.normalize(
        "NFC", "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    )


@dataclass(frozen=True)
class _Pattern:
    kind: str  # "term", "entity" or "exclusion"
    ref: int  # concept index (terms) or entity index (entities)
    label: str  # as configured, for evidence
    lang: str | None
    cased: str | None  # for acronyms: the form the text must show, case included
    length: int  # of the literal key
    regex: re.Pattern[str] | None  # terms with a wildcard, checked from the match start


@dataclass(frozen=True)
class _Concept:
    topic: str
    label: str
    weight: float
    near: re.Pattern[str] | None
    window: int


@dataclass(frozen=True)
class _Hit:
    pattern: _Pattern
    start: int
    end: int


def _wildcard_regex(form: str) -> re.Pattern[str]:
    words = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in form.split(" ")]
    return re.compile(" +".join(words) + r"(?!\w)")


def _context_regex(context: Context | None) -> re.Pattern[str] | None:
    if context is None:
        return None
    alternatives = set()
    for near in context.near:
        for form in term_forms(near, None, cased=False):
            alternatives.add(_wildcard_regex(form).pattern)
    return re.compile(r"(?<!\w)(?:" + "|".join(sorted(alternatives)) + ")")


class Matcher:
    """Every pattern's literal key, lower-cased, in one automaton: one scan of the lower-case text.

    Acronyms are found the same way and then checked against the text as written. A DFA costs a
    little more to build and scans fastest, which is what a per-article cost wants.
    """

    def __init__(self) -> None:
        self._keys: dict[str, list[_Pattern]] = {}
        self._by_index: list[list[_Pattern]] = []
        self._automaton: ahocorasick_rs.AhoCorasick | None = None
        self._size = 0

    def add(self, form: str, kind: str, ref: int, label: str, lang: str | None, cased: bool) -> None:
        literal = form.split("*", 1)[0]
        regex = _wildcard_regex(form) if "*" in form else None
        pattern = _Pattern(kind, ref, label, lang, form if cased else None, len(literal), regex)
        self._keys.setdefault(literal.lower(), []).append(pattern)
        self._size += 1

    def __len__(self) -> int:
        return self._size

    def build(self) -> None:
        keys = list(self._keys)
        self._by_index = [self._keys[k] for k in keys]
        if keys:
            self._automaton = ahocorasick_rs.AhoCorasick(
                keys, implementation=ahocorasick_rs.Implementation.DFA
            )

    def find(self, norm: Normalized) -> list[_Hit]:
        if self._automaton is None:
            return []
        hits: list[_Hit] = []
        lower, cased = norm.lower, norm.cased
        for index, start, last in self._automaton.find_matches_as_indexes(lower, overlapping=True):
            if start and lower[start - 1].isalnum():
                continue  # not the start of a word
            for p in self._by_index[index]:
                text = lower if p.cased is None else cased
                if p.regex is not None:
                    m = p.regex.match(text, start)
                    if m is None:
                        continue
                    end = m.end()
                else:
                    end = last
                    if end < len(text) and text[end].isalnum():
                        continue
                    if p.cased is not None and cased[start:end] != p.cased:
                        continue  # "start" is not "START"
                hits.append(_Hit(p, start, end))
        return hits


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
                    _Concept(topic.id, group.label, group.weight, _context_regex(group.context), window)
                )
                for lang, term, cased in group.terms():
                    for form in term_forms(term, lang, cased):
                        self.matcher.add(form, "term", ref, term, lang, cased)
        for phrase in taxonomy.exclusions:
            for form in term_forms(phrase, None, cased=False):
                self.matcher.add(form, "exclusion", -1, phrase, None, False)
        for n, entity in enumerate(self.catalog.entities if self.catalog else []):
            self._entity_context[n] = (
                _context_regex(entity.context),
                entity.context.window if entity.context else 0,
            )
            if entity.topic:
                if entity.topic not in self._topics:
                    raise ValueError(f"entity {entity.id}: topic {entity.topic!r} is not in the taxonomy")
                self._entity_concept[n] = len(self._concepts)
                self._concepts.append(_Concept(entity.topic, entity.name, entity.weight, None, 0))
            for alias, cased in [(a, False) for a in entity.aliases] + [(a, True) for a in entity.acronyms]:
                for form in term_forms(alias, None, cased):
                    self.matcher.add(form, "entity", n, alias, None, cased)
        self.matcher.build()

    # -- matching ---------------------------------------------------------------------------------

    def _field_hits(self, text: str) -> tuple[Normalized, list[_Hit], list[_Hit]]:
        """Accepted term hits and entity hits of one field (offsets in the normalized text)."""
        norm = normalize(text)
        hits = self.matcher.find(norm)
        excluded = [(h.start, h.end) for h in hits if h.pattern.kind == "exclusion"]
        terms: list[_Hit] = []
        entities: list[_Hit] = []
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
        self, ref: int, hit: _Hit, field_name: str, text: str, start: int, end: int
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
    hit: _Hit,
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


def _longest(hits: list[_Hit]) -> list[_Hit]:
    """Leftmost-longest hits that do not overlap: "New START" wins over "START" inside it."""
    chosen: list[_Hit] = []
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
