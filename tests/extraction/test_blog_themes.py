"""Blog-engine header and footer lines (pages written for these tests in the markup of five themes):
no posted-on, byline, counter or taxonomy line reaches the body, and no sentence of the article goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.extraction import clean_text, extract_page

PAGES = Path(__file__).parents[1] / "fixtures" / "blogs"
# The article's own sentences: several open with the words a header line opens with.
PROSE_OPENINGS = [
    "By the end of the second week, negotiators in Vienna",
    "Posted on the border since the spring,",
    "The draft also asks both sides to declare",
    "Updated figures released by the agency on Monday",
    "Filed under a little-known procedure of the board,",
]


@pytest.mark.parametrize("theme", ["wordpress", "ghost", "blogger", "medium", "jekyll"])
def test_theme_header_and_footer_lines_stay_out_of_the_body(theme):
    ext = extract_page((PAGES / f"{theme}.html").read_bytes(), f"https://blog.example/{theme}")
    lines = ext.body.splitlines()
    assert [
        line[: len(opening)] for line, opening in zip(lines, PROSE_OPENINGS, strict=True)
    ] == PROSE_OPENINGS
    assert "Jane Doe" not in ext.body
    assert not any(w in ext.body for w in ("2024", "min read", "Comments", "comments", "Tags", "Labels"))


HEADER_FOOTER_LINES = [
    "Posted on by Jane Doe",  # WordPress: the <time> dropped by the extractor
    "Posted on March 3, 2024 by Jane Doe",
    "By Jane Doe | Updated March 5, 2024",
    "By Jane Doe | March 3, 2024 | 5 min read",
    "Jane Doe · 5 min read · Mar 3, 2024",  # Ghost, Medium
    "Jane Doe · Follow · 5 min read · Mar 3, 2024",
    "Mar 3, 2024 • Jane Doe",  # Jekyll minima
    "Sunday, March 3, 2024",  # Blogger date header
    "Posted by Jane Doe at 10:15 AM 4 comments:",  # Blogger post footer
    "March 3, 2024 by Jane Doe — 12 Comments",
    "Updated 10:32 a.m. EST, March 3, 2024",
    "Last updated: March 5, 2024 at 10:15 am",
    "5 min read",
    "12 Comments",
    "Share 34 Tweet 12 Pin 3",
    "1.2K claps · 18 responses",
    "Email This BlogThis! Share to Twitter Share to Facebook",
    "Tags: arms control, npt",
    "Labels: IAEA, Iran",
    "Filed under: IAEA, Iran, NPT",
    "Filed under Nuclear, Treaties",
    "Categories: Nuclear, Treaties",
]
SENTENCES = [
    "By Monday, Iran had agreed to the draft.",
    "Posted on the border since the spring, the teams counted forty convoys.",
    "Updated figures released by the agency on Monday show the stockpile grew.",
    "Filed under seal, the indictment remains secret",
    "Tags are attached to each cask before it leaves the plant.",
    "March 3, 2024 was the day the treaty entered into force.",
    "Share prices fell 3 percent on Monday.",
    "Labels matter: the treaty calls it a test, Russia calls it an exercise.",
    "Updated at 10:32 the board met again.",
    "President Joe Biden",
]


def test_header_and_footer_lines_go_and_sentences_stay():
    body = [f"Paragraph {n} of the article says what happened at the talks in some detail." for n in range(4)]
    text = "\n".join([*HEADER_FOOTER_LINES[:8], *body, *SENTENCES, *HEADER_FOOTER_LINES[8:]])
    cleaned = clean_text(text)
    assert cleaned.text.splitlines() == body + SENTENCES
    assert cleaned.removed["blog-meta"] + cleaned.removed["posted"] + cleaned.removed["widget-label"] == len(
        HEADER_FOOTER_LINES
    )


def test_a_long_run_of_capitalised_words_is_decided_quickly():
    import time

    line = " ".join(["Alpha", "Beta", "Gamma", "Delta"] * 10) + " end"
    started = time.perf_counter()
    assert clean_text(line).text == line
    assert time.perf_counter() - started < 0.1


@pytest.mark.parametrize(
    "line",
    [
        "segunda-feira, 22 de janeiro de 2018 às 0:13",
        "lunes, 3 de marzo de 2024",
        "3 mars 2024 à 10h15",
        "Montag, 3. März 2024, 10:15 Uhr",
        "Write to Ana Ruiz at ana.ruiz@paper.example",
        "- Order Reprints",
        "- Print Article",
        "An error has occurred, please try again later.",
        "This copy is for your personal, non-commercial use only. To order copies, visit our site.",
    ],
)
def test_datelines_in_other_languages_and_article_tools_go(line):
    body = [
        "The inspectors returned to the plant on Monday after months of talks.",
        "The board meets in March.",
    ]
    cleaned = clean_text("\n".join([body[0], line, body[1]]))
    assert cleaned.text.splitlines() == body


@pytest.mark.parametrize(
    "line",
    [
        "El 3 de marzo de 2024 la junta se reunió de nuevo en Viena.",
        "9.30 A.M. / 7.00 P.M.",  # opening hours in a listing
        "Originally published on Live Science.",
        "Write to your representative at once, the group urged.",
    ],
)
def test_lines_that_only_look_like_furniture_stay(line):
    body = ["The inspectors returned to the plant on Monday after months of talks.", line, "The board meets."]
    assert clean_text("\n".join(body)).text.splitlines() == body
