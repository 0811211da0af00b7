"""The search page in a real browser: Debian's headless Chromium driven by Selenium against
`newsmon web` on loopback, over articles indexed in the test's own prefix.

scripts/test installs the browser (scripts/ensure-browser); the screenshot of the results page is
kept in NEWSMON_TEST_ARTIFACTS (.local/test-artifacts/) for a person to look at.
"""

from __future__ import annotations

import pytest

from tests.helpers.browser import screenshot
from tests.helpers.corpus import corpus_prefix, web_server

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture(scope="module")
def site(es_url):
    with corpus_prefix(es_url) as (prefix, ids), web_server(es_url, prefix) as base:
        yield base, ids


def test_search_filter_cluster_pages_and_syntax_error(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, ids = site
    browser.get(f"{base}/")
    assert browser.find_element(By.TAG_NAME, "main")  # landmarks: banner, search, complementary, main

    # Search, the way a person does: type in the labelled box and press Enter.
    box = browser.find_element(By.CSS_SELECTOR, "label[for=q] ~ input#q")
    box.send_keys("nuclear OR missile* OR weapons OR armes OR rüstungskontrolle", Keys.ENTER)
    total = int(browser.find_element(By.ID, "count").get_attribute("data-total"))
    results = browser.find_elements(By.CSS_SELECTOR, "li.hit[data-article-id]")
    assert total > 10 and len(results) == 10

    screenshot(browser, "search-results")

    # Filter by a subtopic: the count in the facet is the number of results afterwards.
    link = browser.find_element(
        By.CSS_SELECTOR, 'a[data-facet="subtopics"][data-value="arms_control.strategic_stability"]'
    )
    count = int(link.find_element(By.CSS_SELECTOR, ".n").text)
    assert 1 < count < total
    link.click()
    narrowed = browser.find_elements(By.CSS_SELECTOR, "li.hit[data-article-id]")
    assert len(narrowed) == count == int(browser.find_element(By.ID, "count").get_attribute("data-total"))
    assert browser.find_element(By.CSS_SELECTOR, 'a[data-facet="subtopics"][aria-current="true"]')

    # Open the story cluster: its copies appear, with their outlets.
    story = browser.find_element(By.CSS_SELECTOR, f'li.hit[data-article-id="{ids["geneva"]}"]')
    copies = story.find_element(By.CSS_SELECTOR, "details.copies")
    assert not copies.find_element(By.CSS_SELECTOR, f'[data-copy-id="{ids["geneva-copy-1"]}"]').is_displayed()
    summary = copies.find_element(By.TAG_NAME, "summary")
    assert summary.text == "Carried by 3 outlets"
    summary.send_keys(Keys.ENTER)  # keyboard, not a mouse: the disclosure is a real control
    shown = [li for li in copies.find_elements(By.CSS_SELECTOR, "[data-copy-id]") if li.is_displayed()]
    assert {li.get_attribute("data-copy-id") for li in shown} == {ids["geneva-copy-1"], ids["geneva-copy-2"]}
    assert "harbourpost.example" in copies.text and "scraper-blog.example" in copies.text

    # Follow a page of results.
    browser.get(f"{base}/?q=*")
    first = [e.get_attribute("data-article-id") for e in browser.find_elements(By.CSS_SELECTOR, "li.hit")]
    browser.find_element(By.LINK_TEXT, "Next page →").click()
    second = [e.get_attribute("data-article-id") for e in browser.find_elements(By.CSS_SELECTOR, "li.hit")]
    assert len(first) == 10 and len(second) == 2 and not set(first) & set(second)
    assert "Page 2 of 2" in browser.find_element(By.CSS_SELECTOR, "nav.pages").text

    # A Lucene syntax error, in words, with the query kept for correcting.
    box = browser.find_element(By.ID, "q")
    box.clear()
    box.send_keys('"New START AND (inspections', Keys.ENTER)
    alert = browser.find_element(By.CSS_SELECTOR, '[role="alert"]')
    assert "could not be read" in alert.text and "quotation mark" in alert.text
    assert "Traceback" not in browser.page_source
    assert browser.find_element(By.ID, "q").get_attribute("value") == '"New START AND (inspections'


def test_keyboard_focus_is_visible(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, _ids = site
    browser.get(f"{base}/?q=Geneva")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # the skip link comes first
    active = browser.switch_to.active_element
    assert active.text == "Skip to results"
    outline = browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle", active)
    assert outline == "solid"
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("/")  # app.js: "/" goes to the query box
    assert browser.switch_to.active_element.get_attribute("id") == "q"
