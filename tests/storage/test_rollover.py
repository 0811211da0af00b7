"""Everything newsmon does keeps working after the articles alias is rolled over, once and twice:
the alias then spans several indices, and a request Elasticsearch runs on one index only (analysis,
term vectors, updates by id) must name a concrete index, never the alias."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon import run
from newsmon.cli import main
from newsmon.records import Article
from newsmon.settings import Settings
from newsmon.storage import Storage
from tests.helpers.records import DEMO, article
from tests.helpers.servers import FeedServer, WebhookReceiver

pytestmark = pytest.mark.integration

# One new story per round, each about a name no other story has, and a rule for it.
NAMES = ("Varnholt", "Quillmere", "Brastow")
PARAGRAPH = (
    "<p>The delegation led by envoy {name} arrived in Vienna on {day} for another round of talks on "
    "missile limits, verification visits and the exchange of launch notifications between the "
    "parties. Officials said the agenda of round {round} had been agreed in advance.</p>"
)


def page(n: int, edited: bool = False) -> bytes:
    name = NAMES[n]
    paragraphs = "".join(
        PARAGRAPH.format(name=name, day=day, round=n + 1) + f"<p>{name} told reporters in {city} that "
        f"the {topic} would need more work before any text could be signed by the ministers.</p>"
        for day, city, topic in (
            ("Monday", "Vienna", "inspection protocol"),
            ("Tuesday", "Geneva", "data exchange annex"),
            ("Wednesday", "Oslo", "notification regime"),
        )
    )
    if edited:
        paragraphs += f"<p>Update: {name} left Vienna on Thursday without a joint statement.</p>"
    return (
        f"<html><head><title>{name} in Vienna</title></head><body><article><h1>{name} opens round "
        f"{n + 1} of the Vienna talks</h1>{paragraphs}</article></body></html>"
    ).encode()


class GrowingFeed(FeedServer):
    """An Atom feed that grows by one story per round; the story of the round before is edited
    (a later `updated`), so the pass replaces it in the index that holds it."""

    def publish(self, n: int) -> None:
        entries = ""
        for i in range(n + 1):
            edited = i == n - 1
            link = f"{self.base}/story-{i}.html"
            self.routes[f"/story-{i}.html"] = (200, {"Content-Type": "text/html"}, page(i, edited))
            updated = f"2026-12-0{1 + i + edited}T10:00:00Z"
            entries += (
                f"<entry><id>{link}</id><title>{NAMES[i]}</title><link href='{link}'/>"
                f"<updated>{updated}</updated></entry>"
            )
        feed = (
            f"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><id>{self.base}/</id>"
            f"<title>Fresh</title><updated>2026-12-05T10:00:00Z</updated>{entries}</feed>"
        )
        self.routes["/fresh.xml"] = (200, {"Content-Type": "application/atom+xml"}, feed.encode())


@pytest.fixture
def fresh() -> Iterator[GrowingFeed]:
    server = GrowingFeed()
    yield server
    server.close()


def rules_yaml(rounds: int) -> str:
    """One instant and one digest rule per round so far (a digest rule never sent is due); the
    rule `riabkov` is edited from the second round on."""
    rules = "".join(
        f"  - {{id: watch{r}, name: Watch {r}, query: {NAMES[r]}, channels: [hook]}}\n"
        f"  - {{id: daily{r}, name: Daily {r}, query: '{NAMES[r]} OR Riabkov', channels: [hook], "
        f'mode: digest, schedule: "0 7 * * *"}}\n'
        for r in range(rounds)
    )
    riabkov = "Riabkov" if rounds < 2 else "Riabkov OR Ryabkov"
    return (
        "channels:\n  - {id: hook, type: webhook, url_env: NEWSMON_TEST_HOOK}\n"
        f"rules:\n  - {{id: riabkov, name: Riabkov, query: '{riabkov}', channels: [hook]}}\n{rules}"
    )


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["-q", *args])
    out = capsys.readouterr()
    assert code == 0, f"newsmon {' '.join(args)} -> {code}: {out.err}"
    return code, out.out


def alias_indices(settings: Settings) -> list[str]:
    with Storage.from_settings(settings) as storage:
        found = storage.es.indices.get_alias(name=storage.names.articles)
    return sorted(found)


def roll_over(settings: Settings) -> None:
    before = alias_indices(settings)
    with Storage.from_settings(settings) as storage:
        done = storage.rollover("0s", "100gb")  # an age of 0 is always reached
    assert done["rolled_over"], done
    assert len(alias_indices(settings)) == len(before) + 1


def check_round(
    n: int, settings: Settings, fresh: GrowingFeed, webhook: WebhookReceiver, capsys: pytest.CaptureFixture[str],
    alerts: Path,
) -> None:  # fmt: skip
    """After the n-th rollover: a rule added and synced, a pass over new content that fires it,
    delivery, digests, feed status, the search page, `newsmon search`."""
    name = NAMES[n]
    alerts.write_text(rules_yaml(n + 1), encoding="utf-8")
    _, out = cli(capsys, "alerts", "sync", "--json")
    synced = json.loads(out)
    assert f"watch{n}" in synced["added"] and synced["errors"] == []
    assert synced["updated"] == (["riabkov"] if n == 1 else [])
    fresh.publish(n)
    _, out = cli(capsys, "run", "--json", "--ignore-schedule")
    summary = json.loads(out)
    assert summary["articles_new"] == 1 and summary["errors"] == [], summary
    assert summary["articles_updated"] == (1 if n > 0 else 0), summary
    assert summary["alerts_fired"] >= 1, summary
    fired = [e for body in webhook.received for e in body["events"] if e["rule_id"] == f"watch{n}"]
    assert len(fired) == 1, webhook.received

    digests = run.send_digests(settings)
    assert digests["digests_sent"] >= 1, digests
    _, out = cli(capsys, "feeds", "status", "--json")
    status = {row["id"]: row for row in json.loads(out)}
    assert status["fresh"]["health"] == "ok" and status["fresh"]["last_outcome"] == "new_content"

    from fastapi.testclient import TestClient

    from newsmon.web.app import create_app

    with TestClient(create_app(lambda: settings)) as client:
        page_ = client.get("/", params={"q": name})
        api = client.get("/api/search", params={"q": "Riabkov OR " + name})
    assert page_.status_code == 200 and f"{name} opens round" in page_.text
    assert api.status_code == 200 and api.json()["total"] >= 2
    _, out = cli(capsys, "search", name, "--json")
    assert json.loads(out)["total"] == 1
    _, out = cli(capsys, "alerts", "test", f"watch{n}", "--json")
    assert json.loads(out)["would_alert"] == 1
    with Storage.from_settings(settings) as storage:
        assert storage.articles.urls_stored_twice() == []
        if n > 0:  # the edited story stays in the index the round before wrote it to
            edited = storage.articles.search(query={"match_phrase": {"body": f"{NAMES[n - 1]} left Vienna"}})
            hits = edited["hits"]["hits"]
            assert [h["_index"] for h in hits] == [storage.names.articles_index(n + 1)]


def test_a_pass_alerts_digests_feeds_and_search_after_one_and_two_rollovers(
    site, settings_for, tmp_path, webhook, fresh, capsys, monkeypatch
):
    alerts = tmp_path / "alerts.yaml"
    alerts.write_text(rules_yaml(0), encoding="utf-8")
    monkeypatch.setenv("NEWSMON_TEST_HOOK", webhook.url)
    monkeypatch.setenv("NEWSMON_ALERTS_FILE", str(alerts))
    feeds = DEMO % {"base": site.base_url} + f'  - {{id: fresh, url: "{fresh.base}/fresh.xml"}}\n'
    fresh.publish(-1)  # no story yet
    settings = settings_for(feeds)
    cli(capsys, "setup")
    _, out = cli(capsys, "alerts", "sync", "--json")
    assert json.loads(out)["unchanged"] == ["riabkov"]  # `newsmon setup` synced it
    first = run.run_pass(settings)
    assert first.articles_new == 6 and first.errors == [] and first.alerts_fired == 1

    roll_over(settings)
    check_round(0, settings, fresh, webhook, capsys, alerts)
    roll_over(settings)
    check_round(1, settings, fresh, webhook, capsys, alerts)
    assert len(alias_indices(settings)) == 3


def story(n: int, body: str) -> Article:
    return article(n, body=body, url=f"https://a.example/{n}", url_ids=[f"id{n}"])


def test_every_single_index_request_names_a_concrete_index_after_rollovers(storage):
    articles = storage.articles
    first = storage.names.first_articles_index
    assert articles.write_index() == first
    articles.write([story(1, "Sergei Riabkov spoke about weapons.")], {})
    storage.rollover("0s", "100gb")
    second = storage.names.articles_index(2)
    # A Storage keeps the write index it found for its task; a new one (the next task) finds the new.
    assert articles.write_index() == first
    later = Storage(storage.es, storage.prefix, storage.url)
    assert later.articles.write_index() == second
    for arts in (articles, later.articles):
        assert arts.analyze("Weapons talks") == ["weapons", "talks"]
        assert "arms" in (arts.analyze_with("newsmon_english_search", "weapon") or [])
        assert arts.analyze_with("no_such_analyzer", "weapon") is None
        assert arts.analyze("Weapons", "body_en")
        assert arts.validate({"query_string": {"query": "Riabkov"}}) is None
        assert "Cannot parse" in (arts.validate({"query_string": {"query": "Riabkov AND ("}}) or "")
    result = later.articles.write([story(2, "Ryabkov met the delegation.")], {})
    assert result.created == ["id2"] and result.stored_in == {"id2": second}
    articles.refresh()
    hits = articles.get_many(["id1", "id2"], ["url_ids"])
    assert sorted(h["_index"] for h in hits) == [first, second]
    assert (
        articles.update_many([(h["_index"], h["_id"], {"url_ids": [h["_id"], "x" + h["_id"]]}) for h in hits])
        == 2
    )
    vectors = articles.term_vectors(hits, ["body"])
    assert all(v["found"] for v in vectors) and len(vectors) == 2
    articles.refresh()
    known = articles.known(["xid1", "xid2"])
    assert {k: v.index for k, v in known.items()} == {"xid1": first, "xid2": second}
    # A reindex deletes the indices a Storage may have kept: its next analysis finds the new one.
    storage.reindex_articles()
    assert articles.analyze("Weapons talks") == ["weapons", "talks"]
    assert articles.write_index() == storage.names.articles_index(3)


def test_rollover_by_age_follows_newsmons_clock_and_the_oldest_article(storage):
    """The age is the write index's oldest `fetched_at` against newsmon's clock, not the index's
    creation time against Elasticsearch's: a simulated month later the alias rolls over."""
    from datetime import UTC, datetime, timedelta

    from newsmon import clock

    t0 = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
    fetched = t0.isoformat().replace("+00:00", "Z")
    storage.articles.write([article(1, url="https://a.example/1", fetched_at=fetched)], {})
    first, second = storage.names.first_articles_index, storage.names.articles_index(2)
    with clock.use(lambda: t0 + timedelta(days=29)):
        young = storage.rollover("30d", "100gb")
    assert young["rolled_over"] is False and young["old_index"] == first
    assert young["conditions"]["[max_age: 30d]"] is False and young["due"] is False
    with clock.use(lambda: t0 + timedelta(days=31)):
        dry = storage.rollover("30d", "100gb", dry_run=True)
        assert dry["dry_run"] is True and dry["due"] is True and dry["new_index"] == second
        assert storage.articles.write_index() == first  # a dry run changes nothing
        done = storage.rollover("30d", "100gb")
    assert done["rolled_over"] is True and done["old_index"] == first and done["new_index"] == second
    assert done["conditions"]["[max_age: 30d]"] is True
    assert done["oldest_fetched_at"] == fetched
    # The new write index is empty: however late it is, an empty index never rolls over by age.
    with clock.use(lambda: t0 + timedelta(days=400)):
        empty = storage.rollover("30d", "100gb")
    assert empty["rolled_over"] is False and empty["old_index"] == second
