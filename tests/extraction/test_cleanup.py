"""Cleanup line rules on texts written for these tests: what goes, and what must stay."""

from __future__ import annotations

import random

import pytest

from newsmon.extraction import clean_text, line_key, link_keys, strip_markers
from newsmon.extraction.cleanup_rules import BULLET
from newsmon.text import words

STORY = [
    "Delegates at the conference on naval confidence-building agreed on Wednesday to exchange annual plans.",
    "The exchange will cover the number of exercises each navy expects to hold and the areas it will use.",
    "Two delegations asked for submarines to be included, a proposal the others agreed to study before May.",
    "The next session is scheduled for the spring, in the same building and under the same chair.",
]


def lines(text: str) -> list[str]:
    return text.splitlines()


def test_clean_story_is_left_alone() -> None:
    cleaned = clean_text("\n".join(STORY))
    assert lines(cleaned.text) == STORY
    assert not cleaned.removed
    assert cleaned.note() is None


# --- scraper markers ------------------------------------------------------------------------------


def test_shortcode_markers_go_as_lines_and_inline() -> None:
    text = "\n".join(["[ad_1]", STORY[0], f"{STORY[1]} [ad_3]", "[/embed]", STORY[2], "[ad]", "[ad_2]"])
    cleaned = clean_text(text)
    assert lines(cleaned.text) == STORY[:3]
    assert cleaned.removed["markers"] == 5


def test_shortcode_with_attributes_keeps_its_label() -> None:
    cleaned = clean_text('[button link="https://x.example/join" size="big"]Join the panel[/button]')
    assert cleaned.text == "Join the panel"


@pytest.mark.parametrize(
    "line",
    [
        "“We will [not] accept that wording,” the envoy said.",
        "The minister called the draft “a basis for [the] talks” [sic] on Tuesday.",
        "The ceasefire held through the night. [1]",
        "[Reuters]",
        "[COVID-19] restrictions delayed the inspection by a month.",
    ],
)
def test_editorial_brackets_stay(line: str) -> None:
    assert clean_text(line).text == line


def test_strip_markers_on_a_description() -> None:
    assert strip_markers("[ad_1] Inspectors returned to the site") == "Inspectors returned to the site"


# --- source links, labels, prompts -----------------------------------------------------------------


@pytest.mark.parametrize(
    "line", ["Source link", "Source Link", "View original post", "Read the full article here"]
)
def test_source_link_lines_go(line: str) -> None:
    cleaned = clean_text("\n".join([*STORY, line]))
    assert lines(cleaned.text) == STORY
    assert cleaned.removed["source-link"] == 1


def test_source_credit_stays() -> None:
    assert lines(clean_text("\n".join([*STORY, "Source: Reuters"])).text)[-1] == "Source: Reuters"


@pytest.mark.parametrize(
    "line",
    [
        "Advertisement",
        "Story continues below advertisement",
        "Share this article",
        "Like this story? Share it with a friend!",
        "Click to share on Facebook (Opens in new window)",
        "Sign up for our morning briefing newsletter",
        "CLICK HERE TO GET THE APP",
        "Follow the Harbour Herald on Twitter and Facebook.",
        "© 2024 Harbour Herald. All rights reserved.",
        "https://harbourherald.example/world/story-123",
        "3 comments",
        "Leave a reply",
    ],
)
def test_site_furniture_lines_go(line: str) -> None:
    cleaned = clean_text("\n".join([STORY[0], line, STORY[1]]))
    assert lines(cleaned.text) == STORY[:2]


def test_prose_mentioning_newsletters_and_links_stays() -> None:
    prose = (
        "The ministry said more than 40,000 people had signed up for its weekly newsletter on treaty "
        "compliance since it was launched in January, far more than officials had expected, and that a "
        "version in three more languages would follow before the review conference opens."
    )
    assert clean_text(prose).text == prose


# --- repeated lines ---------------------------------------------------------------------------------


def test_caption_printed_twice_goes_even_with_other_spaces_and_quotes() -> None:
    caption = (
        "The agency's chief inspector at the Vienna headquarters in a file image (Photo: Lakeside Images)"
    )
    variant = (
        "The agency’s  chief inspector at the Vienna headquarters  in a file image (Photo: Lakeside Images)"
    )
    cleaned = clean_text("\n".join([STORY[0], caption, variant, STORY[1]]))
    assert lines(cleaned.text) == [STORY[0], caption, STORY[1]]
    assert cleaned.removed["repeated"] == 1


def test_rows_repeated_further_apart_stay() -> None:
    plan = ["Day 1", "Breakfast: two eggs and a slice of rye toast", "Walk for thirty minutes after lunch"]
    plan2 = ["Day 2", "Breakfast: two eggs and a slice of rye toast", "Walk for thirty minutes after lunch"]
    assert lines(clean_text("\n".join(plan + plan2)).text) == plan + plan2


def test_short_repeated_answers_stay() -> None:
    text = "Did the talks fail?\nNo.\nNo.\nWill they resume?\nYes."
    assert clean_text(text).text == text


# --- trailing link lists ----------------------------------------------------------------------------

HEADLINES = [
    "Ferry strike ends after four days as unions accept new rota",
    "Grain prices fall for a third week as harvest forecasts improve",
    "City museum reopens its glass gallery after a decade of repairs.",
]


@pytest.mark.parametrize(
    "heading", ["Read on:", "Read more:", "Related", "Related stories", "See also", "Leggi anche:"]
)
def test_trailing_list_under_a_heading_goes(heading: str) -> None:
    cleaned = clean_text("\n".join([*STORY, heading, *HEADLINES]))
    assert lines(cleaned.text) == STORY
    assert cleaned.removed["link-list"] == 1 + len(HEADLINES)


def test_stacked_lists_and_scraper_debris_all_go() -> None:
    text = "\n".join(
        ["[ad_1]", *STORY, "Read on:", *HEADLINES[:2], "Most read", HEADLINES[2], "[ad_2]", "Source link"]
    )
    assert lines(clean_text(text).text) == STORY


def test_heading_word_inside_the_story_stays() -> None:
    text = "\n".join([STORY[0], "Related", STORY[1], STORY[2], STORY[3]])
    assert lines(clean_text(text).text) == [STORY[0], "Related", *STORY[1:]]


def test_a_list_longer_than_the_story_is_not_cut() -> None:
    text = "\n".join(["Short intro.", "See also", *HEADLINES])
    assert clean_text(text).text == text


def test_trailing_links_without_heading_go_only_when_they_are_links_on_the_page() -> None:
    text = "\n".join([*STORY, "Elsewhere in the paper", *(f"- {h}" for h in HEADLINES)])
    assert clean_text(text).text == text  # no page to tell that these are links
    cleaned = clean_text(text, link_texts=link_keys(HEADLINES))
    assert lines(cleaned.text) == STORY


def test_inline_promo_goes_but_prose_after_related_stays() -> None:
    promo = f"Read more: {HEADLINES[0]}"
    prose = (
        "Related: the inspectors also visited a second site on Thursday. They found its cameras working. "
        "The operator said it had replaced them in the spring."
    )
    cleaned = clean_text("\n".join([STORY[0], promo, STORY[1], prose]))
    assert lines(cleaned.text) == [STORY[0], STORY[1], prose]
    assert cleaned.removed["promo"] == 1


# --- bylines and datelines --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Posted on March 6, 2024 by admin",
        "Posted on 6 March 2024",
        "Posted in World, Politics",
        "Posted by editor",
        "Updated at 1:23 p.m.",
        "Published: 2024-03-06 10:41",
        "Last updated on Tue., Nov. 19, 2019",
    ],
)
def test_posted_on_lines_go(line: str) -> None:
    cleaned = clean_text("\n".join([STORY[0], line, STORY[1]]))
    assert lines(cleaned.text) == STORY[:2]
    assert cleaned.removed["posted"] + cleaned.removed["blog-meta"] == 1  # taxonomy lists are blog-meta


def test_posted_on_glued_to_a_paragraph_goes() -> None:
    cleaned = clean_text(f"Posted on March 6, 2024 by admin {STORY[0]}")
    assert cleaned.text == STORY[0]


def test_sentences_starting_with_posted_stay() -> None:
    text = "Posted by a user on a video site, the clip of the launch drew two million views within a day."
    assert clean_text(text).text == text


def test_byline_at_the_top_goes_but_not_further_down() -> None:
    text = "\n".join(["By Ines Marchetti", *STORY, "By Tuesday"])
    cleaned = clean_text(text)
    assert lines(cleaned.text) == [*STORY, "By Tuesday"]
    assert cleaned.removed["byline"] == 1


# --- title and paywall ------------------------------------------------------------------------------


def test_leading_title_goes_with_site_suffix_or_section_prefix() -> None:
    title = "Analysis | Navies agree to swap exercise plans - Harbour Herald"
    cleaned = clean_text("\n".join(["Navies agree to swap exercise plans", *STORY]), titles=[title])
    assert lines(cleaned.text) == STORY
    assert cleaned.note() is None  # the title goes on every page: not worth a note


def test_first_paragraph_that_starts_like_the_title_stays() -> None:
    first = "Navies agree to swap exercise plans, officials said, after two days of talks in the port city."
    text = "\n".join([first, *STORY])
    assert clean_text(text, titles=["Navies agree to swap exercise plans"]).text == text


@pytest.mark.parametrize(
    "line",
    [
        "Subscribe to continue reading",
        "This article is for subscribers only.",
        "You have reached your limit of free articles.",
        "To continue reading, please subscribe.",
    ],
)
def test_paywall_prompts_go_and_are_reported(line: str) -> None:
    cleaned = clean_text("\n".join([STORY[0], line]))
    assert cleaned.text == STORY[0]
    assert cleaned.paywall


def test_link_keys_ignore_case_punctuation_and_bullets() -> None:
    keys = link_keys(["Ferry strike ends — after four days"])
    assert line_key("- ferry strike ends after four days") in keys


def test_line_key_of_ascii_text_is_its_words() -> None:
    """ASCII lines take a shorter way to their key: the same words as any other line."""
    rng = random.Random(7)
    texts = [
        "",
        "  - Read more: the Treaty_of_Rome (1957)!",
        "ABC\tdef\x0bghi",
        "".join(map(chr, range(128))),
    ]
    texts += [
        "".join(rng.choice("aZ09_ -.,:\t\n\x00\x7f'\"") for _ in range(rng.randint(0, 40)))
        for _ in range(3000)
    ]
    for text in texts:
        expected = " ".join(words(BULLET.sub("", text.strip()), underscores=False))
        assert line_key.__wrapped__(text) == expected, repr(text)
    assert line_key("Café — “Zürich”") == "café zürich"  # the other way, for the rest
