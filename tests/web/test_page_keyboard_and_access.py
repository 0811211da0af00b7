"""The search page without a mouse, and what assistive technology reads of it, in headless Chromium:
`/`, `j`, `k`, `o` and Escape; the alert, save and delete dialogs driven by the keyboard alone; every
control named; a user who may not edit rules told why. The app is mounted under /newsmon/ as
Airflow's API server mounts it, so every link and request of the page must carry that root.
Screenshots go to NEWSMON_TEST_ARTIFACTS (default .local/test-artifacts/), under keyboard/.
"""

from __future__ import annotations

import httpx
import pytest

from newsmon.alerts.service import sync
from newsmon.storage import Storage
from newsmon.web.app import create_app
from newsmon.web.guard import WebGuard
from tests.helpers.analysts import analyst_settings
from tests.helpers.browser import AsUser, analyst_ready, mounted, screenshot, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.browser]
SEARCH = "/?q=nuclear OR missile* OR weapons OR armes OR rüstungskontrolle"
CONTROLS = "input:not([type=hidden]), select, textarea, button, a[href], summary"


@pytest.fixture(scope="module")
def settings(corpus, es_url, tmp_path_factory):
    prefix, _ids = corpus
    made = analyst_settings(es_url, prefix, tmp_path_factory.mktemp("alerts"))
    with Storage.from_settings(made) as storage:
        sync(storage, made)  # the configuration rule, shown read-only
    return made


@pytest.fixture(scope="module")
def site(settings):
    """The standalone app (its guard: the loopback user, who may edit) under /newsmon/."""
    with mounted(WebGuard(create_app(lambda: settings), [], None)) as base:
        yield base


@pytest.fixture(scope="module")
def viewer_site(settings):
    """The app as an auth layer serves it to a user who may read but not edit rules."""
    with mounted(AsUser(create_app(lambda: settings), "vera", can_edit=False)) as base:
        yield base


def active(browser):
    return browser.switch_to.active_element


def press(browser, *keys) -> None:
    """Keys sent to whatever has the focus, as a person types them."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).send_keys(*keys).perform()


def type_over(browser, text: str) -> None:
    """Replace the text of the focused field with `text`, then press Enter (which submits its form)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    chain = ActionChains(browser).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL)
    chain.send_keys(text, Keys.ENTER).perform()


def current_hit(browser) -> str | None:
    return browser.execute_script(
        "const li = document.querySelector('li.hit.current'); return li && li.dataset.articleId"
    )


def test_slash_j_k_o_and_escape(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(site + SEARCH)
    analyst_ready(browser)
    ids = [e.get_attribute("data-article-id") for e in browser.find_elements(By.CSS_SELECTOR, "li.hit")]
    assert len(ids) == 10

    press(browser, "/")
    assert active(browser).get_attribute("id") == "q"
    press(browser, "j")  # typed into the box, not a shortcut
    assert active(browser).get_attribute("value").endswith("j") and current_hit(browser) is None
    press(browser, Keys.BACKSPACE, Keys.TAB)  # to the Search button: not a field one types in

    press(browser, "j")
    assert current_hit(browser) == ids[0]
    first = browser.find_element(By.CSS_SELECTOR, f'li.hit[data-article-id="{ids[0]}"]')
    assert first.get_attribute("aria-current") == "true"
    assert active(browser).accessible_name == first.find_element(By.TAG_NAME, "h3").text  # read by its title
    assert browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle", first) == "solid"
    press(browser, "j", "j")
    assert current_hit(browser) == ids[2]
    press(browser, "k")
    assert current_hit(browser) == ids[1]
    screenshot(browser, "01-result-selected-with-j-k", "keyboard")

    # "o" opens the selected story, as its link does (in a new tab).
    browser.execute_script(
        "window.opened = null; document.addEventListener('click', e => {"
        " const a = e.target.closest('a'); if (a) window.opened = a.href; }, true)"
    )
    tabs = set(browser.window_handles)
    press(browser, "o")
    expected = browser.find_element(
        By.CSS_SELECTOR, f'li.hit[data-article-id="{ids[1]}"] h3 a'
    ).get_attribute("href")
    assert browser.execute_script("return window.opened") == expected
    [opened] = wait_for(lambda: set(browser.window_handles) - tabs, what="the story's tab")
    here = browser.current_window_handle
    browser.switch_to.window(opened)
    browser.close()
    browser.switch_to.window(here)

    # The alert dialog from the keyboard: focus inside it while open, back on the button after Escape.
    alert_me = browser.find_element(By.ID, "alert-me")
    alert_me.send_keys(Keys.ENTER)
    dialog = browser.find_element(By.ID, "alert-dialog")
    wait_for(lambda: dialog.get_attribute("open") is not None, what="the dialog")
    assert active(browser).get_attribute("id") == "rule-name"
    wait_for(lambda: browser.find_element(By.ID, "preview-total"), what="the preview")
    press(browser, "k")  # typed into the name: the results stay as they are
    assert current_hit(browser) == ids[1]
    inside = "return arguments[0].contains(document.activeElement)"
    seen = []
    for _ in range(40):
        press(browser, Keys.TAB)
        assert browser.execute_script(inside, dialog), "the focus left the open dialog"
        seen.append(active(browser).get_attribute("id") or active(browser).text)
    assert "rule-name" in seen and "rule-save" in seen  # it went round, within the dialog
    press(browser, Keys.SHIFT, Keys.TAB, Keys.SHIFT)
    assert browser.execute_script(inside, dialog)
    screenshot(browser, "02-alert-dialog-by-keyboard", "keyboard")
    press(browser, Keys.ESCAPE)
    wait_for(lambda: dialog.get_attribute("open") is None, what="Escape to close the dialog")
    assert active(browser) == alert_me

    # Made, found and deleted without a mouse.
    alert_me.send_keys(Keys.ENTER)
    wait_for(lambda: active(browser).get_attribute("id") == "rule-name", what="the name field")
    type_over(browser, "Keyboard-made alert")
    item = wait_for(lambda: [li for li in browser.find_elements(By.CSS_SELECTOR, "#rule-list li.rule")
                             if li.find_element(By.TAG_NAME, "h3").text == "Keyboard-made alert"],
                    what="the new rule")[0]  # fmt: skip
    delete = item.find_element(By.CSS_SELECTOR, '[data-action="delete"]')
    delete.send_keys(Keys.ENTER)
    confirm = browser.find_element(By.ID, "confirm-dialog")
    wait_for(lambda: confirm.get_attribute("open") is not None, what="the confirmation")
    assert active(browser).text == "Cancel"  # the safe choice first
    press(browser, Keys.ESCAPE)
    wait_for(lambda: confirm.get_attribute("open") is None, what="Escape to close the confirmation")
    assert active(browser) == delete
    delete.send_keys(Keys.ENTER)
    wait_for(lambda: active(browser).text == "Cancel", what="the confirmation again")
    press(browser, Keys.SHIFT, Keys.TAB, Keys.SHIFT)
    assert active(browser).get_attribute("id") == "confirm-yes"
    press(browser, Keys.ENTER)
    wait_for(
        lambda: "Keyboard-made alert" not in browser.find_element(By.ID, "rule-list").text,
        what="the deletion",
    )

    # A saved search, by the keyboard, links back to the search under the app's root.
    browser.find_element(By.ID, "save-search").send_keys(Keys.ENTER)
    wait_for(lambda: active(browser).get_attribute("id") == "save-name", what="the save dialog")
    type_over(browser, "Weapons, all languages")
    link = wait_for(
        lambda: browser.find_element(By.LINK_TEXT, "Weapons, all languages"), what="the saved search"
    )
    href = link.get_attribute("href")
    assert href.startswith(site + "/?q=") and "rüstungskontrolle" in httpx.URL(href).params["q"]
    browser.get(site + "/")
    analyst_ready(browser)
    link = wait_for(lambda: browser.find_element(By.LINK_TEXT, "Weapons, all languages"), what="the list")
    link.send_keys(Keys.ENTER)
    wait_for(lambda: browser.current_url == href, what="the saved search's page")
    analyst_ready(browser)
    assert browser.find_element(By.ID, "q").get_attribute("value") == httpx.URL(href).params["q"]


def test_every_control_has_an_accessible_name_and_every_dialog_a_label(browser, site):
    from selenium.webdriver.common.by import By

    me = httpx.get(f"{site}/api/me").json()
    page = {"X-CSRF-Token": me["csrf_token"], "Origin": site.rsplit("/newsmon", 1)[0]}
    made = httpx.post(f"{site}/api/rules", headers=page, json={"name": "Missile tests", "query": "missile*"})
    assert made.status_code == 201, made.text
    browser.get(site + SEARCH + "&topic=arms_control")
    analyst_ready(browser)
    for details in browser.find_elements(By.CSS_SELECTOR, "details"):
        browser.execute_script("arguments[0].open = true", details)
    wait_for(lambda: not browser.find_elements(By.XPATH, "//*[text()='Loading…']"), what="the histories")

    def unnamed(scope) -> list[str]:
        return [
            e.get_attribute("outerHTML")[:120]
            for e in scope.find_elements(By.CSS_SELECTOR, CONTROLS)
            if e.is_displayed() and not e.accessible_name.strip()
        ]

    checked = browser.find_elements(By.CSS_SELECTOR, CONTROLS)
    assert len([e for e in checked if e.is_displayed()]) > 60
    assert unnamed(browser) == []
    rule_buttons = [b.accessible_name for b in browser.find_elements(By.CSS_SELECTOR, "#rule-list button")]
    assert "Edit “Missile tests”" in rule_buttons and "Pause “Missile tests”" in rule_buttons

    dialogs = browser.find_elements(By.TAG_NAME, "dialog")
    assert {d.get_attribute("id") for d in dialogs} == {"alert-dialog", "save-dialog", "confirm-dialog"}
    for dialog in dialogs:
        title = browser.find_element(By.ID, dialog.get_attribute("aria-labelledby"))
        assert title.get_attribute("textContent").strip()
    openers = {
        "alert-dialog": (By.ID, "alert-me"), "save-dialog": (By.ID, "save-search"),
        "confirm-dialog": (By.CSS_SELECTOR, '#rule-list li[data-source="page"] [data-action="delete"]'),
    }  # fmt: skip
    for dialog in dialogs:
        browser.find_element(*openers[dialog.get_attribute("id")]).click()
        wait_for(lambda d=dialog: d.get_attribute("open") is not None, what="the dialog")
        title = browser.find_element(By.ID, dialog.get_attribute("aria-labelledby")).text
        assert dialog.accessible_name == title and title
        assert dialog.get_attribute("aria-modal") in (None, "true")  # showModal() makes it modal
        assert unnamed(dialog) == []
        if dialog.get_attribute("id") == "alert-dialog":
            assert len(dialog.find_elements(By.CSS_SELECTOR, 'input[name="channels"]')) == 3
            screenshot(browser, "03-alert-dialog", "keyboard")
        browser.execute_script("arguments[0].close()", dialog)


def test_a_user_who_may_not_edit_rules_is_told_why(browser, viewer_site):
    from selenium.webdriver.common.by import By

    browser.get(viewer_site + SEARCH)
    analyst_ready(browser)
    alert_me = browser.find_element(By.ID, "alert-me")
    why = browser.find_element(By.ID, "alert-why")
    assert alert_me.get_attribute("aria-disabled") == "true" and not why.is_displayed()
    assert alert_me.get_attribute("aria-describedby") == "alert-why"  # read with the button
    alert_me.click()
    assert why.is_displayed() and "vera may search, save searches and export" in why.text
    assert "not create alert rules" in why.text
    assert browser.find_element(By.ID, "alert-dialog").get_attribute("open") is None
    assert browser.find_elements(By.CSS_SELECTOR, "#rule-list [data-action]") == []
    assert "changing them needs an operator" in browser.find_element(By.ID, "my-alerts").text
    assert browser.find_element(By.ID, "save-search").is_displayed()  # a viewer keeps searches
    screenshot(browser, "04-viewer-told-why", "keyboard")
