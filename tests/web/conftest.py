"""Fixtures the search page's tests share."""

from __future__ import annotations

import pytest

from tests.helpers.corpus import corpus_prefix


@pytest.fixture(scope="module")
def corpus(es_url):
    """The shared sample corpus under a prefix of its own, for one test module: (prefix, ids)."""
    with corpus_prefix(es_url) as (prefix, ids):
        yield prefix, ids
