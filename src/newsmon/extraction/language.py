"""The language of an article's text, and the hash that finds exact copies across URLs."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Any

import numpy as np

from newsmon.text import ARABIC, HAN, HANGUL, HIRAGANA, KANA, words

# Below this normalised probability detection is "unsure": a feed's `language:` hint may win then.
LANGUAGE_SURE = 0.5
_IDENTIFIER: Any = None
# py3langid reads a text's byte n-grams with an Aho-Corasick automaton; its longest n-gram is
# 6 bytes (the automaton's depth, measured by tests/extraction/test_language.py), so the state
# after any byte depends only on the 6 bytes that end there.
AUTOMATON_DEPTH = 6


# Letters that name a language within its script, for titles and summaries too short for n-grams.
_LETTER = re.compile(r"[^\W\d_]")
_HANGUL = re.compile(f"[{HANGUL}]")
_KANA = re.compile(f"[{KANA}]")
_HIRAGANA = re.compile(f"[{HIRAGANA}]")
_HAN = re.compile(f"[{HAN}]")
_ARABIC = re.compile(f"[{ARABIC}]")
_PERSIAN = re.compile("[پچژگکی]")  # letters Persian has and Arabic has not
_ARABIC_ONLY = re.compile("[ةىيك]")  # Arabic's forms of teh marbuta, yeh and kaf (Persian writes ی ک)
_URDU_AND_OTHERS = re.compile("[ٹڈڑںےھۓڭڤ]")  # Urdu, Pashto, Uyghur, Maghrebi letters: let the model decide
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_RULED_SCRIPTS = re.compile(f"[\u0400-\u04ff{ARABIC}{HAN}{KANA}{HANGUL}]")
_UKRAINIAN = re.compile("[іїєґІЇЄҐ]")
_RUSSIAN = re.compile("[ыэёЫЭЁ]")  # not ъ: Bulgarian writes it too
_OTHER_CYRILLIC = re.compile("[ўЎјЈљЉњЊћЋџЏђЂәӘғҒқҚңҢөӨұҰүҮһҺѓЃќЌѕЅ]")


def script_language(text: str) -> str | None:
    """The language the letters of a text name on their own, or None when they do not.

    Hangul is Korean; Han with hiragana (one in twenty) or katakana (one in four) is Japanese,
    other Han Chinese; the Arabic script is
    Persian with پ چ ژ گ ک ی and no Arabic-only forms, Arabic with those forms and no Persian letter;
    Cyrillic is Ukrainian with і ї є ґ and no ы э ё, Russian the other way round. Each rule needs
    the script to hold at least half the letters; mixed or other evidence is left to the model.
    """
    if not _RULED_SCRIPTS.search(text):
        return None  # most stories: no letter of a script these rules decide on
    letters = len(_LETTER.findall(text))
    if letters < 2:
        return None
    half = letters / 2
    hangul = len(_HANGUL.findall(text))
    if hangul >= letters * 0.3:
        return "ko"
    han, kana = len(_HAN.findall(text)), len(_KANA.findall(text))
    if han + kana >= half:
        # Japanese writes hiragana in every sentence (one in twenty at least), or is a headline
        # of katakana loanwords; a Chinese story may quote a Japanese name in katakana.
        hiragana = len(_HIRAGANA.findall(text))
        katakana = kana - hiragana
        japanese = hiragana * 20 >= han + kana or katakana * 4 >= han + kana
        return "ja" if kana and japanese else "zh"
    if len(_ARABIC.findall(text)) >= half:
        if _URDU_AND_OTHERS.search(text):
            return None
        persian, arabic = len(_PERSIAN.findall(text)), len(_ARABIC_ONLY.findall(text))
        if persian and persian >= 2 * arabic:
            return "fa"
        if arabic and not persian:
            return "ar"
        return None
    if len(_CYRILLIC.findall(text)) >= half and not _OTHER_CYRILLIC.search(text):
        uk, ru = _UKRAINIAN.search(text), _RUSSIAN.search(text)
        if uk and not ru:
            return "uk"
        if ru and not uk:
            return "ru"
    return None


def detect_language_scored(text: str) -> tuple[str | None, float]:
    """(language, probability 0..1); (None, 0.0) for text too short to tell.

    A language the script decides (`script_language`) is sure (1.0), however short the text: the
    model's n-grams are unreliable on a title, and it confuses Chinese with Japanese, Persian with
    Arabic and Ukrainian with Russian in short texts.
    """
    by_script = script_language(text[:1500])
    if by_script is not None:
        return by_script, 1.0
    if len(text) < 20:
        return None, 0.0
    # 1,500 characters name the language as well as 4,000 on the topics set (113 of 113) at half the cost.
    lang, score = identifier().classify(text[:1500])
    return lang, float(score)


def identifier() -> Any:
    """py3langid's identifier with its model loaded (once a process), walking bytes with numpy."""
    global _IDENTIFIER
    if _IDENTIFIER is None:
        from py3langid import langid

        class WindowedIdentifier(langid.LanguageIdentifier):  # type: ignore[misc]
            """py3langid walks its automaton byte by byte in Python (0.3 ms for 1,500 characters,
            three times that when the 40 MB transition table has left the CPU cache between two
            pages). A window of AUTOMATON_DEPTH bytes ending at each byte reaches the same state, so
            numpy walks all windows at once, one step of the window at a time. The features are
            counted in the order of their first occurrence, as py3langid counts them: the scores
            are the same numbers."""

            __slots__ = ("_moves", "_rows", "_outputs")

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._moves = np.asarray(memoryview(self.tk_nextmove))
                self._rows = np.asarray(self._rowbase, dtype=np.int64)
                self._outputs = np.asarray(self.tk_output, dtype=np.int64)

            def _raw_score(self, text: bytes) -> Any:
                data = np.frombuffer(text, dtype=np.uint8).astype(np.int64)
                n = len(data)
                states = np.zeros(n, dtype=np.int64)  # every window starts at the automaton's root
                for back in range(AUTOMATON_DEPTH - 1, 0, -1):  # the byte `back` places before
                    if n > back:
                        states[back:] = self._moves[self._rows[states[back:]] + data[: n - back]]
                states = self._moves[self._rows[states] + data]
                features = self._outputs[states]
                features = features[features >= 0]
                if len(features):
                    return self._sparse_score(Counter(features.tolist()), self.nb_ptc)
                return super()._raw_score(b"")  # no feature: py3langid's own answer for that

        _IDENTIFIER = WindowedIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    return _IDENTIFIER


def content_hash(body: str) -> str:
    """Hash of the body after case, accent-form and punctuation normalization: exact copies across URLs."""
    return hashlib.sha256(" ".join(words(body)).encode("utf-8")).hexdigest()
