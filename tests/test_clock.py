"""newsmon's clock: replaceable for a block, and the time a page arrived travels with it to the
process that extracts it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from newsmon import clock
from newsmon.articles import build_article
from newsmon.fetching import Fetched
from newsmon.records import Article, FeedEntry
from newsmon.urls import doc_id

TOPICS = Path(__file__).resolve().parents[1] / "config" / "topics.yaml"


def test_use_replaces_the_clock_inside_the_block_only() -> None:
    then = datetime(2025, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    with clock.use(lambda: then):
        assert clock.now() == then and clock.now().tzinfo == UTC
        assert clock.now_iso() == "2025-03-01T07:30:00Z"
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_an_article_is_fetched_when_its_page_arrived_by_the_injected_clock() -> None:
    then = datetime(2025, 3, 1, 7, 30, tzinfo=UTC)
    body = "".join(
        f"<p>Paragraph {i} of the report on missile verification talks between the delegations, "
        "with enough words to count as the body of a news article about arms control.</p>"
        for i in range(8)
    )
    html = (
        f"<html><head><title>Talks</title></head><body><article><h1>Talks</h1>{body}</article></body></html>"
    )
    with clock.use(lambda: then):
        page = Fetched(
            url="http://127.0.0.1/a", final_url="http://127.0.0.1/a", status=200, content=html.encode()
        )
    link = "http://127.0.0.1/a"
    article = build_article(page, FeedEntry("f", link, link, doc_id(link)), TOPICS)
    assert isinstance(article, Article)
    assert article.fetched_at == "2025-03-01T07:30:00Z"
