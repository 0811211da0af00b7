"""Language detection gives py3langid's own answers, with the same scores, from its numpy walk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from lxml import html as lxml_html
from py3langid import langid

from newsmon.extraction import language
from newsmon.extraction.language import AUTOMATON_DEPTH, detect_language_scored

REPO = Path(__file__).resolve().parents[2]
ROWS = [json.loads(line) for line in (REPO / "eval" / "data" / "topics-multilingual.jsonl").open()]
ROWS += [  # English: the sample site's pages, as text
    {"lang": "en", "title": "", "text": lxml_html.fromstring(p.read_bytes()).text_content()}
    for p in sorted((REPO / "examples" / "site").rglob("*.html"))
]
ODD = [
    "",
    "a",
    "abcde",
    "ab\u00e9cd",
    "   \n\t ",
    "1234567890 — 42",
    "ALL CAPITALS IN A HEADLINE ABOUT TREATIES",
    "日本語の記事の本文です。" * 20,
    "Ελληνικά κείμενα για τη συνθήκη " * 10,
    "emoji 🚀🚀🚀 and text " * 8,
    "x" * 3000,
]


@pytest.fixture(scope="module")
def library() -> langid.LanguageIdentifier:
    return langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)


def test_the_automaton_is_as_deep_as_the_window(library: langid.LanguageIdentifier) -> None:
    """Breadth-first from the root: the deepest state is AUTOMATON_DEPTH bytes away. A deeper model
    would need a longer window; a shallower one only wastes steps."""
    moves = np.asarray(memoryview(library.tk_nextmove))
    rows = np.asarray(library._rowbase, dtype=np.int64)
    seen = np.zeros(len(rows), dtype=bool)
    seen[0] = True
    frontier, depth = np.array([0]), 0
    while True:
        reached = np.unique(moves[(rows[frontier][:, None] + np.arange(256)).ravel()])
        reached = reached[~seen[reached]]
        if not len(reached):
            break
        seen[reached] = True
        frontier, depth = reached, depth + 1
    assert seen.all()
    assert depth == AUTOMATON_DEPTH


@pytest.mark.parametrize("lang", ["en", "es", "fr", "de", "ru", "mixed"])
def test_same_language_and_score_as_py3langid(library: langid.LanguageIdentifier, lang: str) -> None:
    texts = [f"{r['title']}\n{r['text']}" for r in ROWS if r["lang"] == lang or lang == "mixed"]
    if lang == "mixed":  # one text in several languages, and texts cut mid-character
        texts = ["\n".join(texts[::7])[:5000], *(t[: 37 + i] for i, t in enumerate(texts[:40]))]
    assert texts
    for text in texts:
        ours = language.identifier().classify(text)
        assert ours == library.classify(text)
        assert isinstance(ours[1], float)
    if lang != "mixed":
        assert detect_language_scored(texts[0])[0] == lang


@pytest.mark.parametrize("text", ODD, ids=range(len(ODD)))
def test_odd_texts(library: langid.LanguageIdentifier, text: str) -> None:
    assert language.identifier().classify(text) == library.classify(text)
    assert language.identifier().rank(text) == library.rank(text)
