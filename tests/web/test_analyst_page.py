"""An analyst's whole flow on the search page in headless Chromium: search, "Alert me on this
search", the preview, save; a monitoring pass (the real `newsmon.run` against a loopback feed
server) brings a matching story, delivered once to a loopback SMTP server and listed on the page;
edit, pause (the next matching story sends nothing), and export the results as CSV. `newsmon web`
runs as a user starts it, on the real Elasticsearch. A screenshot of each step goes to
NEWSMON_TEST_ARTIFACTS (default .local/test-artifacts/), under analyst-flow/.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
import pytest

from newsmon import clock
from newsmon.alerts.service import sync
from newsmon.run import run_pass
from newsmon.storage import Storage
from newsmon.storage.pending import PENDING_ALERT, PENDING_CLUSTER
from tests.helpers.analysts import ALERTS_YAML, story
from tests.helpers.browser import analyst_ready, downloaded, screenshot, wait_for
from tests.helpers.corpus import web_server
from tests.helpers.servers import FeedServer, Reply, rss

pytestmark = [pytest.mark.integration, pytest.mark.browser]
SUBTOPIC = "arms_control.nonproliferation"
# Two stories the pass brings, each of its own words (copies of one story would make one alert).
ZONE = (
    "Tlatelolco treaty states review the nuclear-weapon-free zone",
    "Delegations to the Treaty of Tlatelolco met in Mexico City to review the nuclear-weapon-free zone. "
    "Arms control experts said that non-proliferation and the verification of disarmament remain central "
    "to the treaty, and asked the agency for regular reports on safeguards in Latin America.",
)
INSPECTORS = (
    "Tlatelolco inspectors report on the zone",
    "Inspectors of OPANAL, the Tlatelolco agency, published their yearly findings on Tuesday. Their "
    "account of nuclear proliferation risks in the Caribbean names two research reactors, counts the "
    "fuel they hold and thanks the governments that opened every site to the visiting teams.",
)


def story_page(title: str, text: str) -> Reply:
    sentences = text.split(". ")
    paragraphs = "".join(f"<p>{'. '.join(sentences[i:] + sentences[:i])}</p>" for i in range(len(sentences)))
    html = (f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{paragraphs}</article></body></html>")  # fmt: skip
    return 200, {"Content-Type": "text/html; charset=utf-8"}, html.encode()


@pytest.fixture
def feeds():
    server = FeedServer()
    server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(server.base, []))
    yield server
    server.close()


def publish(feeds: FeedServer, pages: dict[str, tuple[str, str]]) -> None:
    """Put story pages on the loopback site and list them all in its feed."""
    for path, (title, text) in pages.items():
        feeds.routes[path] = story_page(title, text)
    links = [f"{feeds.base}{p}" for p in feeds.routes if p.endswith(".html")]
    feeds.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(feeds.base, links))


@pytest.fixture
def world(settings_for, es_url, feeds, smtp_sink, tmp_path, monkeypatch):
    """Settings of a deployment on loopback (its feed, alerts.yaml with a mail channel, the SMTP
    sink), stories already stored, and `newsmon web` serving it; yields (settings, storage, base)."""
    smtp_sink.start()
    alerts = tmp_path / "alerts.yaml"
    alerts.write_text(ALERTS_YAML, encoding="utf-8")
    for key, value in {
        "NEWSMON_ALERTS_FILE": str(alerts), "NEWSMON_SMTP_HOST": "127.0.0.1", "NEWSMON_SMTP_PORT": str(smtp_sink.port),
        "NEWSMON_SMTP_FROM": "newsmon@example.org", "NEWSMON_ALERT_RETRY_DELAYS": "0.05",
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    settings = settings_for(f'feeds:\n  - {{id: zone-news, url: "{feeds.base}/feed.xml"}}\n')
    both = ["arms_control", SUBTOPIC]
    with Storage.from_settings(settings) as storage:
        storage.setup()
        sync(storage, settings)
        storage.articles.write([
            story(1, "Tlatelolco treaty parties meet", "Tlatelolco treaty parties met on safeguards.", 2, topics=both),
            story(2, "Tlatelolco zone review", "The Tlatelolco zone review opened in Mexico City.", 5, topics=both),
            story(3, "Tlatelolco anniversary", "A concert marked the Tlatelolco anniversary.", 3, topics=["arms_control"]),
            story(4, "Geneva talks", "Negotiators met in Geneva on verification.", 1, topics=both),
        ], {})  # fmt: skip
        for flag in (PENDING_CLUSTER, PENDING_ALERT):  # stored by earlier passes, long done
            storage.pending.clear(["s1", "s2", "s3", "s4"], flag)
        storage.articles.refresh()
        with web_server(es_url, settings.index_prefix) as base:
            yield settings, storage, base


def test_search_alert_preview_save_deliver_edit_pause_and_export(browser, world, feeds, smtp_sink):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    settings, storage, base = world
    css = browser.find_element
    shot = lambda name: screenshot(browser, name, "analyst-flow")  # noqa: E731

    # 1. Search, then narrow to a subtopic: the page shows the two stories that have it.
    browser.get(f"{base}/")
    analyst_ready(browser)
    css(By.ID, "q").send_keys("Tlatelolco", Keys.ENTER)
    analyst_ready(browser, "q=Tlatelolco")
    css(By.CSS_SELECTOR, f'a[data-facet="subtopics"][data-value="{SUBTOPIC}"]').click()
    analyst_ready(browser, f"topic={SUBTOPIC}")
    shown = int(css(By.ID, "count").get_attribute("data-total"))
    results = {e.get_attribute("data-article-id") for e in browser.find_elements(By.CSS_SELECTOR, "li.hit")}
    assert shown == 2 and results == {"s1", "s2"}
    shot("01-search")

    # 2. "Alert me on this search": the preview shows the stories it would have sent, as the search.
    css(By.ID, "alert-me").click()
    dialog = css(By.ID, "alert-dialog")
    assert dialog.get_attribute("open") is not None
    assert css(By.ID, "rule-name").get_attribute("value") == "Tlatelolco"
    assert css(By.ID, "rule-query").get_attribute("value") == "Tlatelolco"
    assert "every one of: Non-proliferation and safeguards" in css(By.ID, "rule-filters").text
    preview = wait_for(lambda: css(By.ID, "preview-total"), what="the preview")
    assert int(preview.get_attribute("data-total")) == shown
    previewed = [
        e.get_attribute("data-story-id")
        for e in browser.find_elements(By.CSS_SELECTOR, "#preview-stories li")
    ]
    assert previewed == ["s1", "s2"]  # newest first
    days = browser.find_elements(By.CSS_SELECTOR, "#rule-preview ol.days li")
    assert len(days) == 31  # every day of the 30, today too
    css(By.ID, "preview-7d").click()
    wait_for(lambda: "7 days" in css(By.ID, "preview-total").text, what="the 7-day preview")
    assert int(css(By.ID, "preview-total").get_attribute("data-total")) == 2
    for box in browser.find_elements(By.CSS_SELECTOR, 'input[name="channels"]'):
        if box.is_selected() != (box.get_attribute("value") == "mail"):
            box.click()
    shot("02-alert-dialog-preview")

    # 3. Save: listed under "My alerts", made from the search's facets (all of them).
    css(By.ID, "rule-save").click()
    wait_for(lambda: dialog.get_attribute("open") is None, what="the dialog to close")
    item = wait_for(
        lambda: css(By.CSS_SELECTOR, '#rule-list li.rule[data-source="page"]'), what="the new rule"
    )
    rule_id = item.get_attribute("data-rule-id")
    assert "Tlatelolco" in item.text and "Active" in item.text and "mail" in item.text
    rule = httpx.get(f"{base}/api/rules/{rule_id}").json()
    assert rule["filters"]["all_topics"] == [SUBTOPIC] and rule["channels"] == ["mail"]
    shot("03-saved")

    # 4. A monitoring pass brings a matching story: delivered once by mail, listed on the page.
    publish(feeds, {"/zone-treaty.html": ZONE})
    before = clock.now()
    first = run_pass(settings)
    assert first.alerts_fired == 1 and first.alerts_delivered == 1, first
    assert len(smtp_sink.messages) == 1
    assert "Tlatelolco treaty states review" in smtp_sink.messages[0]["Subject"]
    assert smtp_sink.messages[0]["To"] == "analyst@example.org"
    # The analyst comes back later: the last visit is older than one visit's 30 minutes.
    storage.visits.save(
        "local", {"last_visit": clock.iso(before - timedelta(minutes=31)), "previous_visit": None}
    )
    browser.refresh()
    analyst_ready(browser)
    new = [
        e.get_attribute("data-article-id") for e in browser.find_elements(By.CSS_SELECTOR, "li.hit.is-new")
    ]
    assert len(new) == 1 and new[0] not in {"s1", "s2"}
    assert "New" in css(By.CSS_SELECTOR, "li.hit.is-new .badge.new").text
    alert_row = css(By.CSS_SELECTOR, "table.alerts tbody tr")
    assert "Tlatelolco treaty states review" in alert_row.text and "New" in alert_row.text
    assert "1 new result" in css(By.ID, "new-since").text
    history = css(By.CSS_SELECTOR, f'details[data-rule-history="{rule_id}"]')
    history.find_element(By.TAG_NAME, "summary").click()
    row = wait_for(lambda: history.find_element(By.CSS_SELECTOR, "tbody tr"), what="the rule's history")
    assert row.get_attribute("data-channel") == "mail" and "delivered" in row.text
    assert len(history.find_elements(By.CSS_SELECTOR, "tbody tr")) == 1
    shot("04-delivered")

    # 5. Edit it in the same dialog: a new name.
    css(By.CSS_SELECTOR, f'li[data-rule-id="{rule_id}"] [data-action="edit"]').click()
    assert css(By.ID, "alert-dialog-title").text == "Edit alert “Tlatelolco”"
    name = css(By.ID, "rule-name")
    name.clear()
    name.send_keys("Tlatelolco zone watch")
    shot("05-edit-dialog")
    css(By.ID, "rule-save").click()
    wait_for(lambda: "Tlatelolco zone watch" in css(By.CSS_SELECTOR, f'li[data-rule-id="{rule_id}"] h3').text,
             what="the changed name")  # fmt: skip
    assert httpx.get(f"{base}/api/rules/{rule_id}").json()["name"] == "Tlatelolco zone watch"

    # 6. Pause it: the next matching story sends nothing.
    css(By.CSS_SELECTOR, f'li[data-rule-id="{rule_id}"] [data-action="toggle"]').click()
    wait_for(lambda: "Paused" in css(By.CSS_SELECTOR, f'li[data-rule-id="{rule_id}"]').text, what="Paused")
    toggle = css(By.CSS_SELECTOR, f'li[data-rule-id="{rule_id}"] [data-action="toggle"]')
    assert toggle.text == "Resume" and browser.switch_to.active_element == toggle
    assert httpx.get(f"{base}/api/rules/{rule_id}").json()["enabled"] is False
    shot("06-paused")
    publish(feeds, {"/zone-inspections.html": INSPECTORS})
    second = run_pass(settings, ignore_schedule=True)
    assert second.articles_new == 1 and second.alerts_fired == 0, second
    assert len(smtp_sink.messages) == 1

    # 7. Export the results as CSV: every story the search shows, with the page's columns.
    browser.refresh()
    analyst_ready(browser)
    total = int(css(By.ID, "count").get_attribute("data-total"))
    titles = {e.text for e in browser.find_elements(By.CSS_SELECTOR, "li.hit h3")}
    assert total == 4 and len(titles) == 4
    css(By.ID, "export-csv").click()
    path = downloaded(browser.downloads, ".csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert {r["title"] for r in rows} == titles and len(rows) == total
    assert all(SUBTOPIC in r["topics"] for r in rows) and list(rows[0]) == [
        "title", "outlet", "published", "language", "topics", "url", "cluster_size",
    ]  # fmt: skip
    shot("07-exported")
