"""Debian's headless Chromium driven by Selenium, for the search page's browser tests; where their
screenshots go; and the search app served under a URL prefix, as Airflow mounts it."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.helpers.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
# Without the background-networking flags Chromium keeps calling out to a network that is closed.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1366,900"]  # fmt: skip


def missing_browser() -> str | None:
    """Why no browser test can run here, or None."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return None
    return "no /usr/bin/chromium and /usr/bin/chromedriver (scripts/ensure-browser installs them)"


def artifacts() -> Path:
    """Where the browser tests keep their screenshots: NEWSMON_TEST_ARTIFACTS, by default
    .local/test-artifacts/ in the checkout."""
    where = Path(os.environ.get("NEWSMON_TEST_ARTIFACTS") or ROOT / ".local" / "test-artifacts")
    where.mkdir(parents=True, exist_ok=True)
    return where


def screenshot(driver: Any, name: str, folder: str = "") -> Path:
    """The whole page (not only the window) as `<artifacts>/<folder>/<name>.png`; with a dialog
    open, a tall window that shows the dialog whole."""
    target = artifacts() / folder if folder else artifacts()
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{name}.png"
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    if driver.execute_script("return !!document.querySelector('dialog[open]')"):
        tall = 1300  # a dialog is at most 92% of the window: a taller one shows all of it
    else:
        tall = min(int(driver.execute_script("return document.documentElement.scrollHeight")) + 40, 4000)
    driver.set_window_size(width, tall)
    try:
        driver.save_screenshot(str(path))
    finally:
        driver.set_window_size(width, height)
    return path


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium with a profile and a download folder of its own (`driver.downloads`)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = Path(tempfile.mkdtemp(prefix="newsmon-chromium-"))
    downloads = profile / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={profile / 'profile'}"]:
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(check: Callable[[], Any], timeout: float = 15, what: str = "the page") -> Any:
    """The first true value of `check()`, tried until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception as exc:  # e.g. an element not there yet, or replaced meanwhile
            last = exc
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f" (last error: {last!r})" if last else ""))


def analyst_ready(driver: Any, url_has: str = "") -> None:
    """Wait for the page whose address holds `url_has` to have its analyst tools ready (analyst.js
    marks the body when it has asked who the user is and listed rules and searches): not the page
    before a navigation, which was ready too."""
    wait_for(
        lambda: (
            url_has in driver.current_url
            and driver.find_element("tag name", "body").get_attribute("data-analyst") == "ready"
        ),
        what=f"the page at ...{url_has} and its analyst tools",
    )


def downloaded(folder: Path, suffix: str, timeout: float = 15) -> Path:
    """The file a download put in `folder`, once complete."""

    def done() -> Path | None:
        found = [p for p in folder.iterdir() if p.suffix == suffix]
        partial = [p for p in folder.iterdir() if p.suffix == ".crdownload"]
        return found[0] if found and not partial else None

    path: Path = wait_for(done, timeout, f"a {suffix} download in {folder}")
    return path


@contextmanager
def mounted(app: Any, prefix: str = "/newsmon") -> Iterator[str]:
    """`app` mounted under `prefix` as Airflow's API server mounts plugin apps, served by uvicorn on
    a free loopback port; yields the base URL of the app (ending with the prefix)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Mount(prefix, app=app)]), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 20, "uvicorn to start")
    try:
        yield f"http://127.0.0.1:{port}{prefix}"
    finally:
        server.should_exit = True
        thread.join(10)


class AsUser:
    """ASGI middleware that tells the app who is asking, as an auth layer does (newsmon.web.identity):
    a browser session of `user`, who may edit alert rules or not."""

    def __init__(self, app: Any, user: str, can_edit: bool):
        from newsmon.web.identity import csrf_key

        self.app, self.user, self.can_edit = app, user, can_edit
        self.key = csrf_key(b"a key for the tests only")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {}).update(
                newsmon_user=self.user, newsmon_can_edit=self.can_edit, newsmon_auth="session",
                newsmon_csrf_key=self.key,
            )  # fmt: skip
        await self.app(scope, receive, send)
