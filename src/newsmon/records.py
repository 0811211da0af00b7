"""Typed records passed between stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from newsmon.analysis import language_fields


@dataclass
class FeedEntry:
    feed_id: str
    link: str  # as the feed gave it (absolute)
    canonical_url: str
    id: str  # document _id from canonical_url
    title: str | None = None
    summary: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    guid: str | None = None
    language_hint: str | None = None  # the feed's `language:` (config), else the feed's own


@dataclass
class Article:
    id: str
    url: str
    canonical_url: str
    source: str
    source_domain: str
    title: str | None
    body: str
    summary: str | None
    authors: list[str]
    published_at: str | None
    fetched_at: str
    language: str | None
    site_name: str | None = None
    published_at_source: str | None = None  # page, feed or fetched: where published_at came from
    feed_published_at: str | None = None
    feed_updated_at: str | None = None
    content_hash: str = ""
    topics: list[str] = field(default_factory=list)
    topic_scores: dict[str, float] = field(default_factory=dict)
    topic_evidence: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    extraction: dict[str, Any] = field(default_factory=dict)
    extraction_method: str | None = None
    teaser: bool = False
    duplicate_of: str | None = None
    cluster_size: int = 1
    outlets: list[str] = field(default_factory=list)
    match: str | None = None  # how a cluster member was recognised: exact | near | edited
    url_ids: list[str] = field(default_factory=list)
    para_hashes: list[str] = field(default_factory=list)
    lsh_bands: list[str] = field(default_factory=list)
    shingle_sketch: str = ""  # newsmon.stories.similarity.encode_sketch: what confirming a copy needs
    content_type: str = "html"  # html, or pdf: a PDF document linked from a feed
    page_count: int | None = None  # a PDF's pages

    def to_document(self) -> dict[str, Any]:
        doc = asdict(self)
        doc.pop("id")
        doc["@timestamp"] = self.fetched_at
        # Topic ids contain dots, so a {topic: score} object would turn into nested object paths;
        # a list of pairs maps cleanly (nested) and can be filtered on a minimum score.
        doc["topic_scores"] = [{"topic": t, "score": s} for t, s in sorted(self.topic_scores.items())]
        doc.update(language_fields(doc))
        return doc
