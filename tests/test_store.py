"""Index template, alias, idempotent indexing and search on the real local Elasticsearch."""

from __future__ import annotations

import pytest

from newsmon.errors import NewsmonError
from newsmon.records import Article
from newsmon.search import search
from newsmon.settings import load_settings
from newsmon.store import Store, make_client

pytestmark = pytest.mark.integration


@pytest.fixture
def store(es_url, prefix):
    s = Store(make_client(load_settings({"NEWSMON_ES_URL": es_url})), prefix, es_url)
    yield s
    s.close()


def article(
    n: int, body: str = "Riabkov and Sherman discussed strategic stability in Geneva.", **kw
) -> Article:
    base = dict(
        id=f"id{n}",
        url=f"https://a.example/{n}",
        canonical_url=f"https://a.example/{n}",
        source="feed-a",
        source_domain="a.example",
        title=f"Story {n}",
        body=body,
        summary=None,
        authors=["A. Writer"],
        published_at="2021-09-30T18:20:00Z",
        fetched_at="2021-10-01T00:00:00Z",
        language="en",
        content_hash=f"h{n}",
        topics=["arms_control"],
        url_ids=[f"id{n}"],
    )
    base.update(kw)
    return Article(**base)


def test_setup_is_idempotent(store):
    first = store.setup()
    second = store.setup()
    assert "created" in first["alias"] and "exists" in second["alias"]
    es = store.es
    assert es.indices.exists_index_template(name=f"{store.prefix}articles")
    aliases = es.indices.get_alias(name=store.alias)
    assert list(aliases) == [store.first_index]
    mapping = es.indices.get_mapping(index=store.first_index)[store.first_index]["mappings"]
    assert mapping["properties"]["topics"]["type"] == "keyword"
    assert mapping["dynamic"] == "false"


def test_reindexing_the_same_article_creates_no_second_document(store):
    store.setup()
    first = store.index_articles([article(1)], {})
    again = store.index_articles([article(1)], {})
    store.refresh()
    assert first.created == ["id1"] and again.created == [] and again.conflicts == ["id1"]
    assert store.es.count(index=store.alias)["count"] == 1


def test_known_and_updates_cover_the_whole_alias_after_rollover(store):
    store.setup()
    store.index_articles([article(1)], {})
    store.refresh()
    store.es.indices.rollover(alias=store.alias)  # _id is unique per index only: the alias must be asked
    known = store.known(["id1", "id2"])
    assert set(known) == {"id1"} and known["id1"].index == store.first_index
    result = store.index_articles([article(1, title="Story 1, updated")], {"id1": known["id1"]})
    store.refresh()
    assert result.updated == ["id1"]
    hits = store.es.search(index=store.alias, query={"ids": {"values": ["id1"]}})["hits"]
    assert hits["total"]["value"] == 1 and hits["hits"][0]["_source"]["title"] == "Story 1, updated"


def test_known_finds_articles_by_any_of_their_url_ids(store):
    store.setup()
    store.index_articles([article(5, url_ids=["id5", "feedlink5"])], {})
    store.refresh()
    assert store.known(["feedlink5"])["feedlink5"].id == "id5"


def test_search_lucene_syntax_topics_and_duplicates(store):
    store.setup()
    store.index_articles(
        [
            article(1),
            article(2, body="The football derby ended 3-1.", topics=[]),
            article(3, duplicate_of="id1"),
        ],
        {},
    )
    store.refresh()
    result = search(store, 'Riabkov OR "strategic stability"')
    assert [h["id"] for h in result["hits"]] == ["id1"]
    assert any("**Riabkov**" in h for h in result["hits"][0]["highlights"])
    with_dupes = search(store, "Riabkov", include_duplicates=True)
    assert {h["id"] for h in with_dupes["hits"]} == {"id1", "id3"}
    assert search(store, "*", topic="arms_control")["total"] == 1
    assert search(store, "derby", since="3650000d")["total"] == 1
    with pytest.raises(NewsmonError, match="rejected by Elasticsearch"):
        search(store, "title:(unbalanced")
    with pytest.raises(NewsmonError, match="--since"):
        search(store, "x", since="yesterday")


def test_pending_markers_are_cleared_without_rewriting_the_article(store):
    store.setup()
    arts = [article(n) for n in range(3)]
    assert len(store.index_articles(arts, {}).created) == 3
    store.refresh()
    version = {a.id: store.es.get(index=store.alias, id=a.id)["_version"] for a in arts}
    assert sorted(store.pending("pending_cluster")) == ["id0", "id1", "id2"]
    assert store.pending("pending_alert", unless="pending_cluster") == []
    store.clear_pending(["id0", "id1"], "pending_cluster")
    assert store.pending("pending_cluster") == ["id2"]
    assert sorted(store.pending("pending_alert", unless="pending_cluster")) == ["id0", "id1"]
    store.clear_pending(["id0"], "pending_alert")
    assert store.pending("pending_alert", unless="pending_cluster") == ["id1"]
    assert not store.es.exists(index=store.pending_index, id="id0")  # nothing left to do: gone
    # The articles themselves were written once and never again.
    assert {a.id: store.es.get(index=store.alias, id=a.id)["_version"] for a in arts} == version
    assert all("pending_cluster" not in store.es.get(index=store.alias, id=a.id)["_source"] for a in arts)


def test_articles_flagged_by_an_older_version_are_still_found_and_cleared(store):
    store.setup()
    # Before the markers, the flags were fields of the article itself.
    doc = article(7).to_document() | {"pending_cluster": True, "pending_alert": True}
    store.es.index(index=store.alias, id="id7", document=doc, refresh=True)
    assert store.pending("pending_cluster") == ["id7"]
    store.clear_pending(["id7"], "pending_cluster")
    assert store.pending("pending_cluster") == [] and store.pending("pending_alert") == ["id7"]
    store.clear_pending(["id7"], "pending_alert")
    assert store.pending("pending_alert") == []
    assert store.es.get(index=store.alias, id="id7")["_source"]["pending_alert"] is False
