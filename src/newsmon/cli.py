"""The `newsmon` command. Heavy modules are imported inside the commands that need them."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from newsmon import __version__
from newsmon.errors import ConfigError, NewsmonError, StoreUnavailable

# Exit codes (README "Operations", `newsmon --help`). 2 is argparse's own for usage errors; 78 is
# sysexits' EX_CONFIG, so a script can tell "I called it wrong" from "the setup is wrong".
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_ALL_FEEDS_FAILED = 4
EXIT_CONFIG = 78
EXIT_INTERRUPTED = 130
EXIT_CODES = f"""exit codes:
  {EXIT_OK}    done (a pass with some failed feeds or pages included: they are in its summary)
  {EXIT_ERROR}    an error newsmon explains in one line (bad query, unreadable input, Kibana refused, ...)
  {EXIT_USAGE}    usage error: unknown command or option, missing or malformed argument
  {EXIT_UNAVAILABLE}    Elasticsearch unreachable or not usable
  {EXIT_ALL_FEEDS_FAILED}    `newsmon run`: every feed it polled failed
  {EXIT_CONFIG}   configuration error: a NEWSMON_* variable or a file under config/ is wrong
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)
"""


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, default=str))


def _settings(args: argparse.Namespace) -> Any:
    from newsmon.settings import load_settings

    return load_settings(feeds_file=getattr(args, "feeds", None))


def _log_setup(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in ("elastic_transport", "httpx", "httpcore", "trafilatura", "htmldate", "courlan"):
        logging.getLogger(noisy).setLevel(logging.WARNING if not verbose else logging.INFO)
    # The client logs each retry with a traceback; newsmon reports the outcome in one line itself.
    logging.getLogger("elastic_transport").setLevel(logging.INFO if verbose else logging.CRITICAL)


def cmd_setup(args: argparse.Namespace) -> int:
    from newsmon.alerts.service import sync
    from newsmon.storage import open_storage

    settings = _settings(args)
    with open_storage(settings) as storage:
        done = storage.setup()
        if args.reindex:
            moved = storage.reindex_articles()
            done.pop("schema", None)
            done["reindexed"] = f"{moved['documents']} article(s) {', '.join(moved['from'])} -> {moved['to']}"
        synced = sync(storage, settings)
    if args.json:
        _print_json({"es_url": settings.es_url_shown, "prefix": settings.index_prefix, **done,
                     "rules": _sync_record(synced)})  # fmt: skip
        return 0
    for what, name in done.items():
        print(f"{what:<9} {name}")
    _print_sync(synced)
    print(f"Elasticsearch at {settings.es_url_shown} is set up (prefix {settings.index_prefix!r}).")
    return 0


def _sync_record(result: Any) -> dict[str, list[str]]:
    return {k: list(getattr(result, k)) for k in ("added", "updated", "removed", "unchanged", "errors")}


def _print_sync(result: Any) -> None:
    print(
        f"rules     {len(result.added)} added, {len(result.updated)} updated, {len(result.removed)} removed, "
        f"{len(result.unchanged)} unchanged"
    )
    for problem in result.errors:
        print(f"rule skipped: {problem}", file=sys.stderr)


def cmd_alerts(args: argparse.Namespace) -> int:
    from newsmon.alerts.delivery import deliver_instant
    from newsmon.alerts.service import load, run_digests, sync
    from newsmon.storage import open_storage

    settings = _settings(args)
    action = args.alerts_command
    if action == "list":
        loaded = load(settings)
        rules = [r.definition() for r in loaded.rules]
        kept = _kept_rules(settings)
        if args.json:
            print(json.dumps({"rules": rules, "errors": loaded.errors, "kept": kept}, ensure_ascii=False))
        else:
            for r in loaded.rules:
                state = "enabled" if r.enabled else "disabled"
                sched = f" {r.schedule}" if r.schedule else ""
                print(f"{r.id:<28} {r.mode}{sched:<12} {state:<8} -> {', '.join(r.channels)}  {r.query}")
            for problem in loaded.errors:
                print(f"ERROR {problem}")
            for k in kept:
                print(
                    f"ERROR rule {k['rule_id']} is broken; its last good version stays active: {k['query']}"
                )
        return 1 if loaded.errors and not loaded.rules else 0
    with open_storage(settings) as storage:
        if action == "sync":
            result = sync(storage, settings)
            if args.json:
                _print_json(_sync_record(result))
            else:
                _print_sync(result)
            return 0
        if action == "test":
            return _alerts_test(storage, settings, args)
        if action == "history":
            events = storage.alert_events.history(args.rule, size=args.size)
            if args.json:
                print(json.dumps({"events": events}, ensure_ascii=False))
            else:
                _print_history(events)
            return 0
        if action == "deliver":
            _print_outcome(args, "delivery", deliver_instant(storage, load(settings), settings.smtp()))
            return 0
        if action == "digest":
            _print_outcome(args, "digests", run_digests(storage, settings, force=args.force))
            return 0
    raise NewsmonError(f"unknown alerts action {action!r}")


def _print_outcome(args: argparse.Namespace, what: str, result: Any) -> None:
    """A counts dict as JSON, or as one readable line."""
    if args.json or not isinstance(result, dict):
        _print_json(result)
        return
    parts = ", ".join(f"{k.replace('_', ' ')} {v if not isinstance(v, list | dict) else len(v)}"
                      for k, v in result.items())  # fmt: skip
    print(f"{what}: {parts or 'nothing to do'}")


def _kept_rules(settings: Any) -> list[dict[str, Any]]:
    """Stored rules broken in alerts.yaml whose last good version still runs ([] without Elasticsearch)."""
    from newsmon.errors import StoreUnavailable
    from newsmon.storage import open_storage

    try:
        storage = open_storage(settings, attempts=1)
    except StoreUnavailable:
        return []
    with storage:
        if not storage.is_set_up():
            return []
        keys = ("rule_id", "query", "last_error", "error_at", "updated_at")
        return [{k: r.get(k) for k in keys} for r in storage.alert_rules.broken()]


def _alerts_test(storage: Any, settings: Any, args: argparse.Namespace) -> int:
    """Which stored stories a rule would have matched: a rule can be tried before it is switched on."""
    from newsmon.alerts.percolate import would_match
    from newsmon.alerts.service import load

    rule = load(settings).rule(args.rule)
    total, matches = would_match(storage, rule, args.since, args.size)
    if args.json:
        print(
            json.dumps(
                {"rule_id": rule.id, "since": args.since, "would_alert": total, "matches": matches},
                ensure_ascii=False,
            )
        )
        return 0
    print(f"rule {rule.id} ({rule.query}) since {args.since}: {total} stor{'y' if total == 1 else 'ies'}, "
          f"{total} alert(s) would have been sent ({rule.mode}, to {', '.join(rule.channels)})")  # fmt: skip
    for m in matches:
        print(f"  {m['published_at']}  {m['title']}  [{m['source']}]")
        for frag in m["highlights"][:2]:
            print("      … " + " ".join(frag.split()) + " …")
    return 0


def _print_history(events: list[dict[str, Any]]) -> None:
    from newsmon.alerts.messages import instant_message

    if not events:
        print("no alert events")
    for e in events:
        print(
            f"[{e['status']}] {e['created_at']} rule {e['rule_id']} -> article {e['article_id']} ({e['mode']})"
        )
        if e.get("last_error"):
            print(f"    last error: {e['last_error']}")
        for line in instant_message(e).text.splitlines():
            print(f"    | {line}")


def cmd_run(args: argparse.Namespace) -> int:
    from newsmon.run import run_pass

    summary = run_pass(_settings(args), ignore_schedule=args.ignore_schedule)
    if args.json:
        print(json.dumps(summary.to_contract(), ensure_ascii=False))
    else:
        print(summary.render("newsmon run"))
    if summary.all_failed:
        print(f"newsmon: every polled feed failed ({summary.feeds_failed})", file=sys.stderr)
        return 4
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from newsmon.search import render, search
    from newsmon.storage import open_storage

    settings = _settings(args)
    with open_storage(settings, attempts=1) as storage:
        result = search(
            storage, args.query, topic=args.topic, since=args.since, size=args.size,
            include_duplicates=args.include_duplicates,
        )  # fmt: skip
    print(json.dumps(result, ensure_ascii=False) if args.json else render(result))
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from newsmon.extraction import extract_page

    status = 0
    records = []
    for name in args.files:
        path = Path(name)
        try:
            html = path.read_bytes()
        except OSError as exc:
            print(f"newsmon extract: {path}: {exc.strerror}", file=sys.stderr)
            status = 1
            continue
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
        }
        if args.jsonl:
            print(json.dumps(record, ensure_ascii=False))
        elif args.json:
            records.append(record)
        else:
            print(f"== {path}: {ext.title!r} ({ext.language}, {ext.published_at}, {ext.chars} chars)")
            print(ext.body, end="\n\n")
    if args.json:
        _print_json({"files": records})
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
            _print_json({"topics": result.topics, "topic_scores": result.scores,
                         "topic_evidence": result.evidence, "entities": result.entities})  # fmt: skip
        else:
            print(_explain(result))
        return 0
    for _n, record in _json_lines(sys.stdin):
        result = tagger.tag(record.get("title"), record.get("body"))
        record["topics"] = result.topics
        record["topic_scores"] = result.scores
        record["topic_evidence"] = result.evidence
        record["entities"] = result.entities
        print(json.dumps(record, ensure_ascii=False))
    return 0


def _json_lines(stream: Any) -> Any:
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


def _explain(result: Any) -> str:
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


def cmd_similar(args: argparse.Namespace) -> int:
    from newsmon.stories.clustering import cluster_docs, make_doc

    docs = []
    seen: set[str] = set()
    for n, record in _json_lines(sys.stdin):
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
    groups = cluster_docs(docs)
    if args.json:
        _print_json({"stories": [{"ids": g} for g in groups]})
    elif args.jsonl:
        for group in groups:
            print(json.dumps({"ids": group}, ensure_ascii=False))
    else:
        for n, group in enumerate(groups, 1):
            copies = f"{len(group)} copies" if len(group) > 1 else "1 copy"
            print(f"story {n} ({copies}): {', '.join(group)}")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from newsmon.storage import open_storage
    from newsmon.summary import RunSummary

    settings = _settings(args)
    with open_storage(settings, attempts=1) as storage:
        runs = storage.runs.last(args.last)
    if args.json:
        print(json.dumps({"runs": runs}, ensure_ascii=False))
        return 0
    if not runs:
        print("no runs recorded yet")
    known = set(RunSummary.__dataclass_fields__)
    for run in runs:
        summary = RunSummary(**{k: v for k, v in run.items() if k in known})
        print(
            summary.render(f"{run.get('mode', '?')} pass {run.get('run_id', '?')} ({run.get('@timestamp')})")
        )
    return 0


def cmd_kibana_import(args: argparse.Namespace) -> int:
    from newsmon import kibana

    settings = _settings(args)
    url = args.url or settings.kibana_url
    if args.wait:
        kibana.wait_for_kibana(url, timeout=args.wait)
    password = settings.kibana_password or settings.es_password
    result = kibana.import_saved_objects(
        url,
        username=settings.kibana_username or settings.es_username,
        password=password.get_secret_value() if password else None,
        space=settings.kibana_space,
        index_prefix=settings.index_prefix,
    )
    if args.json:
        _print_json(result)
        return 0
    kinds: dict[str, int] = {}
    for obj in result["objects"]:
        kinds[obj["type"]] = kinds.get(obj["type"], 0) + 1
    detail = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    warnings = f"; {len(result['warnings'])} warning(s)" if result["warnings"] else ""
    print(f"Kibana at {result['url']}: imported {result['success_count']} saved object(s)"
          f"{f' ({detail})' if detail else ''}{warnings}")  # fmt: skip
    return 0


JSON_HELP = "print the result as one JSON object"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsmon",
        description="News monitoring for arms-control analysts.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newsmon {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("setup", help="install index templates and aliases (idempotent)")
    p.add_argument(
        "--reindex", action="store_true",
        help="also copy every article into a new index made from the current template (stop the scheduler first)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("run", help="one full monitoring pass outside Airflow")
    p.add_argument("--feeds", help="feeds file (default: $NEWSMON_CONFIG_DIR/feeds.yaml)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument(
        "--ignore-schedule",
        action="store_true",
        help="poll every enabled feed now, not only the due ones (still conditional, Retry-After honoured)",
    )
    p.set_defaults(func=cmd_run)

    from newsmon.feed_commands import add_feeds_parser

    add_feeds_parser(sub)

    _add_search_parser(sub)

    p = sub.add_parser("extract", help="extract article text and metadata from saved HTML files")
    p.add_argument("files", nargs="+", metavar="FILE", help="saved HTML page(s)")
    p.add_argument("--url", help="the URL the page was fetched from (for metadata and same-site checks)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--jsonl", action="store_true", help="one JSON object per file, one per line")
    out.add_argument("--json", action="store_true", help='one JSON object, {"files": [...]}')
    p.set_defaults(func=cmd_extract)

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

    _add_alerts_parser(sub)

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

    p = sub.add_parser("runs", help="summaries of the last monitoring passes")
    p.add_argument("--last", type=int, default=1, help="how many passes, newest first (default: 1)")
    p.add_argument("--json", action="store_true", help='print {"runs": [...]}')
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("kibana", help="Kibana saved objects")
    ksub = p.add_subparsers(dest="kibana_command", required=True, metavar="ACTION")
    k = ksub.add_parser("import", help="import the data views, searches and dashboard into Kibana")
    k.add_argument("--url", help="Kibana URL (default: $NEWSMON_KIBANA_URL or http://127.0.0.1:5601)")
    k.add_argument("--wait", type=float, default=0, help="seconds to wait for Kibana to be available")
    k.add_argument("--json", action="store_true", help="print the import result as one JSON object")
    k.set_defaults(func=cmd_kibana_import)

    # `newsmon web`: its options and runner live in the web package.
    from newsmon.web.cli import add_parser as add_web_parser

    add_web_parser(sub)
    return parser


def _add_search_parser(sub: Any) -> None:
    p = sub.add_parser(
        "search",
        help="search stored articles (Lucene query-string syntax)",
        description="Words are matched in the article's language too (weapon finds weapons); a "
        'quoted phrase ("nuclear weapons") only exactly.',
    )
    p.add_argument("query", help='Lucene query string, e.g. Riabkov AND "strategic stability"')
    p.add_argument("--topic", help="only articles with this topic id, e.g. arms_control")
    p.add_argument("--since", help="only articles published within this duration, e.g. 30d, 12h")
    p.add_argument("--size", type=int, default=10, help="how many hits to show (default: 10)")
    p.add_argument("--include-duplicates", action="store_true", help="also show copies of the same story")
    p.add_argument("--json", action="store_true", help='print {"total", "hits": [...]}')
    p.set_defaults(func=cmd_search)


def _add_alerts_parser(sub: Any) -> None:
    p = sub.add_parser("alerts", help="alert rules: list, sync, test, history, deliver, digest")
    asub = p.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    a = asub.add_parser("list", help="the rules of alerts.yaml, with errors")
    a.add_argument("--json", action="store_true", help=JSON_HELP)
    a = asub.add_parser("sync", help="make the stored rules match alerts.yaml")
    a.add_argument("--json", action="store_true", help=JSON_HELP)
    a = asub.add_parser("test", help="which stored stories a rule would have matched")
    a.add_argument("rule", help="rule id from alerts.yaml")
    a.add_argument("--since", default="30d", help="how far back to look (default: 30d)")
    a.add_argument("--size", type=int, default=20, help="how many matches to show (default: 20)")
    a.add_argument("--json", action="store_true", help=JSON_HELP)
    a = asub.add_parser("history", help="alert events, newest first")
    a.add_argument("--rule", help="only this rule's events")
    a.add_argument("--size", type=int, default=50, help="how many events (default: 50)")
    a.add_argument("--json", action="store_true", help=JSON_HELP)
    a = asub.add_parser("deliver", help="retry undelivered instant alerts now")
    a.add_argument("--json", action="store_true", help=JSON_HELP)
    a = asub.add_parser("digest", help="send the digests that are due now")
    a.add_argument("--force", action="store_true", help="send every digest rule's pending events now")
    a.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(func=cmd_alerts)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _log_setup(args.verbose, args.quiet)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"newsmon: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except StoreUnavailable as exc:
        print(f"newsmon: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except NewsmonError as exc:
        print(f"newsmon: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
