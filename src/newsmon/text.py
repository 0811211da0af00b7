"""Word normalisation shared by cleanup, exact-copy hashes and story fingerprints."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
_WORD_NO_UNDERSCORE = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str, *, underscores: bool = True) -> list[str]:
    """Case-, accent-form- and punctuation-insensitive words: two renderings of a text compare equal.

    Cleanup rules compare lines without underscores, so that a "____" rule is no word.
    """
    pattern = _WORD if underscores else _WORD_NO_UNDERSCORE
    return pattern.findall(unicodedata.normalize("NFKC", text).casefold())
