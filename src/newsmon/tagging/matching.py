"""Term matching: one Aho-Corasick automaton over every term, entity alias and exclusion.

Every term, entity alias and exclusion of the taxonomy goes into one Aho-Corasick automaton
(ahocorasick-rs), so a text is scanned once whatever the taxonomy's size. Matching runs on a
normalized copy of the text of the same length (lower case; dash, space and apostrophe variants
unified), so evidence offsets point at the exact characters of the stored title or body. Accents
are handled on the term side: each term is also indexed without accents, with decomposed accents
and, for German, with ae/oe/ue/ss; that keeps the per-article work to a few C-level string passes.
Only soft hyphens and zero-width marks, which must be dropped, take a slower path with an offset map.

Arabic-script text is normalized the way search normalizes it (alef variants to ا, ى/ی to ي, ک to
ك, ة to ه, Arabic-Indic digits to ASCII; tatweel, harakat and the zero-width non-joiner dropped),
and full-width Latin letters and digits (Japanese and Chinese news) become ASCII, both with an
offset map. Where a word ends is decided per script (newsmon.tagging.scripts): segmenters for
Chinese and Japanese, particles for Korean, proclitics and suffixes for Arabic and Persian.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import ahocorasick_rs

from newsmon.tagging.schema import Context
from newsmon.tagging.scripts import (
    Boundaries,
    arabic_prefix_ok,
    arabic_tail_ok,
    is_chinese,
    korean_tail_ok,
    script_of,
    segmenter,
    traditional_to_simplified,
)
from newsmon.text import HAN

# Characters replaced one for one before matching; the text keeps its length.
_SAME_LENGTH = {
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", " "),
    **dict.fromkeys("\u00a0\u2007\u2009\u200a\u202f\u3000", " "),
    **dict.fromkeys("\u2018\u2019\u02bc\u00b4\u2032", "'"),
    "\u318d": "\u00b7",  # Korean typists' interpunct (a jamo, so a letter) as the middle dot
}
# ASCII text (str.translate is fast on it) needs only these: "New-START" is "New START", and the
# terms are normalized the same way.
_ASCII = str.maketrans({"-": " ", "\t": " ", "\n": " ", "\r": " ", "\f": " ", "\v": " ", "`": "'"})
_REPLACED = [(chr(k), v) for k, v in _ASCII.items()] + list(_SAME_LENGTH.items())
# Marks that must be dropped: a text holding any takes the slow path.
_RARE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})

# Arabic script and full-width forms: one translation table, dropped characters with an offset map.
_ARABIC_DROPPED = (
    "\u0640\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0653\u0654\u0655\u0656\u0657\u0658\u0670"
)
_EXTENDED_TABLE: dict[int, str | None] = {
    **{k: v for k, v in _ASCII.items()},
    **{ord(k): v for k, v in _SAME_LENGTH.items()},
    **{c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},  # full-width ASCII
    **dict.fromkeys(map(ord, "أإآٱٲٳ"), "ا"),
    **dict.fromkeys(map(ord, "ىی"), "ي"),
    ord("ک"): "ك",
    ord("ة"): "ه",
    ord("ۀ"): "ه",
    **{0x0660 + d: str(d) for d in range(10)},
    **{0x06F0 + d: str(d) for d in range(10)},
    **dict.fromkeys(map(ord, _ARABIC_DROPPED + _RARE), None),
}
# Arabic script, full-width forms and Han: the texts that take the extended path (one scan decides).
_SPECIAL_SCRIPTS = re.compile(f"[\\u0600-\\u06ff\\uff01-\\uff5e{HAN}]")
_KEPT = re.compile(f"[^{_ARABIC_DROPPED}{_RARE}]+")


@dataclass(frozen=True)
class Normalized:
    lower: str  # for case-insensitive terms
    cased: str  # the same with case kept, for acronyms
    index: list[int] | None  # original offset of each character; None when it is the identity

    def origin(self, i: int) -> int:
        return i if self.index is None else self.index[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin(start), self.origin(end - 1) + 1


def normalize(text: str, chinese: bool | None = None) -> Normalized:
    """The text to match; `chinese` (default: Han without kana) maps traditional characters to
    simplified ones."""
    if text.isascii():
        return _normalize(text)
    special = _SPECIAL_SCRIPTS.search(text) is not None
    norm = _normalize(text, special)
    if chinese is None:
        chinese = special and is_chinese(norm.cased)
    if not chinese:
        return norm
    cased = traditional_to_simplified(norm.cased)
    return Normalized(cased.lower(), cased, norm.index)


def _normalize(text: str, special: bool = False) -> Normalized:
    if text.isascii():
        cased = text.translate(_ASCII)
    else:
        # str.translate is slow on other text; each `in` is a fast scan, and most of these
        # characters are absent from most stories.
        if special:
            return _normalize_extended(text)
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


def _normalize_extended(text: str) -> Normalized:
    """Arabic-script and full-width text: one translation, an offset map when characters were dropped."""
    cased = text.translate(_EXTENDED_TABLE)
    index: list[int] | None = None
    if len(cased) != len(text):
        index = []
        for m in _KEPT.finditer(text):
            index.extend(range(m.start(), m.end()))
    lower = cased.lower()
    if len(lower) != len(cased):
        lower = "".join(c.lower()[:1] for c in cased)
    return Normalized(lower, cased, index)


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
    base = normalize(term, chinese=False).cased if cased else normalize(term, chinese=False).lower
    forms = {base, unicodedata.normalize("NFD", base), _strip_accents(base)}
    if script_of(base[:1]) == "cjk" or script_of(base[-1:]) == "cjk":
        # Chinese text is matched in simplified characters; Japanese text as written.
        simplified = normalize(term, chinese=True)
        forms.add(simplified.cased if cased else simplified.lower)
    if lang == "de" and not cased:
        forms.add(base.translate(_GERMAN))
    if script_of(base[:1]) == "arabic":
        # Persian writes the zero-width non-joiner (dropped in the text) also as a space; ل + ال
        # is written لل, so a term with the article is also found as ل + its rest after a ل.
        if "\u200c" in term:
            spaced = normalize(term.replace("\u200c", " "))
            forms.add(spaced.cased if cased else spaced.lower)
        forms |= {"ل" + f[2:] for f in list(forms) if f.startswith("ال") and len(f) > 3}
    return {" ".join(f.split()) for f in forms}


def _strip_accents(text: str) -> str:
    return unicodedata.normalize(
        "NFC", "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    )


@dataclass(frozen=True)
class Pattern:
    kind: str  # "term", "entity" or "exclusion"
    ref: int  # concept index (terms) or entity index (entities)
    label: str  # as configured, for evidence
    lang: str | None
    cased: str | None  # for acronyms: the form the text must show, case included
    length: int  # of the literal key
    regex: re.Pattern[str] | None  # terms with a wildcard, checked from the match start


@dataclass(frozen=True)
class Hit:
    pattern: Pattern
    start: int
    end: int


def wildcard_regex(form: str) -> re.Pattern[str]:
    """The form's words with `word*` as any ending; a form that ends in a letter of a script with
    its own word rules (Chinese, Japanese, Korean, Arabic) leaves where the word ends to them."""
    words = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in form.split(" ")]
    tail = "" if script_of(form.rstrip("*")[-1:]) else r"(?!\w)"
    return re.compile(" +".join(words) + tail)


def context_regex(context: Context | None) -> re.Pattern[str] | None:
    """Any `near` word, as a word of its own; words of scripts without spaces (or with attached
    particles and proclitics) anywhere in the text."""
    if context is None:
        return None
    words: set[str] = set()
    special: set[str] = set()
    for near in context.near:
        for form in term_forms(near, None, cased=False):
            (special if script_of(form[:1]) else words).add(wildcard_regex(form).pattern)
    # Most positions of a text are inside a word or not of those scripts: each branch fails there
    # on its first test.
    branches = []
    if words:
        branches.append(r"(?<!\w)(?:" + "|".join(sorted(words)) + ")")
    if special:
        branches.append(r"(?=[^\x00-\u05ff])(?:" + "|".join(sorted(special)) + ")")
    return re.compile("|".join(branches))


class Matcher:
    """Every pattern's literal key, lower-cased, in one automaton: one scan of the lower-case text.

    Acronyms are found the same way and then checked against the text as written. A DFA costs a
    little more to build and scans fastest, which is what a per-article cost wants.
    """

    def __init__(self) -> None:
        self._keys: dict[str, list[Pattern]] = {}
        self._by_index: list[list[Pattern]] = []
        self._automaton: ahocorasick_rs.AhoCorasick | None = None
        self._size = 0
        self._han_words: list[str] = []  # Chinese keys, added to the segmenter's dictionary
        self._han_registered = False

    def add(self, form: str, kind: str, ref: int, label: str, lang: str | None, cased: bool) -> None:
        literal = form.split("*", 1)[0]
        regex = wildcard_regex(form) if "*" in form else None
        pattern = Pattern(kind, ref, label, lang, form if cased else None, len(literal), regex)
        self._keys.setdefault(literal.lower(), []).append(pattern)
        self._size += 1

    def __len__(self) -> int:
        return self._size

    def build(self) -> None:
        keys = list(self._keys)
        self._by_index = [self._keys[k] for k in keys]
        self._han_words = [k for k in keys if _ALL_HAN.fullmatch(k)]
        if keys:
            self._automaton = ahocorasick_rs.AhoCorasick(
                keys, implementation=ahocorasick_rs.Implementation.DFA
            )

    def find(self, norm: Normalized) -> list[Hit]:
        if self._automaton is None:
            return []
        hits: list[Hit] = []
        lower, cased = norm.lower, norm.cased
        cjk: list[Boundaries] = []  # the text's word boundaries, segmented on first need
        for index, start, last in self._automaton.find_matches_as_indexes(lower, overlapping=True):
            script = script_of(lower[start])
            joined = start > 0 and lower[start - 1].isalnum()
            if joined and not _may_start_inside(lower, start, script):
                continue
            for p in self._by_index[index]:
                text = lower if p.cased is None else cased
                end = _end_of(p, text, start, last)
                if end is None:
                    continue
                if script == "cjk":
                    if joined or (end < len(text) and text[end].isalnum()):
                        if not cjk:
                            self._register_han_words()
                            cjk.append(Boundaries(cased))
                        if not cjk[0].at_boundaries(start, end):
                            continue  # a run of characters across two words
                elif not _may_end_there(text, end, script, p.regex is not None):
                    continue
                hits.append(Hit(p, start, end))
        return hits

    def _register_han_words(self) -> None:
        if not self._han_registered:
            segmenter("zh").add_words(self._han_words)
            self._han_registered = True


_ALL_HAN = re.compile(f"[{HAN}]+")
_WORD_END = re.compile(r"[^\W_]*")


def _end_of(p: Pattern, text: str, start: int, last: int) -> int | None:
    """Where the pattern's match ends (a wildcard's regex decides), or None: no match."""
    if p.regex is not None:
        m = p.regex.match(text, start)
        return None if m is None else m.end()
    if p.cased is not None and text[start:last] != p.cased:
        return None  # "start" is not "START"
    return last


def _may_start_inside(text: str, start: int, script: str | None) -> bool:
    """May a hit start at `start`, after a letter or digit? In Arabic script after a proclitic; in
    Chinese and Japanese if the segmenter says so (checked later); Latin after Chinese or Japanese."""
    if script == "arabic":
        return arabic_prefix_ok(text[_word_start(text, start) : start])
    return script == "cjk" or (script is None and script_of(text[start - 1]) == "cjk")


def _may_end_there(text: str, end: int, script: str | None, wildcard: bool) -> bool:
    """May a hit (not Chinese or Japanese) end at `end`? Korean and Arabic-script words may go on
    with particles or suffixes; a Latin word may be followed by Chinese, Japanese or a Korean
    particle (IAEA는) but not by another letter (a wildcard's regex has checked that already)."""
    if end >= len(text) or not text[end].isalnum():
        return True
    tail = text[end : _WORD_END.match(text, end).end()]  # type: ignore[union-attr]
    if script == "hangul":
        return korean_tail_ok(tail)
    if script == "arabic":
        return arabic_tail_ok(tail)
    if wildcard:
        return True
    after = script_of(text[end])
    return after == "cjk" or (after == "hangul" and korean_tail_ok(tail))


def _word_start(text: str, pos: int) -> int:
    while pos > 0 and text[pos - 1].isalnum():
        pos -= 1
    return pos
