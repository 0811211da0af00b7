"""`newsmon setup --reindex` while passes run: a pass (in a thread, against a slow loopback site)
re-indexes an edited story and clusters a copy of a stored one while the articles are copied into
a new index; afterwards every article is stored once, none is missing, the alias has one index."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from newsmon import run
from newsmon.errors import StoreReadOnly
from newsmon.settings import Settings
from newsmon.storage import Storage, migration
from newsmon.storage.articles import Articles
from tests.helpers.records import article
from tests.helpers.servers import FeedServer

pytestmark = pytest.mark.integration

NAMES = ("Varnholt", "Quillmere", "Brastow", "Ostrander", "Kellaway", "Thornbury")
PAGE_DELAY_S = 0.3  # each page answers this late, so the pass is still writing while the reindex runs


def page(name: str, edited: bool = False) -> bytes:
    paragraphs = "".join(
        f"<p>The delegation led by envoy {name} arrived in {city} on {day} for another round of talks "
        "on missile limits, verification visits and the exchange of launch notifications between the "
        f"parties. {name} said the {topic} would need more work before ministers could sign.</p>"
        for day, city, topic in (
            ("Monday", "Vienna", "inspection protocol"),
            ("Tuesday", "Geneva", "data exchange annex"),
            ("Wednesday", "Oslo", "notification regime"),
        )
    )
    if edited:
        paragraphs += f"<p>Update: {name} left on Thursday without a joint statement.</p>"
    return (
        f"<html><head><title>{name} talks</title></head><body><article><h1>{name} opens a round of "
        f"talks</h1>{paragraphs}</article></body></html>"
    ).encode()


class SlowSite(FeedServer):
    """An Atom feed of stories whose pages answer slowly. `publish(stored, second=True)` edits the
    first story (a later `updated`), adds a copy of the second under another URL and new stories."""

    def route(self, path: str, body: bytes) -> None:
        def slow(_headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            time.sleep(PAGE_DELAY_S)
            return 200, {"Content-Type": "text/html"}, body

        self.routes[path] = slow

    def publish(self, second: bool) -> None:
        entries = []
        count = len(NAMES) if second else 3
        for i in range(count):
            edited = second and i == 0
            self.route(f"/story-{i}.html", page(NAMES[i], edited))
            entries.append((f"/story-{i}.html", NAMES[i], f"2026-12-0{1 + edited}T10:00:00Z"))
        if second:  # the same story as story-1, under another URL: a copy the clustering finds
            self.route("/copy-1.html", page(NAMES[1]))
            entries.append(("/copy-1.html", NAMES[1] + " (copy)", "2026-12-01T10:00:00Z"))
        items = "".join(
            f"<entry><id>{self.base}{p}</id><title>{t}</title><link href='{self.base}{p}'/>"
            f"<updated>{u}</updated></entry>"
            for p, t, u in entries
        )
        feed = (
            f"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><id>{self.base}/</id>"
            f"<title>Slow</title><updated>2026-12-05T10:00:00Z</updated>{items}</feed>"
        )
        self.routes["/feed.xml"] = (200, {"Content-Type": "application/atom+xml"}, feed.encode())


@pytest.fixture
def slow() -> Iterator[SlowSite]:
    server = SlowSite()
    yield server
    server.close()


@pytest.fixture
def settings(slow, settings_for) -> Settings:
    slow.publish(second=False)
    s = settings_for(f'feeds:\n  - {{id: slow, url: "{slow.base}/feed.xml"}}\n', bulk_chunk=2)
    first = run.run_pass(s, ignore_schedule=True)
    assert first.articles_new == 3 and first.errors == [], first.to_dict()
    slow.publish(second=True)
    return s


def stored(settings: Settings) -> dict[str, list[dict]]:
    """Every stored article by URL (a list: more than one would be a double)."""
    with Storage.from_settings(settings) as storage:
        storage.articles.refresh()
        out: dict[str, list[dict]] = {}
        for h in storage.articles.scan({"match_all": {}}, source=True):
            out.setdefault(h["_source"]["url"], []).append(h)
        return out


def check_after(settings: Settings, slow: SlowSite, new_index: str) -> None:
    by_url = stored(settings)
    assert sorted(by_url) == sorted(
        [f"{slow.base}/story-{i}.html" for i in range(len(NAMES))] + [f"{slow.base}/copy-1.html"]
    )
    assert all(len(hits) == 1 for hits in by_url.values()), {u: len(h) for u, h in by_url.items()}
    assert {h["_index"] for hits in by_url.values() for h in hits} == {new_index}
    edited = by_url[f"{slow.base}/story-0.html"][0]["_source"]
    assert "left on Thursday" in edited["body"] and edited.get("body_en") == edited["body"]
    leader = by_url[f"{slow.base}/story-1.html"][0]
    copy = by_url[f"{slow.base}/copy-1.html"][0]["_source"]
    assert leader["_source"].get("cluster_size") == 2 and copy.get("duplicate_of") == leader["_id"]
    with Storage.from_settings(settings) as storage:
        assert sorted(storage.es.indices.get_alias(name=storage.names.articles)) == [new_index]
    run.cluster(settings, [])  # the next cluster step clears whatever a pass left waiting
    run.alert(settings)
    with Storage.from_settings(settings) as storage:
        assert storage.pending.waiting("pending_cluster") == []
        assert storage.pending.waiting("pending_alert") == []


def test_a_pass_in_a_thread_writes_through_a_reindex_and_nothing_is_lost_or_doubled(
    settings, slow, monkeypatch
):
    outcome: dict[str, object] = {}

    def a_pass() -> None:
        try:
            outcome["summary"] = run.run_pass(settings, ignore_schedule=True)
        except BaseException as exc:  # reported by the assertion below
            outcome["error"] = exc

    thread = threading.Thread(target=a_pass)
    real_copy = migration.copy_documents

    def copy_once_the_pass_is_done(backend, old, new):
        # The old indices are blocked and the new one takes writes for the whole pass: every write
        # of it to a stored story meets the block; only then does the copy start.
        thread.join()
        return real_copy(backend, old, new)

    monkeypatch.setattr(migration, "copy_documents", copy_once_the_pass_is_done)
    thread.start()
    while not slow.hits("/story-0.html") and thread.is_alive():
        time.sleep(0.05)  # the pass has polled the feed and is fetching pages
    with Storage.from_settings(settings) as storage:
        moved = storage.reindex_articles()
    assert "error" not in outcome, outcome
    summary = outcome["summary"]
    assert summary.articles_new == 4 and summary.articles_updated == 1, summary.to_dict()
    # the edited story and the copy's leader were written to the new index before the copy
    assert moved["kept_newer"] >= 2 and moved["documents"] + moved["kept_newer"] == 3, moved
    check_after(settings, slow, moved["to"])


def test_a_reindex_that_ends_while_a_pass_holds_old_index_names(settings, slow, monkeypatch):
    real_write = Articles.write
    done: list[dict] = []

    def reindex_before_the_first_write(self, articles, replace, chunk_size=200, markers=None):
        if not done:  # the pass looked its stored articles up in the old index: it is gone now
            with Storage.from_settings(settings) as storage:
                done.append(storage.reindex_articles())
        return real_write(self, articles, replace, chunk_size, markers)

    monkeypatch.setattr(Articles, "write", reindex_before_the_first_write)
    summary = run.run_pass(settings, ignore_schedule=True)
    assert summary.errors == [] and summary.articles_updated == 1, summary.to_dict()
    with Storage.from_settings(settings) as storage:
        assert not storage.es.indices.exists(index=done[0]["from"][0])  # not made again by a write
    check_after(settings, slow, done[0]["to"])


def test_a_failed_copy_is_undone_and_keeps_what_was_written_meanwhile(settings, slow, monkeypatch):
    with Storage.from_settings(settings) as storage:
        old = sorted(storage.es.indices.get_alias(name=storage.names.articles))
        story = storage.articles.get_many([h[0]["_id"] for h in stored(settings).values()][:1], ["url"])[0]
    real_copies = migration._copies

    def written_meanwhile_then_broken(backend, source, target, op):
        if op == "create":  # the copy into the new index: a pass writes, then one document is refused
            with Storage.from_settings(settings) as storage:
                assert storage.articles.write([article(90, url="https://a.example/90")], {}).created == [
                    "id90"
                ]
                assert (
                    storage.articles.update_many([(story["_index"], story["_id"], {"cluster_size": 7})]) == 1
                )
            for action in real_copies(backend, source, target, op):
                yield {**action, "_source": {**action["_source"], "published_at": "not a date"}}
        else:
            yield from real_copies(backend, source, target, op)

    monkeypatch.setattr(migration, "_copies", written_meanwhile_then_broken)
    with Storage.from_settings(settings) as storage, pytest.raises(Exception, match="undone"):
        storage.reindex_articles()
    by_url = stored(settings)
    assert all(len(hits) == 1 for hits in by_url.values()), by_url
    assert {h["_index"] for hits in by_url.values() for h in hits} == set(old)
    assert by_url["https://a.example/90"][0]["_index"] == old[-1]
    assert [h for h in by_url.values() if h[0]["_id"] == story["_id"]][0][0]["_source"]["cluster_size"] == 7
    with Storage.from_settings(settings) as storage:
        assert sorted(storage.es.indices.get_alias(name=storage.names.articles)) == old
        blocks = storage.es.indices.get_settings(index=",".join(old), name="index.blocks.write")
        assert all(not s.get("settings") for s in blocks.values()), blocks
    summary = run.run_pass(settings, ignore_schedule=True)  # passes go on as before
    assert summary.errors == [] and summary.articles_new == 4, summary.to_dict()


def test_an_operators_block_on_one_older_index_is_not_taken_for_a_reindex(settings):
    with Storage.from_settings(settings) as storage:
        storage.rollover("0s", "100gb")
        storage.rollover("0s", "100gb")
        first = storage.names.first_articles_index
        hit = storage.articles.get_many([h[0]["_id"] for h in stored(settings).values()][:1], ["url"])[0]
        assert hit["_index"] == first
        storage.es.indices.add_block(index=first, block="write")
        try:
            with pytest.raises(StoreReadOnly, match=r"index\.blocks\.write"):
                storage.articles.update_many([(first, hit["_id"], {"cluster_size": 5})])
        finally:
            storage.es.indices.put_settings(index=first, settings={"index.blocks.write": None})
    assert all(len(hits) == 1 for hits in stored(settings).values())  # not written a second time
