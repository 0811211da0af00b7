"""Fixtures the search page's tests share."""

from __future__ import annotations

import os

import pytest

from tests.helpers.browser import chromium, missing_browser
from tests.helpers.corpus import corpus_prefix


@pytest.fixture(scope="module")
def corpus(es_url):
    """The shared sample corpus under a prefix of its own, for one test module: (prefix, ids)."""
    with corpus_prefix(es_url) as (prefix, ids):
        yield prefix, ids


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Selenium) for one test module; skipped without it, unless
    NEWSMON_TEST_REQUIRE_BROWSER=1 makes that a failure."""
    problem = missing_browser()
    if problem:
        if os.environ.get("NEWSMON_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    with chromium() as driver:
        yield driver
