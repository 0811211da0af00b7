"""Sample records the tests share: an article to index, alert rules and events, the demo feeds."""

from __future__ import annotations

from newsmon.records import Article

# The demo site's two feeds (the wire outlet and the scraper republishing it); `% {"base": site.base_url}`.
DEMO = """
feeds:
  - {id: meridian-wire, url: "%(base)s/outlet/rss.xml"}
  - {id: scraper-blog, url: "%(base)s/scraper/feed.atom"}
"""


# -- articles ------------------------------------------------------------------------------------


def article(
    n: int, body: str = "Riabkov and Sherman discussed strategic stability in Geneva.", **kw
) -> Article:
    """Article number `n` as the pipeline stores it (an arms-control story by default); `kw` overrides."""
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


# -- alerts --------------------------------------------------------------------------------------

RULE = {
    "id": "riabkov",
    "name": "Riabkov watch",
    "query": 'Riabkov OR "strategic stability"',
    "schedule": "0 7 * * *",
}


def event(article_id: str = "a1", **overrides) -> dict:
    """An alert event of RULE for `article_id`, as stored and delivered; `overrides` replace fields."""
    base = {
        "id": f"riabkov-{article_id}",
        "rule_id": "riabkov",
        "rule_name": "Riabkov watch",
        "article_id": article_id,
        "title": "Moscow signals pause in strategic stability dialogue",
        "url": f"https://outlet.example/news/{article_id}",
        "source": "outlet",
        "source_domain": "outlet.example",
        "published_at": "2024-05-03T14:20:00+02:00",
        "topics": ["arms_control", "arms_control.strategic_stability"],
        "highlights": [
            "… Deputy Foreign Minister Sergei **Riabkov** noted that **strategic stability** talks …"
        ],
        "matched_terms": ["Riabkov", "strategic stability"],
        "cluster_size": 3,
        "outlets": ["outlet.example", "wire.example", "daily.example"],
        "mode": "instant",
        "created_at": "2024-05-03T12:25:00+00:00",
    }
    base.update(overrides)
    return base


def digest_events() -> list[dict]:
    """A digest's events: one story matched twice (another copy), stories under two subtopics, one
    without topics."""
    return [
        event("a1", mode="digest"),
        # the same story matched again (another copy): one entry, terms merged
        event("a1", id="riabkov-a1b", mode="digest", highlights=["… said **Riabkov** on Tuesday …"]),
        event(
            "a2",
            mode="digest",
            title="IAEA board meets on safeguards",
            topics=["arms_control", "arms_control.nonproliferation"],
            published_at="2024-05-02T09:00:00Z",
            cluster_size=1,
            outlets=[],
        ),
        event(
            "a3",
            mode="digest",
            title="Riabkov comments on New START",
            topics=["arms_control", "arms_control.strategic_stability"],
            published_at="2024-05-04T08:00:00Z",
            cluster_size=1,
        ),
        event("a4", mode="digest", title="Riabkov at a trade fair", topics=[], cluster_size=1),
    ]
