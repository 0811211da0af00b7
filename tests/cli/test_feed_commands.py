"""`newsmon feeds import|export|check|discover` and feeds.d/ loading (no Elasticsearch needed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsmon.config import load_feeds
from newsmon.reader.opml import parse_opml
from tests.helpers.servers import FeedServer, rss

OPML = """<?xml version="1.0"?>
<opml version="2.0"><head><title>analyst</title></head><body>
  <outline text="Arms control">
    <outline type="rss" text="Arms Control Wonk" xmlUrl="https://www.armscontrolwonk.com/feed/" language="en"/>
    <outline type="rss" text="Already here" xmlUrl="https://news.example/rss.xml?utm_source=x"/>
  </outline>
  <outline type="rss" text="Коммерсантъ" xmlUrl="https://www.kommersant.ru/RSS/news.xml"/>
</body></opml>
"""
FEEDS = 'schedule: "*/15 * * * *"\nfeeds:\n  - {id: existing, url: "https://news.example/rss.xml"}\n'


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "-q", *args],
        capture_output=True, text=True, env=os.environ | env, timeout=120,
    )  # fmt: skip


@pytest.fixture
def config(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "feeds.yaml").write_text(FEEDS, encoding="utf-8")
    (tmp_path / "in.opml").write_text(OPML, encoding="utf-8")
    return {"NEWSMON_FEEDS_FILE": str(tmp_path / "feeds.yaml"), "NEWSMON_ALLOW_PRIVATE_NETWORKS": "1"}


def test_opml_import_export_round_trip(tmp_path: Path, config: dict[str, str]) -> None:
    imported = cli("feeds", "import", str(tmp_path / "in.opml"), env=config)
    assert imported.returncode == 0, imported.stderr
    assert "2 feed(s) added" in imported.stdout and "already present as 'existing'" in imported.stdout
    target = tmp_path / "feeds.d" / "imported.yaml"
    feeds = load_feeds(tmp_path / "feeds.yaml")
    assert [f.id for f in feeds.feeds] == ["existing", "arms-control-wonk", "www-kommersant-ru"]
    assert feeds.by_id()["arms-control-wonk"].language == "en"

    exported = cli("feeds", "export", env=config)
    assert exported.returncode == 0, exported.stderr
    back, skipped = parse_opml(exported.stdout)
    assert skipped == [] and [f["url"] for f in back] == [f.url for f in feeds.feeds]
    # Importing the export again adds nothing: every feed is already present.
    (tmp_path / "out.opml").write_text(exported.stdout, encoding="utf-8")
    again = cli("feeds", "import", str(tmp_path / "out.opml"), env=config)
    assert "0 feed(s) added" in again.stdout and again.stdout.count("skipped") == 3
    assert len(load_feeds(tmp_path / "feeds.yaml").feeds) == 3 and target.exists()


def test_feeds_d_loads_10000_feeds_fast(tmp_path: Path) -> None:
    (tmp_path / "feeds.yaml").write_text(FEEDS, encoding="utf-8")
    (tmp_path / "feeds.d").mkdir()
    lines = ["feeds:"] + [
        f'  - {{id: f{i}, url: "https://host{i % 97}.example/feed/{i}.xml"}}' for i in range(10_000)
    ]
    (tmp_path / "feeds.d" / "many.yaml").write_text("\n".join(lines), encoding="utf-8")
    started = time.perf_counter()
    feeds = load_feeds(tmp_path / "feeds.yaml")
    assert len(feeds.feeds) == 10_001 and time.perf_counter() - started < 10


def test_feeds_check_json_shape_and_writes_nothing(tmp_path: Path, config: dict[str, str]) -> None:
    server = FeedServer()
    try:
        link = f"https://news.google.com/rss/articles/x?url={server.base}/p1.html"
        body = rss(server.base, [link, "/p2.html"])
        server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, body)
        server.routes["/old.xml"] = (308, {"Location": "/feed.xml"}, b"")
        out = cli("feeds", "check", f"{server.base}/old.xml", "--json", env=config)
    finally:
        server.close()
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"url", "final_url", "format", "entries", "warnings"} <= data.keys()
    assert data["final_url"] == f"{server.base}/feed.xml" and data["format"] == "rss20"
    assert [e["link"] for e in data["entries"]] == [f"{server.base}/p1.html", f"{server.base}/p2.html"]
    assert all(e.keys() == {"link", "title", "published_at"} for e in data["entries"])
    assert any("moved permanently" in w for w in data["warnings"])
    assert not (tmp_path / "feeds.d").exists()


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>Story 0</title><link>http',
        b'<?xml version="1.0"?>\n<rss version="2.0">\x00\x01\xff\xfe<<< &&& \x07garbage',
    ],
    ids=["truncated", "garbage"],
)
def test_feeds_check_of_a_broken_feed_exits_1_with_one_line(body: bytes, config: dict[str, str]) -> None:
    server = FeedServer()
    try:
        server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, body)
        out = cli("feeds", "check", f"{server.base}/feed.xml", env=config)
    finally:
        server.close()
    assert out.returncode == 1, out.stdout
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and "not a readable feed: SAXParseException: " in lines[0], out.stderr


def test_feeds_check_reads_an_atom_feed_wrapped_in_xhtml(config: dict[str, str]) -> None:
    server = FeedServer()
    try:
        entries = "".join(
            f'<entry><title>Story {i}</title><id>urn:story:{i}</id><link href="{server.base}/p{i}.html"/></entry>'
            for i in range(3)
        )
        body = (
            '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Our feed</title></head><body>'
            f'<feed xmlns="http://www.w3.org/2005/Atom"><title>Inner</title>{entries}</feed></body></html>'
        ).encode()
        server.routes["/feed.xhtml"] = (200, {"Content-Type": "text/html; charset=utf-8"}, body)
        out = cli("feeds", "check", f"{server.base}/feed.xhtml", "--json", env=config)
    finally:
        server.close()
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["format"] == "atom10"
    assert [e["link"] for e in data["entries"]] == [f"{server.base}/p{i}.html" for i in range(3)]


def test_feeds_discover(config: dict[str, str]) -> None:
    server = FeedServer()
    try:
        html = b'<html><head><link rel="alternate" type="application/rss+xml" title="News" href="/rss.xml"></head></html>'
        server.routes["/"] = (200, {"Content-Type": "text/html"}, html)
        out = cli("feeds", "discover", f"{server.base}/", "--json", env=config)
    finally:
        server.close()
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [
        {"url": f"{server.base}/rss.xml", "kind": "rss", "title": "News", "declared": True}
    ]


EVAL_FEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "feeds"


@pytest.mark.skipif(not (EVAL_FEEDS / "manifest.jsonl").exists(), reason="no ../shared/eval/feeds here")
def test_every_eval_feed_is_checked_or_rejected_with_a_reason_quickly() -> None:
    from newsmon.errors import FetchError
    from newsmon.reader.operations import check
    from newsmon.settings import load_settings

    server = FeedServer()
    cases = [json.loads(line) for line in (EVAL_FEEDS / "manifest.jsonl").read_text().splitlines() if line]
    for n, case in enumerate(cases):
        headers = {"Content-Type": "application/xml", **(case.get("http_headers") or {})}
        server.routes[f"/{n}"] = (200, headers, (EVAL_FEEDS / case["file"]).read_bytes())
    settings = load_settings({"NEWSMON_ALLOW_PRIVATE_NETWORKS": "1"})
    parsed = rejected = 0
    try:
        for n, case in enumerate(cases):
            started = time.perf_counter()
            try:
                result = check(settings, f"{server.base}/{n}")
                assert result["format"], case["file"]
                parsed += 1
            except FetchError as exc:
                assert exc.reason, case["file"]
                rejected += 1
            assert time.perf_counter() - started < 2, case["file"]
    finally:
        server.close()
    assert parsed + rejected == len(cases) and parsed > len(cases) // 2
