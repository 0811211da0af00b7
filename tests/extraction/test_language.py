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


# Titles and short summaries: the script decides where n-grams cannot.
SHORT = [
    ("zh", "朝鲜试射洲际弹道导弹"),
    ("zh", "美朝峰會無協議"),  # traditional characters
    ("zh", "索尼（ソニー）公司宣布在中国建设新的工厂"),  # a Japanese name in katakana
    ("ja", "北朝鮮が弾道ミサイルを発射"),
    ("ja", "核兵器禁止条約に署名へ"),
    ("ja", "北朝鮮ミサイル発射"),  # no hiragana
    ("ko", "북한, 탄도미사일 발사"),
    ("ko", "IAEA 사무총장 방북"),
    ("ar", "الوكالة الدولية للطاقة الذرية تنتقد إيران"),
    ("ar", "إيران ترفع التخصيب"),
    ("fa", "آژانس بین‌المللی انرژی اتمی از ایران انتقاد کرد"),
    ("fa", "برجام و تحریم‌ها"),
    ("uk", "МАГАТЕ критикує Іран"),
    ("uk", "Київ відповів Москві"),
    ("ru", "МАГАТЭ критикует Иран"),
    ("ru", "Россия вышла из договора"),
]


@pytest.mark.parametrize(("lang", "title"), SHORT, ids=[f"{lang}-{n}" for n, (lang, _) in enumerate(SHORT)])
def test_short_titles_by_script(lang: str, title: str) -> None:
    assert detect_language_scored(title) == (lang, 1.0)


@pytest.mark.parametrize(
    "text",
    [
        "България и Русия подписаха договор",  # Bulgarian: neither Ukrainian nor Russian letters
        "Беларусь: ў і ы",  # Belarusian
        "پاکستان کے وزیر اعظم نے کہا",  # Urdu
        "Iran, l'AIEA critica Teheran",  # Latin: the model's business
    ],
)
def test_script_leaves_the_rest_to_the_model(text: str) -> None:
    assert language.script_language(text) is None


def test_declared_language_wins_when_detection_is_unsure() -> None:
    from newsmon.extraction import extract_page

    # Names only: the model's best guess is some other language, at a low probability.
    page = (
        "<html lang='it-IT'><head><title>Natanz, Fordow e Arak: AIEA a Teheran</title></head>"
        "<body><article><p>Grossi: Iran, AIEA, Natanz. Teheran no.</p></article></body></html>"
    )
    ext = extract_page(page, "https://example.org/a")
    assert ext.declared_language == "it"
    assert ext.language_score < language.LANGUAGE_SURE
    assert ext.language == "it"
    # A page of Korean text that declares English is Korean: the script makes detection sure.
    korean = page.replace(
        "Grossi: Iran, AIEA, Natanz. Teheran no.", "북한이 대륙간탄도미사일을 발사했다고 밝혔다. " * 3
    )
    korean = korean.replace("Natanz, Fordow e Arak: AIEA a Teheran", "북한 미사일 발사").replace(
        "it-IT", "en"
    )
    assert extract_page(korean, "https://example.org/k").language == "ko"
