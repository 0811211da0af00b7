"""What storage offers the benchmarks and the distributed demo's check, on the real local
Elasticsearch: bulk loads of prepared documents, the scratch copy of the articles, segment merges,
a scratch feeds index, the nodes' CPU, and the URLs stored twice."""

from __future__ import annotations

import pytest

from newsmon.storage import PENDING_CLUSTER

pytestmark = pytest.mark.integration


def doc(n: int, url: str | None = None) -> tuple[str, dict[str, object]]:
    url = url or f"https://a.example/{n}"
    return f"d{n}", {"title": f"Story {n}", "body": "Talks in Geneva.", "canonical_url": url}


def test_load_writes_prepared_documents_into_the_alias_without_pending_markers(storage):
    assert storage.articles.load([doc(n) for n in range(5)], chunk_size=2) == 5
    storage.articles.merge_segments()
    storage.articles.refresh()
    assert storage.articles.count({"match_all": {}}) == 5
    assert storage.pending.waiting(PENDING_CLUSTER) == []


def test_the_scratch_copy_is_apart_from_the_articles_and_dropped(storage):
    assert storage.articles.load_copy(doc(n) for n in range(3)) == 3
    assert storage.names.articles_copy == f"{storage.prefix}articles-copy"
    assert storage.articles.count({"match_all": {}}) == 0  # not behind the alias
    assert storage.es.count(index=storage.names.articles_copy)["count"] == 3  # refreshed on write
    storage.articles.drop_copy()
    assert not storage.es.indices.exists(index=storage.names.articles_copy)


def test_urls_stored_twice(storage):
    storage.articles.load([doc(1), doc(2, "https://a.example/1"), doc(3)])
    storage.articles.refresh()
    assert storage.articles.urls_stored_twice() == ["https://a.example/1"]


def test_a_scratch_feeds_index_keeps_its_own_states(storage):
    states = storage.feed_states.scratch(7)
    assert states.index == f"{storage.prefix}feeds-7"
    assert states.put_many([{"id": "f1", "url": "http://h.example/rss.xml"}]) == 1
    states.refresh()
    assert states.get_many(["f1", "f2"]) == {"f1": {"id": "f1", "url": "http://h.example/rss.xml"}}
    assert storage.feed_states.get_many(["f1"]) == {}


def test_nodes_cpu_seconds(storage):
    assert storage.nodes_cpu_seconds() > 0
