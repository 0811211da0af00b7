"""Word boundaries in languages whose words are not separated by spaces alone.

The matcher finds every term as a character run; for Latin, Greek and Cyrillic text a run counts
when the characters on either side are no letters or digits. That rule fails in four ways, each
fixed here for the hits whose first character is of that script:

- Chinese and Japanese have no spaces: a run counts when its start and end fall on word boundaries
  of a segmenter that ships its dictionary in its package (rjieba, the Rust port of jieba, for
  Chinese; MeCab through fugashi with unidic-lite for Japanese). Only the sentence around a
  candidate hit is segmented, and only for texts that have such hits; `is_japanese` tells the two
  apart.
- Korean attaches particles and endings to a word (핵확산금지조약을): a run counts at the start of
  a space-separated word (eojeol) when the rest of that word is a sequence of particles and endings
  of a closed list.
- Arabic and Persian attach proclitics (و ف ب ل ك, with ال) before a word and pronoun, plural
  and ezafe suffixes after it (والمعاهدة, سلاح‌هایش): a run counts when the letters before it in its
  word are a proclitic and the letters after it a suffix, both of closed lists.

Segmenters are loaded once a process, on first use.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable
from typing import Any

from newsmon.text import ARABIC, HAN, HANGUL, HIRAGANA, KANA

# -- scripts ---------------------------------------------------------------------------------------


CJK_CHAR = re.compile(f"[{HAN}{KANA}]")
KANA_CHAR = re.compile(f"[{KANA}]")
HANGUL_CHAR = re.compile(f"[{HANGUL}]")
ARABIC_CHAR = re.compile(f"[{ARABIC}]")
# One character of a script whose words need a rule of this module.
_SPECIAL = re.compile(f"[{HAN}{KANA}{HANGUL}{ARABIC}]")


def script_of(ch: str) -> str | None:
    """'cjk', 'hangul', 'arabic', or None for scripts whose words are separated by spaces."""
    if ch < "\u0600" or not _SPECIAL.match(ch):
        return None
    if CJK_CHAR.match(ch):
        return "cjk"
    if HANGUL_CHAR.match(ch):
        return "hangul"
    return "arabic"


_HAN_CHAR = re.compile(f"[{HAN}]")
_HIRAGANA_CHAR = re.compile(f"[{HIRAGANA}]")
_T2S: dict[int, str] | None = None


def traditional_to_simplified(text: str) -> str:
    """Traditional Chinese characters as simplified ones, one for one (OpenCC's character table,
    shipped by opencc-purepy): Hong Kong and Taiwan news match the simplified terms, and the
    Chinese segmenter, whose dictionary is simplified, cuts them as it cuts mainland news."""
    global _T2S
    if _T2S is None:
        from importlib.resources import files

        table: dict[int, str] = {}
        data = files("opencc_purepy").joinpath("dicts/TSCharacters.txt").read_text(encoding="utf-8")
        for line in data.splitlines():
            source, _, targets = line.partition("\t")
            target = targets.split(" ")[0] if targets else ""
            if len(source) == 1 and len(target) == 1 and source != target:
                table[ord(source)] = target
        _T2S = table
    return text.translate(_T2S)


def is_japanese(text: str) -> bool:
    """Japanese, not Chinese: hiragana (particles, endings) are at least one in twenty of the Han
    and kana characters, or katakana one in four (a headline of loanwords). A Chinese story may
    quote a Japanese name in katakana; it does not write hiragana."""
    hiragana = len(_HIRAGANA_CHAR.findall(text))
    katakana = len(KANA_CHAR.findall(text)) - hiragana
    cjk = hiragana + katakana + len(_HAN_CHAR.findall(text))
    return (hiragana > 0 and hiragana * 20 >= cjk) or (katakana > 0 and katakana * 4 >= cjk)


def is_chinese(text: str) -> bool:
    """Han characters and (next to no) kana: Chinese."""
    return bool(_HAN_CHAR.search(text)) and not is_japanese(text)


# -- Korean ----------------------------------------------------------------------------------------

# Particles (josa), the copula and the commonest endings of a noun used as a verb (비핵화하다),
# as they follow a noun in news text. A word's tail counts when it is at most three of these in a
# row (에서+는, 와+의, 들+을), so the list stays the short list of grammars, not every combination.
KO_PARTICLES = frozenset(
    """
    이 가 은 는 을 를 의 에 에서 에게 에게서 한테 께 께서 와 과 랑 이랑 로 으로 로서 으로서 로써 으로써
    로부터 으로부터 도 만 까지 부터 마저 조차 보다 처럼 같이 나 이나 든 이든 며 이며 라도 이라도 야 이야
    요 란 이란 라는 이라는 라고 이라고 라며 이라며 에선 에겐 엔 인 이고 이지만 이다 였다 이었다 입니다 이었고
    였고 이자 에도 들 간 상 측 등 및 급 용
    하다 하는 하고 한 할 해 했다 했고 하며 하기 하려는 하겠다 된 되는 되고 됐다 되며 시키는 시킨
    """.split()
)


def korean_tail_ok(tail: str) -> bool:
    """Is `tail` (the letters after a hit, to the end of its word) particles and endings?"""
    return _split_ok(tail, KO_PARTICLES, 3)


# -- Arabic and Persian ---------------------------------------------------------------------------

# In normalized form (ـ and harakat removed, alef variants ا, ى/ی ي, ک ك, ة ه): the proclitics a
# word may carry (conjunction, preposition, future/emphasis particles, with or without ال). A term
# written with ال is also indexed as ل + the rest, for ل + ال = لل (للوكالة).
AR_PROCLITICS = frozenset(
    """
    و ف ب ل ك س ال وال فال بال كال وب ول فب فل وك فك ولل فلل وس لل
    """.split()
)
# Suffixes after a term, one of this list (combinations are listed, so ي + ه, the nisba ending ية,
# is no suffix): Arabic pronouns, dual and plural endings and plural + pronoun; Persian plural
# ها / ان, ezafe ی / ای / یی, pronoun suffixes (م ت ش مان تان شان) and plural + pronoun.
# ZWNJ is removed before matching, so سلاح‌ها is سلاحها.
AR_SUFFIXES = frozenset(
    """
    ه ها هم هما هن ك كم كما كن ي ني نا ات ان ين ون تين تان اته اتها اتهم اتنا اتك
    اي يي هاي هايي هايم هايت هايش هايمان هايتان هايشان ام اش مان تان شان يش يم يت
    """.split()
)


def arabic_prefix_ok(prefix: str) -> bool:
    return prefix in AR_PROCLITICS


def arabic_tail_ok(tail: str) -> bool:
    return tail in AR_SUFFIXES or not tail


def _split_ok(text: str, parts: frozenset[str], most: int) -> bool:
    """Can `text` be cut into at most `most` pieces, each one of `parts`?"""
    if not text:
        return True
    if most == 0:
        return False
    return any(text[:n] in parts and _split_ok(text[n:], parts, most - 1) for n in range(1, len(text) + 1))


# -- Chinese and Japanese segmentation -------------------------------------------------------------

_SENTENCE_END = re.compile(r"[。！？!?\n；;]")
_MAX_SPAN = 160  # characters each side of a hit when a sentence is longer than that


class Segmenter:
    """Word boundaries of Chinese (rjieba) or Japanese (fugashi + unidic-lite) sentences.

    One of each per process (see `segmenter`): the Chinese dictionary takes about 40 MB and a
    tenth of a second to load; unidic-lite is memory-mapped. Taxonomy terms are added to the
    Chinese dictionary, so a treaty name is one word and is not cut across its neighbours.
    """

    def __init__(self, language: str) -> None:
        self.language = language
        self._lock = threading.Lock()
        self._impl: Any = None
        self._words: set[str] = set()

    def _load(self) -> Any:
        if self._impl is None:
            if self.language == "zh":
                import rjieba

                self._impl = rjieba.Jieba()
            else:
                import fugashi

                self._impl = fugashi.Tagger()
        return self._impl

    def add_words(self, words: Iterable[str]) -> None:
        """Make these words of the dictionary (Chinese only; unidic's short units need none)."""
        if self.language != "zh":
            return
        with self._lock:
            impl = self._load()
            for word in words:
                if word not in self._words:
                    impl.add_word(word, None, None)
                    self._words.add(word)

    def boundaries(self, text: str) -> list[int]:
        """Sorted offsets of `text` where a word starts or ends."""
        with self._lock:
            impl = self._load()
            if self.language == "zh":
                tokens = impl.tokenize(text, "default", False)
                cuts = {0, len(text)}
                for _, start, end in tokens:
                    cuts.add(start)
                    cuts.add(end)
                return sorted(cuts)
            cuts = {0, len(text)}
            offset = 0
            for node in impl(text):
                offset += len(node.white_space)
                cuts.add(offset)
                offset += len(node.surface)
                cuts.add(offset)
            return sorted(cuts)


_SEGMENTERS: dict[str, Segmenter] = {}
_SEGMENTERS_LOCK = threading.Lock()


def segmenter(language: str) -> Segmenter:
    with _SEGMENTERS_LOCK:
        if language not in _SEGMENTERS:
            _SEGMENTERS[language] = Segmenter(language)
        return _SEGMENTERS[language]


class Boundaries:
    """Word boundaries of one CJK text, segmented sentence by sentence as hits ask for them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.language = "ja" if is_japanese(text) else "zh"
        self._cuts: list[tuple[int, int, list[int]]] = []  # (start, end, sorted absolute cuts)

    def _span_cuts(self, start: int, end: int) -> list[int]:
        for s, e, cuts in self._cuts:
            if s <= start and end <= e:
                return cuts
        text = self.text
        s = _sentence_start(text, start)
        e = _sentence_end(text, end)
        cuts = [s + c for c in segmenter(self.language).boundaries(text[s:e])]
        # The edges of a span cut inside a sentence are no boundaries.
        if s > 0 and not _SENTENCE_END.match(text[s - 1]):
            cuts = cuts[1:]
        if e < len(text) and not _SENTENCE_END.match(text[e]):
            cuts = cuts[:-1]
        self._cuts.append((s, e, cuts))
        return cuts

    def at_boundaries(self, start: int, end: int) -> bool:
        """Do `start` and `end` both fall on word boundaries?"""
        cuts = self._span_cuts(start, end)
        return _contains(cuts, start) and _contains(cuts, end)


def _contains(sorted_list: list[int], value: int) -> bool:
    i = bisect.bisect_left(sorted_list, value)
    return i < len(sorted_list) and sorted_list[i] == value


def _sentence_start(text: str, pos: int) -> int:
    lo = max(0, pos - _MAX_SPAN)
    last = -1
    for m in _SENTENCE_END.finditer(text, lo, pos):
        last = m.end()
    return last if last >= 0 else lo


def _sentence_end(text: str, pos: int) -> int:
    m = _SENTENCE_END.search(text, pos, min(len(text), pos + _MAX_SPAN))
    return m.start() if m else min(len(text), pos + _MAX_SPAN)
