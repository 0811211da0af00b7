"""Nothing silently dropped: scans past one page, bulks that lose the connection or are rejected."""

from __future__ import annotations

import pytest
from elasticsearch import ConnectionError as ESConnectionError

from newsmon.settings import load_settings
from newsmon.storage import Storage
from newsmon.storage import backend as backend_module
from newsmon.storage.client import make_client
from tests.helpers.records import article

pytestmark = pytest.mark.integration


@pytest.fixture
def storage(es_url, prefix, monkeypatch):
    with Storage(make_client(load_settings({"NEWSMON_ES_URL": es_url})), prefix, es_url) as s:
        s.page_size = 50  # 120 documents: three pages
        monkeypatch.setattr(backend_module, "BULK_BACKOFF_S", 0.01)
        s.setup()
        yield s


def _count(storage: Storage) -> int:
    storage.articles.refresh()
    return int(storage.es.count(index=storage.articles.alias)["count"])


def test_scans_return_every_hit_past_one_page(storage):
    arts = [article(n) for n in range(120)]  # new articles wait for clustering
    result = storage.articles.write(arts, {}, chunk_size=40)
    assert len(result.created) == 120
    # One response may hold at most 50 hits here (10,000 by default): a single search with a big
    # size fails or drops the rest; paging through a point in time gets all of them.
    storage.es.indices.put_settings(
        index=storage.names.first_articles_index, settings={"index": {"max_result_window": 50}}
    )
    pending = storage.pending.waiting("pending_cluster")
    assert len(pending) == 120 == len(set(pending))
    assert len(storage.pending.waiting("pending_cluster", limit=70)) == 70
    assert len(storage.articles.by_field("source", ["feed-a"], ["source"])) == 120
    assert len(storage.articles.get_many([a.id for a in arts], ["title"])) == 120
    assert len(storage.articles.known([a.id for a in arts])) == 120


def test_a_connection_dropped_mid_bulk_is_retried_from_that_chunk(storage, monkeypatch):
    real_bulk = storage.es.bulk
    calls: list[int] = []

    def flaky(**kw):
        calls.append(len(kw["operations"]))
        resp = real_bulk(**kw)
        if len(calls) == 2:  # Elasticsearch wrote the second chunk, then the connection dropped
            raise ESConnectionError("connection reset by peer (test)")
        return resp

    monkeypatch.setattr(storage.es, "bulk", flaky)
    arts = [article(n) for n in range(100)]
    result = storage.articles.write(arts, {}, chunk_size=25)
    assert sorted(result.created) == sorted(a.id for a in arts)
    assert not result.errors and not result.conflicts
    assert len(calls) == 5  # four chunks, the second sent twice; the first never again
    assert all(n == 2 * 2 * 25 for n in calls)  # 25 articles and their markers, a head and a body each
    assert _count(storage) == 100


def test_bulk_rejections_429_back_off_and_lose_nothing(storage, monkeypatch):
    real_bulk = storage.es.bulk
    calls: list[int] = []

    def rejecting(**kw):
        ops = kw["operations"]
        calls.append(len(ops) // 2)
        if len(calls) > 2:
            return real_bulk(**kw)
        # Elasticsearch takes the first action and rejects the rest (a full write queue).
        taken = real_bulk(operations=ops[:2])["items"]
        rejected = [
            {
                op: {
                    "_id": head["_id"],
                    "_index": head["_index"],
                    "status": 429,
                    "error": {"type": "es_rejected_execution_exception"},
                }
            }
            for head in ops[2::2]
            for op, head in head.items()
        ]
        return {"errors": True, "items": taken + rejected}

    monkeypatch.setattr(storage.es, "bulk", rejecting)
    arts = [article(n) for n in range(30)]
    result = storage.articles.write(arts, {}, chunk_size=30)
    assert sorted(result.created) == sorted(a.id for a in arts)
    assert calls == [60, 59, 58]  # each article with its pending marker
    assert _count(storage) == 30
    assert sorted(storage.pending.waiting("pending_cluster")) == sorted(a.id for a in arts)
