"""Reading Elasticsearch's analysis of a text in tests."""

from __future__ import annotations

from elasticsearch import Elasticsearch


def tokens(es: Elasticsearch, index: str | None = None, **body) -> list[str]:
    """The tokens `_analyze` gives for `body` (analyzer or tokenizer/filters, and text)."""
    return [t["token"] for t in es.indices.analyze(index=index, **body)["tokens"]]
