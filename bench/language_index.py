"""What a language copy costs in the index: bytes per article and Elasticsearch's indexing time.

For each language of newsmon.analysis.LANGUAGES found in the JSONL files given (records with
`lang`, `title`, `text`; by default eval/data/topics-multilingual*.jsonl), the same articles are
written through the pipeline's storage (`Articles.write`, a prefix of their own, the articles
template) twice: once in their language (with the `title_<lang>`/`body_<lang>` copies), once as
an unsupported language (`standard` fields only). The articles index is force-merged to one
segment; the difference of the store sizes, divided by the articles, is what the copy costs per
article. The indexing cost is the `indexing.index_time_in_millis` Elasticsearch reports (time in
its indexing threads) per article for the articles written REPEAT more times, best of ROUNDS.

    python -m bench.language_index [FILE.jsonl ...]      (NEWSMON_ES_URL, default 127.0.0.1:9200)
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from newsmon.analysis import LANGUAGES
from newsmon.records import Article
from newsmon.settings import load_settings
from newsmon.storage import Storage

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 10  # each article written this many more times (new ids) for the timing
ROUNDS = 3
UNSUPPORTED = "xx"  # a language without a copy: the `standard` fields only


def _records(paths: list[Path]) -> dict[str, list[dict[str, Any]]]:
    by_lang: dict[str, list[dict[str, Any]]] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            lang = rec.get("lang") or rec.get("language")
            if lang in LANGUAGES and rec.get("text"):
                by_lang.setdefault(lang, []).append(rec)
    return by_lang


def _articles(recs: list[dict[str, Any]], lang: str, round_: int) -> list[Article]:
    out = []
    for n, rec in enumerate(recs):
        url = f"https://bench.example/{round_}/{n}"
        out.append(Article(
            id=f"r{round_}-{n}", url=url, canonical_url=url, source="bench", source_domain="bench.example",
            title=rec.get("title") or "", body=rec["text"], summary=None, authors=[],
            published_at="2026-11-20T10:00:00Z", fetched_at="2026-11-28T00:00:00Z", language=lang,
            content_hash=f"h{round_}-{n}", topics=[], url_ids=[f"r{round_}-{n}"],
        ))  # fmt: skip
    return out


def _variant(url: str, recs: list[dict[str, Any]], lang: str) -> tuple[float, float]:
    """(store bytes per article, best indexing ms per article) of the articles stored as `lang`."""
    settings = load_settings(
        {"NEWSMON_ES_URL": url, "NEWSMON_INDEX_PREFIX": f"bench-lang-{uuid.uuid4().hex[:8]}-"}
    )
    with Storage.from_settings(settings) as storage:
        try:
            storage.setup()
            assert not storage.articles.write(_articles(recs, lang, 0), {}).errors
            size, spent = storage.articles_footprint()
            times = []
            for r in range(ROUNDS):
                arts = [a for k in range(REPEAT) for a in _articles(recs, lang, 1 + r * REPEAT + k)]
                assert not storage.articles.write(arts, {}).errors
                _, total = storage.articles_footprint()
                times.append((total - spent) / len(arts))
                spent = total
        finally:
            storage.drop_all()
    return size / len(recs), min(times)


def measure(url: str, lang: str, recs: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(recs)
    row: dict[str, Any] = {"lang": lang, "analyzer": LANGUAGES[lang], "articles": n}
    row["chars"] = sum(len(r["text"]) + len(r.get("title") or "") for r in recs) // n
    row["bytes_plain"], row["ms_plain"] = _variant(url, recs, UNSUPPORTED)
    row["bytes_copy"], row["ms_copy"] = _variant(url, recs, lang)
    row["bytes_extra"] = row["bytes_copy"] - row["bytes_plain"]
    return row


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "eval" / "data").glob("topics-multilingual*.jsonl"))
    by_lang = _records(paths)
    url = os.environ.get("NEWSMON_ES_URL", "http://127.0.0.1:9200")
    # Warm-up: the node's first analyses in a language load its dictionaries and compile its code.
    for lang, recs in sorted(by_lang.items()):
        _variant(url, recs[:5], lang)
    rows = [measure(url, lang, recs) for lang, recs in sorted(by_lang.items())]
    print(
        "| lang | analyzer | articles | chars/article | bytes/article, standard only | with the copy | "
        "copy: bytes/article | indexing ms/article, standard only | with the copy |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['lang']} | {r['analyzer']} | {r['articles']} | {r['chars']:,} | {r['bytes_plain']:,.0f} | "
            f"{r['bytes_copy']:,.0f} | {r['bytes_extra']:+,.0f} ({r['bytes_extra'] / r['bytes_plain']:+.0%}) | "
            f"{r['ms_plain']:.3f} | {r['ms_copy']:.3f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
