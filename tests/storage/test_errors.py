"""Elasticsearch's errors as newsmon's (Backend.translated), on the real Elasticsearch: no index is
IndexMissing, a query it refuses is QueryRejected in its own words, no answer is StoreUnavailable."""

from __future__ import annotations

import pytest
from elasticsearch import BadRequestError, NotFoundError

from newsmon.errors import IndexMissing, NewsmonError, QueryRejected, StoreError, StoreUnavailable
from newsmon.search import query_string, search, search_request
from newsmon.settings import load_settings
from newsmon.storage import Storage, open_storage
from newsmon.storage.client import make_client
from tests.helpers.servers import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def storage(es_url, prefix):
    with Storage(make_client(load_settings({"NEWSMON_ES_URL": es_url})), prefix, es_url) as s:
        yield s


def test_search_without_an_index_is_index_missing(storage):
    with pytest.raises(IndexMissing) as info:
        storage.articles.search(**search_request("treaty"))
    exc = info.value
    assert exc.index == storage.articles.alias
    assert (exc.status, exc.error) == (404, "index_not_found_exception")
    assert str(exc) == f"{storage.articles.alias} does not exist: run `newsmon setup`"
    assert isinstance(exc.__cause__, NotFoundError)
    # `newsmon search` and the page's lookups let it through as it is: the caller says "not set up".
    with pytest.raises(IndexMissing):
        search(storage, "treaty")
    with pytest.raises(IndexMissing):
        storage.articles.by_field("source", ["feed-a"], ["title"])


def test_the_page_side_indices_read_as_not_there_yet_without_an_index(storage):
    """The feeds and alert events panels of the page show "nothing yet" rather than an error."""
    assert storage.feed_states.documents() is None
    assert storage.alert_events.recent(5, ["rule_id"]) is None


@pytest.mark.parametrize(
    "query, words",
    [
        # Lucene cannot parse it.
        ("title:(unbalanced", "Failed to parse query [title:(unbalanced]"),
        # newsmon's own check of an alert rule's query lets it through; the date field refuses it.
        ("published_at:[2020-01-01 TO nonsense]", "failed to parse date field [nonsense]"),
    ],
)
def test_a_query_elasticsearch_refuses_is_query_rejected_in_its_words(storage, query, words):
    storage.setup()
    with pytest.raises(QueryRejected) as info:
        storage.articles.search(query=query_string(query), size=1)
    exc = info.value
    # Elasticsearch's own error type, as the search page shows it when a panel's query is refused.
    assert isinstance(exc, StoreError) and (exc.status, exc.error) == (
        400,
        "search_phase_execution_exception",
    )
    assert words in exc.reason
    assert str(exc) == f"rejected by Elasticsearch: {exc.reason}"
    assert exc.body["error"]["root_cause"][0]["reason"] == exc.reason  # the whole answer, for the page
    assert isinstance(exc.__cause__, BadRequestError)
    # `newsmon search` names the query and keeps Elasticsearch's reason.
    with pytest.raises(NewsmonError) as searched:
        search(storage, query)
    assert not isinstance(searched.value, StoreError)
    assert str(searched.value) == f"query {query!r} was rejected by Elasticsearch: {exc.reason}"


def test_elasticsearch_not_listening_is_store_unavailable():
    port = free_port()  # nothing listens there
    settings = load_settings({"NEWSMON_ES_URL": f"http://elastic:secret@127.0.0.1:{port}"})
    with pytest.raises(StoreUnavailable) as info:
        open_storage(settings, attempts=1)
    message = str(info.value)
    assert f"http://127.0.0.1:{port}" in message and "unreachable" in message
    assert "secret" not in message
    # A storage made without asking first (the search page's) fails its reads the same way.
    with Storage.from_settings(settings) as storage:
        with pytest.raises(StoreUnavailable) as read:
            storage.articles.search(**search_request("treaty"))
    assert f"127.0.0.1:{port}" in str(read.value) and "secret" not in str(read.value)
