"""What a language copy costs in the index: bytes per article and Elasticsearch's indexing time.

For each language of newsmon.analysis.LANGUAGES found in the JSONL files given (records with
`lang`, `title`, `text`; by default eval/data/topics-multilingual*.jsonl), the same articles are
written into two indices made from the articles template: one as the pipeline writes them (with
`title_<lang>`/`body_<lang>` analysed by the language's analyzer), one without the copies (the
`standard` fields only). Each index is force-merged to one segment; the difference of their store
sizes, divided by the articles, is what the copy costs per article. The indexing cost is the
`indexing.index_time_in_millis` Elasticsearch reports (time spent in its indexing threads) for the
articles written `REPEAT` times, per article, with and without the copy: the best of `ROUNDS`.

    python -m bench.language_index [FILE.jsonl ...]      (NEWSMON_ES_URL, default 127.0.0.1:9200)
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from newsmon.analysis import LANGUAGES, language_fields
from newsmon.settings import load_settings
from newsmon.storage import Storage
from newsmon.storage.backend import resource_json
from newsmon.storage.client import make_client

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 10  # each article written this many times (distinct ids) for the timing
ROUNDS = 3


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


def _documents(recs: list[dict[str, Any]], lang: str, copies: bool) -> list[dict[str, Any]]:
    docs = []
    for rec in recs:
        doc: dict[str, Any] = {"title": rec.get("title") or "", "body": rec["text"], "language": lang}
        if copies:
            doc |= language_fields(doc)
        docs.append(doc)
    return docs


def _write(storage: Storage, index: str, docs: list[dict[str, Any]], repeat: int) -> tuple[int, float]:
    """Create `index` (the template applies), write the documents `repeat` times, merge to one
    segment: (store bytes, indexing milliseconds)."""
    es = storage.es
    es.indices.create(index=index, settings={"index": {"number_of_replicas": 0, "refresh_interval": "-1"}})
    ops: list[dict[str, Any]] = []
    for r in range(repeat):
        for n, doc in enumerate(docs):
            ops += [{"index": {"_index": index, "_id": f"{r}-{n}"}}, doc]
    for start in range(0, len(ops), 1000):
        resp = es.bulk(operations=ops[start : start + 1000])
        assert not resp["errors"], resp
    es.indices.refresh(index=index)
    es.indices.forcemerge(index=index, max_num_segments=1)
    stats = es.indices.stats(index=index, metric=["store", "indexing"])["indices"][index]["primaries"]
    return int(stats["store"]["size_in_bytes"]), float(stats["indexing"]["index_time_in_millis"])


def measure(storage: Storage, lang: str, recs: list[dict[str, Any]]) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6]
    n = len(recs)
    row: dict[str, Any] = {"lang": lang, "analyzer": LANGUAGES[lang], "articles": n}
    row["chars"] = sum(len(r["text"]) + len(r.get("title") or "") for r in recs) // n
    for copies, key in ((False, "plain"), (True, "copy")):
        size, _ = _write(
            storage, f"{storage.prefix}articles-{lang}-{key}-{tag}", _documents(recs, lang, copies), 1
        )
        row[f"bytes_{key}"] = size / n
        times = []
        for r in range(ROUNDS):
            index = f"{storage.prefix}articles-{lang}-{key}-t{r}-{tag}"
            _, ms = _write(storage, index, _documents(recs, lang, copies), REPEAT)
            times.append(ms / (n * REPEAT))
            storage.es.indices.delete(index=index)
        row[f"ms_{key}"] = min(times)
    row["bytes_extra"] = row["bytes_copy"] - row["bytes_plain"]
    row["ms_extra"] = row["ms_copy"] - row["ms_plain"]
    return row


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "eval" / "data").glob("topics-multilingual*.jsonl"))
    by_lang = _records(paths)
    url = os.environ.get("NEWSMON_ES_URL", "http://127.0.0.1:9200")
    prefix = f"bench-lang-{uuid.uuid4().hex[:8]}-"
    with Storage(make_client(load_settings({"NEWSMON_ES_URL": url})), prefix, url) as storage:
        body = resource_json("articles-template.json", prefix)
        storage.es.indices.put_index_template(name=f"{prefix}articles", **body)
        try:
            # Warm-up: the node's first analyses of a language load its dictionaries and JIT.
            for lang, recs in sorted(by_lang.items()):
                _write(storage, f"{prefix}articles-warm-{lang}", _documents(recs, lang, True), 2)
            rows = [measure(storage, lang, recs) for lang, recs in sorted(by_lang.items())]
        finally:
            storage.es.indices.delete(index=f"{prefix}*", expand_wildcards="all")
            storage.es.indices.delete_index_template(name=f"{prefix}articles")
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
