"""The fingerprint of the articles' analysis that stored alert rules are computed with: the same
after a rollover with the same template, another once a template with new synonyms is rolled in."""

from __future__ import annotations

import pytest

from newsmon.alerts.percolate import LANGUAGE_FIELDS, TEXT_FIELDS
from newsmon.settings import load_settings
from newsmon.storage import Storage
from newsmon.storage.backend import resource_json
from newsmon.storage.client import make_client

pytestmark = pytest.mark.integration
FIELDS = [*TEXT_FIELDS, *LANGUAGE_FIELDS]


def fingerprint(es_url: str, prefix: str) -> str:
    # A Storage keeps the write index it first looked up (one task): a new one sees a rollover.
    with Storage(make_client(load_settings({"NEWSMON_ES_URL": es_url})), prefix, es_url) as s:
        return s.articles.analysis_fingerprint(FIELDS)


def test_the_fingerprint_follows_the_template_through_rollovers(es_url, prefix):
    with Storage(make_client(load_settings({"NEWSMON_ES_URL": es_url})), prefix, es_url) as storage:
        storage.setup()
        first = fingerprint(es_url, prefix)
        assert first == fingerprint(es_url, prefix)
        storage.rollover("0s", "100gb")  # an age of 0 is always reached
        assert fingerprint(es_url, prefix) == first
        body = resource_json("articles-template.json", prefix)
        synonyms = body["template"]["settings"]["analysis"]["filter"]["newsmon_english_synonyms"]["synonyms"]
        synonyms.append("stockpile, arsenal")
        storage.es.indices.put_index_template(name=storage.names.articles_template, **body)
        assert fingerprint(es_url, prefix) == first  # the write index still has the old analysis
        storage.rollover("0s", "100gb")
        assert fingerprint(es_url, prefix) != first
