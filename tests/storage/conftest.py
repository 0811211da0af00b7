"""Fixtures of the storage tests that talk to Elasticsearch directly."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch


@pytest.fixture
def es(es_url: str):
    """A plain client of the test node, for the analysis APIs the product does not wrap."""
    client = Elasticsearch(es_url, request_timeout=30)
    yield client
    client.close()
