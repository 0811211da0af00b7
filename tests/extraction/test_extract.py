"""extract_page: text, cleanup, fallbacks and metadata, on the offline sample site and on pages
written for these tests (tests/fixtures/extraction)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html

from newsmon.cli import main as cli_main
from newsmon.extraction import MIN_ARTICLE_CHARS, extract_page, line_key
from newsmon.extraction import body as extraction_body
from newsmon.extraction.page_facts import text_of

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "examples" / "site"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "extraction"
SCRAPER_PAGE = SITE / "scraper/2021/10/01/control-of-the-proliferation-of-arms.html"
OUTLET_PAGE = SITE / "outlet/2021/09/30/geneva-strategic-stability-round.html"
BASE = "http://127.0.0.1:8765"
NOW = datetime(2024, 12, 1, tzinfo=UTC)


def served(path: Path) -> bytes:
    """The page as the sample-site server sends it."""
    return path.read_bytes().replace(b"{{BASE}}", BASE.encode())


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def keys(text: str) -> list[str]:
    return [line_key(line) for line in text.splitlines()]


def paragraphs(page: bytes, xpath: str) -> list[str]:
    return [p.text_content() for p in lxml_html.fromstring(page).xpath(xpath)]


def assert_has_all(body: str, wanted: list[str]) -> None:
    have = set(keys(body))
    missing = [p for p in wanted if line_key(p) not in have]
    assert not missing, f"{len(missing)} paragraph(s) missing, first: {missing[0]!r}"


# --- the sample site: the seed story and its scraped copy ----------------------------------------


def test_scraped_copy_of_the_seed_comes_out_clean() -> None:
    page = served(SCRAPER_PAGE)
    ext = extract_page(
        page, f"{BASE}/scraper/2021/10/01/control-of-the-proliferation-of-arms.html?fbclid=IwAR0abc"
    )
    body = ext.body
    assert ext.is_article
    assert "[ad_" not in body
    assert "Source link" not in body
    assert "Read on" not in body
    listed = paragraphs(page, "//div[@class='entry-content']/p[a]")
    assert listed and not set(keys(body)) & {line_key(p) for p in listed}
    long_lines = [k for k in keys(body) if len(k.split()) >= 4]
    assert len(long_lines) == len(set(long_lines)), "a caption is printed twice"
    story = [
        p for p in paragraphs(page, "//div[@class='entry-content']/p[not(a)]")
        if not p.startswith("[") and not p.endswith(":")
    ]  # fmt: skip
    assert_has_all(body, story)
    assert ext.published_at == "2021-10-01T02:14:37Z"
    assert ext.canonical_url == f"{BASE}/scraper/2021/10/01/control-of-the-proliferation-of-arms.html"
    assert {"markers", "repeated", "link-list"} <= set(ext.cleanup)


def test_extract_command_prints_the_clean_copy(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["extract", str(SCRAPER_PAGE), "--jsonl"]) == 0
    record = json.loads(capsys.readouterr().out)
    for key in ("title", "body", "authors", "published_at", "language", "canonical_url", "method", "teaser"):
        assert key in record
    body = record["body"]
    assert "[ad_1]" not in body and "Source link" not in body and "Read on:" not in body
    assert record["language"] == "en"


def test_outlet_original_keeps_its_whole_story_and_its_hour() -> None:
    page = served(OUTLET_PAGE)
    ext = extract_page(
        page, f"{BASE}/outlet/2021/09/30/geneva-strategic-stability-round.html?utm_source=rss&utm_medium=feed"
    )
    assert_has_all(ext.body, paragraphs(page, "//div[@class='story-body']/p"))
    assert ext.published_at == "2021-09-30T18:20:00Z"  # the page's article:published_time, not midnight
    assert ext.canonical_url == f"{BASE}/outlet/2021/09/30/geneva-strategic-stability-round.html"
    assert ext.site_name == "Meridian Wire"
    assert ext.authors == ["Meridian Wire World Desk"]
    assert ext.method == "trafilatura" and not ext.teaser


@pytest.mark.parametrize(
    ("path", "xpath"),
    [
        ("outlet/2021/09/28/beyond-the-nuclear-family.html", "//div[@class='story-body']/p"),
        ("outlet/2021/09/29/harbour-city-stun-northvale-cup.html", "//div[@class='story-body']/p"),
        ("outlet/2021/10/01/shares-slip-as-bond-yields-climb.html", "//div[@class='story-body']/p"),
        ("faults/good-article.html", "//article/p[not(@class)]"),
    ],
)
def test_ordinary_pages_extract_fully(path: str, xpath: str) -> None:
    page = served(SITE / path)
    ext = extract_page(page, f"{BASE}/{path}")
    assert ext.is_article and ext.language == "en" and ext.title
    assert_has_all(ext.body, paragraphs(page, xpath))
    assert set(ext.cleanup) <= {"title"}, ext.cleanup


# --- pages written for these tests ------------------------------------------------------------------


def test_scraper_debris_goes_and_the_story_stays() -> None:
    page = fixture("scraper-copy.html")
    ext = extract_page(
        page, "https://pulsefeed.example/2024/03/06/inspectors-return-to-kestrel/?utm_source=x"
    )
    body = ext.body
    for debris in ("[ad_", "Source link", "Read more", "Posted on", "Ferry strike ends"):
        assert debris not in body
    captions = [k for k in keys(body) if k.startswith("the agency s chief inspector")]
    assert len(captions) == 1
    assert body.splitlines()[-1].startswith("A report on the visit is due")
    assert len(body.splitlines()) == 8
    assert ext.description == "Inspectors in white overalls walk past a row of sealed cylinders"
    assert ext.canonical_url == "https://pulsefeed.example/2024/03/06/inspectors-return-to-kestrel/"


def test_without_cleanup_the_debris_stays() -> None:
    ext = extract_page(fixture("scraper-copy.html"), None, clean=False)
    assert "[ad_1]" in ext.body and "Read more:" in ext.body
    assert ext.cleanup == {}


def test_story_split_over_containers_is_joined_but_not_the_next_story() -> None:
    page = fixture("split-body.html")
    ext = extract_page(page, "https://ledger.example/security/missile-test-hotline")
    assert ext.method == "trafilatura+sections"
    assert_has_all(ext.body, paragraphs(page, "//article[contains(@class, 'main-story')]//p[not(@class)]"))
    assert "Orchard growers" not in ext.body and "late frost" not in ext.body
    assert "Advertisement" not in ext.body


def test_page_declared_time_with_offset_and_relative_canonical() -> None:
    ext = extract_page(
        fixture("dated.html"),
        "https://baycourier.example/world/2024/03/05/naval-exercise-notice?utm_source=rss",
    )
    assert ext.published_at == "2024-03-05T07:15:00Z"
    assert ext.canonical_url == "https://baycourier.example/world/2024/03/05/naval-exercise-notice"
    assert ext.authors == ["Lotte Brandsma"]
    assert ext.site_name == "Bay Courier"
    assert ext.title == "Coastal states agree on a shared notice for naval exercises"
    assert not ext.body.startswith(ext.title)


def test_date_in_the_future_is_ignored() -> None:
    page = fixture("dated.html").replace(b"2024-03-05T09:15:00+02:00", b"2031-01-01T00:00:00Z")
    ext = extract_page(page, "https://baycourier.example/world/2024/03/05/naval-exercise-notice", now=NOW)
    assert ext.published_at is None or ext.published_at < NOW.isoformat()
    assert any("in the future" in n for n in ext.notes)


def test_canonical_on_another_site_is_ignored() -> None:
    page = fixture("dated.html").replace(b'href="/world/', b'href="https://aggregator.example/world/')
    ext = extract_page(page, "https://baycourier.example/world/2024/03/05/naval-exercise-notice")
    assert ext.canonical_url is None
    assert any("another site" in n for n in ext.notes)


def test_headline_list_is_not_an_article() -> None:
    ext = extract_page(fixture("section-front.html"), "https://baycourier.example/world")
    assert not ext.is_article
    assert any(n.startswith("not an article") for n in ext.notes)


def test_app_shell_takes_the_json_ld_body_with_its_paragraphs() -> None:
    ext = extract_page(fixture("app-shell.html"), "https://riversidepost.example/2024/02/19/test-ban-review")
    assert ext.method == "json-ld"
    assert ext.is_article
    assert len(ext.body.splitlines()) == 3
    assert ext.published_at == "2024-02-19T15:30:00Z"


def test_paywalled_page_with_the_whole_story_in_json_ld() -> None:
    ext = extract_page(
        fixture("paywalled.html"),
        "https://capitalrecord.example/defence/2024/06/02/warhead-maintenance-budget",
    )
    assert ext.method == "json-ld"
    assert "maintenance costs rise with age" in ext.body  # only in the JSON-LD
    assert not ext.teaser  # the stored body is the whole story
    assert any("isAccessibleForFree" in n for n in ext.notes)
    assert ext.published_at == "2024-06-02T10:00:00Z"


def test_paywalled_page_without_json_ld_body_is_a_teaser() -> None:
    page = fixture("paywalled.html")
    start = page.index(b'"articleBody"')
    page = page[:start] + page[page.index(b'"hasPart"') :]
    ext = extract_page(page, None)
    assert ext.method == "trafilatura"
    assert ext.teaser and ext.is_article
    assert any("isAccessibleForFree is false" in n for n in ext.notes)


def test_paywall_box_and_prompt_make_a_teaser_and_the_prompt_goes() -> None:
    ext = extract_page(fixture("metered.html"), None)
    assert ext.teaser
    assert "subscribers only" not in ext.body
    assert ext.cleanup.get("paywall") == 1


def test_hidden_paywall_template_is_not_a_teaser() -> None:
    page = fixture("metered.html").replace(b'<div class="meter-wall">', b'<div class="meter-wall" hidden>')
    page = page.replace(
        b"<p>This article is for subscribers only. Already a subscriber? Sign in to keep reading.</p>", b""
    )
    assert not extract_page(page, None).teaser


def test_body_much_shorter_than_the_feed_summary_is_a_teaser() -> None:
    page = fixture("dated.html")
    body = extract_page(page, None).body
    assert not extract_page(
        page, None, feed_summary="<p>Six coastal states agreed on a shared notice.</p>"
    ).teaser
    long_summary = "<p>" + " ".join([body] * 3) + "</p>"
    assert extract_page(page, None, feed_summary=long_summary).teaser


def test_fallbacks_run_in_order_and_the_winner_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    prose = (
        "Inspectors counted the sealed cylinders twice and found the numbers matched the declaration. " * 4
    )

    def fake(html: bytes | str, url: str | None, **options: object) -> str:
        calls.append(options)
        return prose if options.get("favor_recall") else ""

    monkeypatch.setattr(extraction_body, "_trafilatura_text", fake)
    ext = extract_page(fixture("section-front.html"), None)
    assert calls == [{}, {"favor_recall": True}]
    assert ext.method == "trafilatura-recall" and ext.is_article
    assert any("trafilatura-recall used instead" in n for n in ext.notes)


def test_no_html_is_not_an_article() -> None:
    ext = extract_page(b"", None)
    assert not ext.is_article and ext.body == ""


def test_short_page_is_not_an_article() -> None:
    page = b"<html><body><article><h1>Brief</h1><p>The meeting was postponed.</p></article></body></html>"
    ext = extract_page(page, None)
    assert not ext.is_article and ext.chars < MIN_ARTICLE_CHARS


def test_a_page_extracts_the_same_whatever_was_extracted_before() -> None:
    """What extraction remembers between pages (the line keys, the language model) never changes
    a page's result: the same pages in the other order, from a cold start, give the same results."""
    pages = [
        (served(SCRAPER_PAGE), f"{BASE}/scraper/a.html"),
        (served(OUTLET_PAGE), f"{BASE}/outlet/b.html"),
        *((fixture(name), f"https://news.example.org/{name}") for name in sorted(os.listdir(FIXTURES))),
    ]
    forward = [asdict(extract_page(page, url, now=NOW)) for page, url in pages]
    line_key.cache_clear()
    backward = [asdict(extract_page(page, url, now=NOW)) for page, url in reversed(pages)]
    assert forward == backward[::-1]
    assert line_key.cache_info().hits > 0


def test_text_of_an_element_is_its_text_content() -> None:
    pages = [served(SCRAPER_PAGE), served(OUTLET_PAGE), *(fixture(n) for n in sorted(os.listdir(FIXTURES)))]
    pages.append(
        b"<html><body><a>one <!-- note --> two</a><p>x<?pi y?>z</p><a></a><a><b></b></a></body></html>"
    )
    for page in pages:
        tree = lxml_html.fromstring(page)  # comments and processing instructions kept
        elements = [el for el in tree.iter() if isinstance(el.tag, str)]
        assert elements
        for el in elements:
            assert text_of(el) == el.text_content()
