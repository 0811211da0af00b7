"""The source type on the search page and its API: HTML articles and PDF documents, a PDF result
marked as a document with its page count, documents stored before PDFs were read counted as html.
In a real headless browser (Debian's Chromium), as the other page tests."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers.browser import screenshot
from tests.helpers.corpus import corpus_prefix, web_server
from tests.helpers.records import article

pytestmark = pytest.mark.integration

PDF_ID, LEGACY_ID = "pdf-gov-2026-12", "legacy-article"


@pytest.fixture(scope="module")
def site(es_url):
    from elasticsearch import Elasticsearch

    from newsmon.storage import Storage

    with corpus_prefix(es_url) as (prefix, ids), web_server(es_url, prefix) as base:
        with Storage(Elasticsearch(es_url), prefix, es_url) as storage:
            document = article(
                1, id=PDF_ID, title="GOV/2026/12: Verification and monitoring report", content_type="pdf",
                page_count=12, url="https://agency.example/documents/gov-2026-12.pdf",
                canonical_url="https://agency.example/documents/gov-2026-12.pdf", source_domain="agency.example",
                body="Agency inspectors verified the stockpile of enriched uranium and the centrifuge cascades.",
                published_at="2026-03-20T09:00:00Z", language="en",
            )  # fmt: skip
            assert not storage.articles.write([document], replace={}).errors
            # A document as passes stored it before PDFs were read: no content_type, no page_count.
            legacy = article(2, title="Treaty talks resume in Vienna", published_at="2026-03-19T09:00:00Z")
            old = legacy.to_document()
            del old["content_type"], old["page_count"]
            storage.es.index(index=storage.articles.alias, id=LEGACY_ID, document=old)
            storage.articles.refresh()
        yield base, len(ids) + 2


def test_the_api_filters_by_source_type(site):
    base, _ = site
    pdfs = httpx.get(f"{base}/api/search", params={"q": "*", "content_type": "pdf", "size": 50}).json()
    assert [(h["id"], h["content_type"], h["page_count"]) for h in pdfs["hits"]] == [(PDF_ID, "pdf", 12)]
    html = httpx.get(f"{base}/api/search", params={"q": "*", "content_type": "html", "size": 100}).json()
    assert PDF_ID not in {h["id"] for h in html["hits"]} and LEGACY_ID in {h["id"] for h in html["hits"]}
    assert all(h["content_type"] == "html" for h in html["hits"])
    wrong = httpx.get(f"{base}/api/search", params={"q": "*", "content_type": "doc"})
    assert wrong.status_code == 422


@pytest.mark.browser
def test_the_page_marks_pdfs_and_filters_by_source_type(browser, site):
    from selenium.webdriver.common.by import By

    base, stored = site
    browser.get(f"{base}/?include_duplicates=1")
    assert int(browser.find_element(By.ID, "count").get_attribute("data-total")) == stored

    def facet(value: str):
        return browser.find_element(By.CSS_SELECTOR, f'a[data-facet="content_types"][data-value="{value}"]')

    section = browser.find_element(By.CSS_SELECTOR, "section[aria-labelledby=facet-content_types]")
    assert section.find_element(By.TAG_NAME, "h3").get_attribute("textContent") == "Source type"
    assert facet("pdf").find_element(By.CSS_SELECTOR, ".label").text == "PDF documents"
    assert facet("html").find_element(By.CSS_SELECTOR, ".label").text == "HTML articles"
    assert int(facet("pdf").find_element(By.CSS_SELECTOR, ".n").text) == 1
    assert int(facet("html").find_element(By.CSS_SELECTOR, ".n").text) == stored - 1  # the legacy one too

    # The PDF result is marked as a document, with its page count, where a person sees it.
    document = browser.find_element(By.CSS_SELECTOR, f'li.hit[data-article-id="{PDF_ID}"]')
    badge = document.find_element(By.CSS_SELECTOR, '.badge[data-content-type="pdf"]')
    assert badge.is_displayed() and badge.text == "PDF · 12 pages"
    legacy = browser.find_element(By.CSS_SELECTOR, f'li.hit[data-article-id="{LEGACY_ID}"]')
    assert not legacy.find_elements(By.CSS_SELECTOR, ".badge[data-content-type]")
    screenshot(browser, "source-type")

    # PDF documents only: one result, the filter shown as a chip that removes it.
    facet("pdf").click()
    hits = browser.find_elements(By.CSS_SELECTOR, "li.hit[data-article-id]")
    assert [h.get_attribute("data-article-id") for h in hits] == [PDF_ID]
    assert "content_type=pdf" in browser.current_url
    [chip] = [
        a for a in browser.find_elements(By.CSS_SELECTOR, "ul.chips a") if "PDF documents only" in a.text
    ]
    chip.click()
    assert int(browser.find_element(By.ID, "count").get_attribute("data-total")) == stored

    # HTML articles only: every other result, the one stored without a source type among them.
    facet("html").click()
    ids = {h.get_attribute("data-article-id") for h in browser.find_elements(By.CSS_SELECTOR, "li.hit")}
    assert int(browser.find_element(By.ID, "count").get_attribute("data-total")) == stored - 1
    assert PDF_ID not in ids
    # The search box keeps the filter: a new query searches HTML articles only.
    box = browser.find_element(By.ID, "q")
    box.clear()
    box.send_keys("uranium\n")
    assert "content_type=html" in browser.current_url
    assert PDF_ID not in {
        h.get_attribute("data-article-id") for h in browser.find_elements(By.CSS_SELECTOR, "li.hit")
    }
