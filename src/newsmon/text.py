"""Word normalisation shared by cleanup, exact-copy hashes and story fingerprints, and the Unicode
ranges of the scripts that language detection, tagging and search treat apart."""

from __future__ import annotations

import re
import unicodedata

# Character-class ranges (for `[...]` in a regular expression). Han: ideographs with extension A and
# the compatibility block; kana: hiragana, katakana, their phonetic extensions and half-width forms;
# Hangul: syllables, jamo and compatibility jamo; Arabic: the Arabic block, its supplement and the
# presentation forms.
HIRAGANA = "\u3040-\u309f"
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
KANA = HIRAGANA + "\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
HANGUL = "\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f"
ARABIC = "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff"

_WORD = re.compile(r"\w+", re.UNICODE)
_WORD_NO_UNDERSCORE = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str, *, underscores: bool = True) -> list[str]:
    """Case-, accent-form- and punctuation-insensitive words: two renderings of a text compare equal.

    Cleanup rules compare lines without underscores, so that a "____" rule is no word.
    """
    pattern = _WORD if underscores else _WORD_NO_UNDERSCORE
    return pattern.findall(unicodedata.normalize("NFKC", text).casefold())
