"""Index template, alias, idempotent indexing and search on the real local Elasticsearch."""

from __future__ import annotations

import pytest

from newsmon.errors import NewsmonError
from newsmon.search import search
from newsmon.settings import load_settings
from newsmon.storage import Storage
from newsmon.storage.client import make_client
from tests.helpers.records import article

pytestmark = pytest.mark.integration


@pytest.fixture
def storage(es_url, prefix):
    with Storage(make_client(load_settings({"NEWSMON_ES_URL": es_url})), prefix, es_url) as s:
        yield s


def test_setup_is_idempotent(storage):
    first = storage.setup()
    second = storage.setup()
    assert "created" in first["alias"] and "exists" in second["alias"]
    es = storage.es
    assert es.indices.exists_index_template(name=f"{storage.prefix}articles")
    aliases = es.indices.get_alias(name=storage.articles.alias)
    assert list(aliases) == [storage.names.first_articles_index]
    mapping = es.indices.get_mapping(index=storage.names.first_articles_index)[
        storage.names.first_articles_index
    ]["mappings"]
    assert mapping["properties"]["topics"]["type"] == "keyword"
    assert mapping["dynamic"] == "false"


def test_reindexing_the_same_article_creates_no_second_document(storage):
    storage.setup()
    first = storage.articles.write([article(1)], {})
    again = storage.articles.write([article(1)], {})
    storage.articles.refresh()
    assert first.created == ["id1"] and again.created == [] and again.conflicts == ["id1"]
    assert storage.es.count(index=storage.articles.alias)["count"] == 1


def test_known_and_updates_cover_the_whole_alias_after_rollover(storage):
    storage.setup()
    storage.articles.write([article(1)], {})
    storage.articles.refresh()
    storage.es.indices.rollover(
        alias=storage.articles.alias
    )  # _id is unique per index only: the alias must be asked
    known = storage.articles.known(["id1", "id2"])
    assert set(known) == {"id1"} and known["id1"].index == storage.names.first_articles_index
    result = storage.articles.write([article(1, title="Story 1, updated")], {"id1": known["id1"]})
    storage.articles.refresh()
    assert result.updated == ["id1"]
    hits = storage.es.search(index=storage.articles.alias, query={"ids": {"values": ["id1"]}})["hits"]
    assert hits["total"]["value"] == 1 and hits["hits"][0]["_source"]["title"] == "Story 1, updated"


def test_known_finds_articles_by_any_of_their_url_ids(storage):
    storage.setup()
    storage.articles.write([article(5, url_ids=["id5", "feedlink5"])], {})
    storage.articles.refresh()
    assert storage.articles.known(["feedlink5"])["feedlink5"].id == "id5"


def test_search_lucene_syntax_topics_and_duplicates(storage):
    storage.setup()
    storage.articles.write(
        [
            article(1),
            article(2, body="The football derby ended 3-1.", topics=[]),
            article(3, duplicate_of="id1"),
        ],
        {},
    )
    storage.articles.refresh()
    result = search(storage, 'Riabkov OR "strategic stability"')
    assert [h["id"] for h in result["hits"]] == ["id1"]
    assert any("**Riabkov**" in h for h in result["hits"][0]["highlights"])
    with_dupes = search(storage, "Riabkov", include_duplicates=True)
    assert {h["id"] for h in with_dupes["hits"]} == {"id1", "id3"}
    assert search(storage, "*", topic="arms_control")["total"] == 1
    assert search(storage, "derby", since="3650000d")["total"] == 1
    with pytest.raises(NewsmonError, match="rejected by Elasticsearch"):
        search(storage, "title:(unbalanced")
    with pytest.raises(NewsmonError, match="--since"):
        search(storage, "x", since="yesterday")


def test_pending_markers_are_cleared_without_rewriting_the_article(storage):
    storage.setup()
    arts = [article(n) for n in range(3)]
    assert len(storage.articles.write(arts, {}).created) == 3
    storage.articles.refresh()
    version = {a.id: storage.es.get(index=storage.articles.alias, id=a.id)["_version"] for a in arts}
    assert sorted(storage.pending.waiting("pending_cluster")) == ["id0", "id1", "id2"]
    assert storage.pending.waiting("pending_alert", unless="pending_cluster") == []
    storage.pending.clear(["id0", "id1"], "pending_cluster")
    assert storage.pending.waiting("pending_cluster") == ["id2"]
    assert sorted(storage.pending.waiting("pending_alert", unless="pending_cluster")) == ["id0", "id1"]
    storage.pending.clear(["id0"], "pending_alert")
    assert storage.pending.waiting("pending_alert", unless="pending_cluster") == ["id1"]
    assert not storage.es.exists(index=storage.names.pending, id="id0")  # nothing left to do: gone
    # The articles themselves were written once and never again.
    assert {a.id: storage.es.get(index=storage.articles.alias, id=a.id)["_version"] for a in arts} == version
    assert all(
        "pending_cluster" not in storage.es.get(index=storage.articles.alias, id=a.id)["_source"]
        for a in arts
    )


def test_articles_flagged_by_an_older_version_are_still_found_and_cleared(storage):
    storage.setup()
    # Before the markers, the flags were fields of the article itself.
    doc = article(7).to_document() | {"pending_cluster": True, "pending_alert": True}
    storage.es.index(index=storage.articles.alias, id="id7", document=doc, refresh=True)
    assert storage.pending.waiting("pending_cluster") == ["id7"]
    storage.pending.clear(["id7"], "pending_cluster")
    assert storage.pending.waiting("pending_cluster") == [] and storage.pending.waiting("pending_alert") == [
        "id7"
    ]
    storage.pending.clear(["id7"], "pending_alert")
    assert storage.pending.waiting("pending_alert") == []
    assert storage.es.get(index=storage.articles.alias, id="id7")["_source"]["pending_alert"] is False
