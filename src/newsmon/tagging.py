"""Arms-control topic tagging: weighted term matching with evidence an analyst can audit.

Matching runs on a normalized copy of the text (NFKD without accents, case-folded, dash and
apostrophe variants unified) with a map back to the original offsets, so evidence points at the
exact characters of the stored title or body. All terms of all topics are compiled into one
regular expression per case mode: the text is scanned once whatever the taxonomy's size.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from newsmon.taxonomy import ROOT, Taxonomy

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_QUOTES = dict.fromkeys(map(ord, "\u2018\u2019\u02bc\u0060\u00b4"), "'")
SNIPPET = 60
MAX_EVIDENCE_PER_TERM = 3


def normalize(text: str) -> tuple[str, list[int]]:
    """Normalized text and, for each of its characters, the index of the original character."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text.translate(_DASHES).translate(_QUOTES)):
        for part in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(part):
                continue
            for folded in part.casefold():
                out.append(folded)
                index.append(i)
    return "".join(out), index


def _norm_term(term: str) -> str:
    return normalize(term)[0]


def _pattern(term: str) -> str:
    # Any run of spaces or hyphens in a term matches any run of them in the text ("New START",
    # "New-START"); the term must stand as whole words.
    parts = [re.escape(p) for p in re.split(r"[\s\-]+", term.strip()) if p]
    return r"[\s\-]+".join(parts)


@dataclass
class _Entry:
    topic: str
    term: str
    weight: float


@dataclass
class TagResult:
    topics: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)


class Tagger:
    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self._by_key: dict[tuple[bool, str], list[_Entry]] = defaultdict(list)
        for topic in taxonomy.topics:
            for term in topic.terms:
                key = term.term.strip() if term.case_sensitive else _norm_term(term.term)
                key = re.sub(r"[\s\-]+", " ", key)
                self._by_key[(term.case_sensitive, key)].append(_Entry(topic.id, term.term, term.weight))
        self._regex = {cs: self._compile([k for (c, k) in self._by_key if c == cs]) for cs in (False, True)}
        self._topics = {t.id: t for t in taxonomy.topics}

    @staticmethod
    def _compile(keys: list[str]) -> re.Pattern[str] | None:
        if not keys:
            return None
        alternation = "|".join(_pattern(k) for k in sorted(keys, key=len, reverse=True))
        return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")

    def _matches(self, text: str) -> list[tuple[str, int, int, bool]]:
        """(key, start, end, case_sensitive) with offsets into the original text."""
        found: list[tuple[str, int, int, bool]] = []
        if self._regex[False] is not None:
            norm, index = normalize(text)
            for m in self._regex[False].finditer(norm):
                key = re.sub(r"[\s\-]+", " ", m.group(0))
                found.append((key, index[m.start()], index[m.end() - 1] + 1, False))
        if self._regex[True] is not None:
            for m in self._regex[True].finditer(text):
                found.append((re.sub(r"[\s\-]+", " ", m.group(0)), m.start(), m.end(), True))
        return found

    def tag(self, title: str | None, body: str | None) -> TagResult:
        fields = {"title": title or "", "body": body or ""}
        counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"title": 0, "body": 0})
        weights: dict[tuple[str, str], float] = {}
        evidence: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for field_name, text in fields.items():
            if not text:
                continue
            for key, start, end, cs in self._matches(text):
                for entry in self._by_key.get((cs, key), ()):
                    slot = (entry.topic, entry.term)
                    counts[slot][field_name] += 1
                    weights[slot] = entry.weight
                    if counts[slot][field_name] <= MAX_EVIDENCE_PER_TERM:
                        evidence[entry.topic].append(
                            {
                                "topic": entry.topic,
                                "term": entry.term,
                                "field": field_name,
                                "start": start,
                                "end": end,
                                "snippet": _snippet(text, start, end),
                            }
                        )
        boost = self.taxonomy.defaults.title_boost
        scores: dict[str, float] = defaultdict(float)
        for (topic, _term), per_field in counts.items():
            weight = weights[(topic, _term)]
            body_n = per_field["body"]
            # Repeats count, with diminishing returns: a story is not twice as relevant for saying a
            # term twice, and one long story must not pass on one term alone.
            score = weight * (1 + math.log(body_n)) if body_n else 0.0
            if per_field["title"]:
                score += weight * boost
            scores[topic] += score
        tagged = [
            t for t, s in scores.items() if t != ROOT and s >= self.taxonomy.threshold(self._topics[t])
        ]
        root_score = sum(scores.values())
        if tagged or root_score >= self.taxonomy.threshold(self._topics[ROOT]):
            tagged.append(ROOT)
        topics = sorted(set(tagged), key=lambda t: (t != ROOT, t))
        kept = [e for t in topics for e in evidence.get(t, [])]
        if ROOT in topics:
            # The root is tagged on all arms-control evidence; keep sub-threshold evidence too.
            kept += [e for t, evs in evidence.items() if t not in topics for e in evs]
        return TagResult(
            topics=topics,
            scores={t: round(s, 3) for t, s in sorted(scores.items())},
            evidence=kept,
        )


def _snippet(text: str, start: int, end: int) -> str:
    left = max(0, start - SNIPPET)
    right = min(len(text), end + SNIPPET)
    return ("…" if left else "") + text[left:right].replace("\n", " ") + ("…" if right < len(text) else "")
