"""The text tools, which need no Elasticsearch: `newsmon extract` (saved HTML pages), `newsmon tag`
(topics and entities of a text) and `newsmon similar` (copies of one story grouped)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsmon.cli.common import EXIT_ERROR, EXIT_OK, Subcommands, print_json
from newsmon.errors import NewsmonError

if TYPE_CHECKING:
    from newsmon.stories.clustering import Doc
    from newsmon.tagging import TagResult


def add_extract_parser(sub: Subcommands) -> None:
    p = sub.add_parser("extract", help="extract article text and metadata from saved HTML files")
    p.add_argument("files", nargs="+", metavar="FILE", help="saved HTML page(s)")
    p.add_argument("--url", help="the URL the page was fetched from (for metadata and same-site checks)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--jsonl", action="store_true", help="one JSON object per file, one per line")
    out.add_argument("--json", action="store_true", help='one JSON object, {"files": [...]}')
    p.set_defaults(func=cmd_extract)


def add_tag_parser(sub: Subcommands) -> None:
    p = sub.add_parser("tag", help="tag text from stdin with arms-control topics and explain why")
    out = p.add_mutually_exclusive_group()
    out.add_argument(
        "--jsonl", action="store_true", help="stdin and stdout are JSON lines with title and body"
    )
    out.add_argument(
        "--json", action="store_true", help="stdin is text (title on the first line); print JSON"
    )
    p.add_argument("--topics", help="taxonomy file (default: $NEWSMON_CONFIG_DIR/topics.yaml)")
    p.set_defaults(func=cmd_tag)


def add_similar_parser(sub: Subcommands) -> None:
    p = sub.add_parser(
        "similar",
        help="group texts into stories (copies of one story join), as the pipeline does",
        description="Reads JSON lines on stdin, each with id and body (title and source optional; "
        "copies from one source never join), and prints the stories, singletons included.",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--jsonl", action="store_true", help='print one JSON line per story: {"ids": [...]}')
    out.add_argument("--json", action="store_true", help='print one JSON object: {"stories": [{"ids"}]}')
    p.set_defaults(func=cmd_similar)


def cmd_extract(args: argparse.Namespace) -> int:
    """Each file's extraction (an HTML page, or a PDF document by its signature); a file that cannot
    be read, or a PDF that cannot (encrypted, broken, scanned), is reported and makes the exit code 1."""
    from newsmon import clock
    from newsmon.extraction import extract_page
    from newsmon.extraction.pdf import PdfRefused, extract_pdf, is_pdf
    from newsmon.settings import load_settings

    status = EXIT_OK
    records: list[dict[str, Any]] = []
    pdf_pages: int | None = None
    for name in args.files:
        path = Path(name)
        try:
            html = path.read_bytes()
        except OSError as exc:
            print(f"newsmon extract: {path}: {exc.strerror}", file=sys.stderr)
            status = EXIT_ERROR
            continue
        if is_pdf("", html):
            try:
                pdf_pages = pdf_pages or load_settings().pdf_max_pages
                ext = extract_pdf(html, now=clock.now(), max_pages=pdf_pages)
            except PdfRefused as exc:
                print(f"newsmon extract: {path}: {exc.reason}", file=sys.stderr)
                status = EXIT_ERROR
                continue
        else:
            ext = extract_page(html, args.url)
        record = {
            "file": str(path),
            "title": ext.title,
            "body": ext.body,
            "authors": ext.authors,
            "published_at": ext.published_at,
            "language": ext.language,
            "canonical_url": ext.canonical_url,
            "site_name": ext.site_name,
            "method": ext.method,
            "is_article": ext.is_article,
            "teaser": ext.teaser,
            "notes": ext.notes,
            "content_type": ext.content_type,
            "page_count": ext.page_count,
        }
        if args.jsonl:
            print(json.dumps(record, ensure_ascii=False))
        elif args.json:
            records.append(record)
        else:
            print(f"== {path}: {ext.title!r} ({ext.language}, {ext.published_at}, {ext.chars} chars)")
            print(ext.body, end="\n\n")
    if args.json:
        print_json({"files": records})
    return status


def cmd_tag(args: argparse.Namespace) -> int:
    from newsmon.settings import load_settings
    from newsmon.tagging import Tagger, load_taxonomy

    settings = load_settings()
    tagger = Tagger(load_taxonomy(Path(args.topics) if args.topics else settings.topics_path))
    if not args.jsonl:
        text = sys.stdin.read()
        title, _, body = text.partition("\n")
        result = tagger.tag(title, body)
        if args.json:
            print_json({"topics": result.topics, "topic_scores": result.scores,
                        "topic_evidence": result.evidence, "entities": result.entities})  # fmt: skip
        else:
            print(_explain(result))
        return EXIT_OK
    for _n, record in _json_lines(sys.stdin):
        result = tagger.tag(record.get("title"), record.get("body"))
        record["topics"] = result.topics
        record["topic_scores"] = result.scores
        record["topic_evidence"] = result.evidence
        record["entities"] = result.entities
        print(json.dumps(record, ensure_ascii=False))
    return EXIT_OK


def cmd_similar(args: argparse.Namespace) -> int:
    from newsmon.stories.clustering import cluster_docs

    groups = cluster_docs(_similar_docs(sys.stdin))
    if args.json:
        print_json({"stories": [{"ids": g} for g in groups]})
    elif args.jsonl:
        for group in groups:
            print(json.dumps({"ids": group}, ensure_ascii=False))
    else:
        for n, group in enumerate(groups, 1):
            copies = f"{len(group)} copies" if len(group) > 1 else "1 copy"
            print(f"story {n} ({copies}): {', '.join(group)}")
    return EXIT_OK


def _similar_docs(stream: Iterable[str]) -> list[Doc]:
    """The documents of `newsmon similar`'s input: an id and a body each, every id once."""
    from newsmon.stories.clustering import make_doc

    docs = []
    seen: set[str] = set()
    for n, record in _json_lines(stream):
        try:
            doc_id, body = str(record["id"]), record["body"]
            if not isinstance(body, str):
                raise ValueError("body is not a string")
        except (ValueError, KeyError) as exc:
            raise NewsmonError(f"stdin line {n}: expected a JSON object with id and body ({exc})") from None
        if doc_id in seen:
            raise NewsmonError(f"stdin line {n}: id {doc_id!r} appears twice")
        seen.add(doc_id)
        source = record.get("source") or record.get("outlet")
        docs.append(make_doc(doc_id, body, source=str(source) if source else None))
    return docs


def _json_lines(stream: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-empty line; a line that is not a JSON object is an error."""
    for n, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise NewsmonError(f"stdin line {n}: not JSON ({exc})") from None
        if not isinstance(record, dict):
            raise NewsmonError(f"stdin line {n}: not a JSON object")
        yield n, record


def _explain(result: TagResult) -> str:
    """Why the text got its topics: each topic's score, and the terms that made it."""
    if not result.topics:
        lines = ["no topic"]
    else:
        lines = [f"topics: {', '.join(result.topics)}"]
    for topic, score in result.scores.items():
        mark = "tagged" if topic in result.topics else "below threshold"
        lines.append(f"  {topic}: score {score} ({mark})")
        for ev in (e for e in result.evidence if e["topic"] == topic):
            where = f"{ev['field']} [{ev['start']}:{ev['end']}]"
            lines.append(f"    {ev['term']!r} (weight {ev['weight']:g}) in {where}: {ev['snippet']}")
    if result.entities:
        lines.append("entities:")
    for ent in result.entities:
        role = f", {ent['role']}" if ent.get("role") else ""
        seen = f"{ent['mentions']} mention(s) as {', '.join(ent['aliases'])}"
        lines.append(f"  {ent['type']}: {ent['name']}{role} ({seen})")
    return "\n".join(lines)
