"""The loopback DevSite server and the bundled offline sample site (no Elasticsearch needed)."""

from __future__ import annotations

import http.client
import itertools
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest
import trafilatura
import yaml
from lxml import html as lxml_html

from devsite.server import DevSite
from devsite.text import ARMS_CONTROL, TOPICS, generate_story, generated_topic
from newsmon.reader.sitemaps import parse_sitemap

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "examples" / "site"
SEED = REPO.parent / "shared" / "eval" / "seed" / "scraped-article.txt"
SEED_PAGE = "/outlet/2021/09/30/geneva-strategic-stability-round.html"
SCRAPER_PAGE = "/scraper/2021/10/01/control-of-the-proliferation-of-arms.html"


@pytest.fixture(scope="module")
def site() -> Iterator[DevSite]:
    with DevSite(SITE) as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as c:
        yield c


def _feed(client: httpx.Client, url: str) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200
    return feedparser.parse(response.content, response_headers=dict(response.headers))


# --- server mechanics -----------------------------------------------------------------------------


def test_starts_on_a_free_port_and_stops() -> None:
    server = DevSite(SITE, port=0)
    with pytest.raises(RuntimeError):
        _ = server.base_url
    server.start()
    try:
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)", server.base_url)
        assert match and int(match[1]) > 0
        assert httpx.get(server.url("/outlet/rss.xml")).status_code == 200
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{match[1]}/outlet/rss.xml", timeout=5)
    server.stop()  # idempotent


def test_stop_also_ends_keep_alive_connections() -> None:
    server = DevSite(SITE).start()
    url = server.url("/faults/report.pdf")  # a static file: answering it needs no running server
    with httpx.Client(timeout=5) as c:
        assert c.get(url).status_code == 200  # the connection is now pooled and kept alive
        server.stop()
        with pytest.raises(httpx.TransportError):
            c.get(url)


def test_root_must_exist(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        DevSite(tmp_path / "missing")


@pytest.mark.parametrize("path", ["/outlet/rss.xml", "/scraper/feed.atom", "/faults/rss.xml", SEED_PAGE])
def test_base_placeholder_is_replaced(site: DevSite, client: httpx.Client, path: str) -> None:
    assert "{{BASE}}" in (SITE / path.lstrip("/")).read_text(encoding="utf-8")
    served = client.get(site.url(path)).text
    assert "{{BASE}}" not in served
    assert f"{site.base_url}/" in served


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/outlet/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/faults/not-a-feed.xml", "application/rss+xml; charset=utf-8"),
        ("/scraper/feed.atom", "application/atom+xml; charset=utf-8"),
        (SEED_PAGE, "text/html; charset=utf-8"),
        ("/faults/report.pdf", "application/pdf"),
        ("/generated/article/3.html", "text/html; charset=utf-8"),
        ("/generated/feed.xml", "application/rss+xml; charset=utf-8"),
        ("/generated/img/x.svg", "image/svg+xml"),
    ],
)
def test_content_types(site: DevSite, client: httpx.Client, path: str, content_type: str) -> None:
    response = client.get(site.url(path))
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert int(response.headers["content-length"]) == len(response.content)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/status/404", 404),
        ("/status/503", 503),
        ("/status/410", 410),
        ("/status/200", 200),
        ("/status/204", 404),
        ("/status/999", 404),
        ("/no/such/page.html", 404),
        ("/generated/big.html?bytes=lots", 400),
        ("/generated/feed.xml?count=-1", 400),
    ],
)
def test_status_codes(site: DevSite, client: httpx.Client, path: str, status: int) -> None:
    response = client.get(site.url(path))
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert str(status) in response.text


def test_head_sends_headers_only(site: DevSite, client: httpx.Client) -> None:
    response = client.head(site.url("/generated/big.html?bytes=6000000"))
    assert response.status_code == 200
    assert response.headers["content-length"] == "6000000"
    assert response.content == b""


@pytest.mark.parametrize(
    "raw_path",
    [
        "/../demo-feeds.yaml",
        "/outlet/../../demo-feeds.yaml",
        "/%2e%2e/demo-feeds.yaml",
        "/outlet/%2E%2E/%2E%2E/demo-feeds.yaml",
    ],
)
def test_nothing_outside_root_is_served(site: DevSite, raw_path: str) -> None:
    assert (SITE.parent / "demo-feeds.yaml").is_file()
    host, port = site.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)  # sends the path unnormalised
    try:
        conn.request("GET", raw_path)
        assert conn.getresponse().status == 404
    finally:
        conn.close()


def test_etag_allows_conditional_get(site: DevSite, client: httpx.Client) -> None:
    first = client.get(site.url("/outlet/rss.xml"))
    etag = first.headers["etag"]
    again = client.get(site.url("/outlet/rss.xml"), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


def test_hits_count_requests_per_path_ignoring_query() -> None:
    with DevSite(SITE) as server, httpx.Client() as c:
        c.get(server.url("/faults/good-article.html?utm_source=a&utm_campaign=x"))
        c.get(server.url("/faults/good-article.html?gclid=123&utm_medium=y"))
        c.head(server.url("/faults/good-article.html"))
        c.get(server.url("/status/404"))
        snapshot = server.hits
        assert snapshot == {"/faults/good-article.html": 3, "/status/404": 1}
        c.get(server.url("/status/404"))
        assert snapshot["/status/404"] == 1  # a snapshot, not a live view
        assert server.hits["/status/404"] == 2
        server.reset_hits()
        assert server.hits == {}


def test_big_page_is_valid_html_of_the_requested_size(site: DevSite, client: httpx.Client) -> None:
    response = client.get(site.url("/generated/big.html?bytes=6000000"))
    assert response.status_code == 200
    assert response.headers["content-length"] == "6000000"
    assert len(response.content) == 6_000_000
    assert response.content.startswith(b"<!DOCTYPE html>")
    assert response.content.rstrip().endswith(b"</html>")
    small = client.get(site.url("/generated/big.html?bytes=20000")).content
    assert len(small) == 20_000
    assert lxml_html.fromstring(small).xpath("count(//p)") > 100


def test_client_hanging_up_mid_body_does_not_hurt_the_server(site: DevSite) -> None:
    with httpx.Client() as c, c.stream("GET", site.url("/generated/big.html?bytes=50000000")) as r:
        first = next(r.iter_bytes())
        assert first.startswith(b"<!DOCTYPE html>")
    # The stream was closed after one chunk, as a fetcher with a size cap does.
    assert httpx.get(site.url("/outlet/rss.xml"), timeout=10).status_code == 200


# --- generated benchmark pages --------------------------------------------------------------------


def test_generated_article_is_deterministic_and_distinct(site: DevSite, client: httpx.Client) -> None:
    first = client.get(site.url("/generated/article/7.html")).text
    second = client.get(site.url("/generated/article/7.html")).text
    other = client.get(site.url("/generated/article/8.html")).text
    assert first == second
    assert first != other
    title = lxml_html.fromstring(first).findtext(".//h1")
    assert title == generate_story(7).title != generate_story(8).title


@pytest.mark.parametrize("n", [1, 2, 17, 250])
def test_generated_article_extracts_as_a_real_news_story(site: DevSite, client: httpx.Client, n: int) -> None:
    page = client.get(site.url(f"/generated/article/{n}.html")).text
    text = trafilatura.extract(page, include_comments=False)
    assert text is not None
    assert 550 <= len(text.split()) <= 1400
    story = generate_story(n)
    assert story.paragraphs[0] in text
    for boilerplate in ("Most read", "Sign up", "cookies", "Privacy policy", "Advertisement"):
        assert boilerplate not in text
    assert len(re.findall(r"<a ", page)) > 20  # nav, related links and footer, like a real site


def test_generated_topics_are_mostly_not_arms_control() -> None:
    topics = [generated_topic(n) for n in range(1, 301)]
    share = topics.count(ARMS_CONTROL) / len(topics)
    assert 0.08 <= share <= 0.30
    assert set(topics) == {t.name for t in TOPICS}
    for n in range(1, 80):
        story = generate_story(n)
        text = " ".join(story.paragraphs).lower()
        assert 600 <= story.word_count <= 1250
        if story.topic == ARMS_CONTROL:
            assert re.search(r"arms control|treaty|nuclear|weapons|missile|disarmament", text)
        else:
            assert not re.search(r"treaty|missile|warhead|weapon|disarm|proliferat|enrichment", text)


def test_generated_stories_are_not_near_duplicates_of_each_other() -> None:
    def shingles(n: int) -> set[tuple[str, ...]]:
        words = re.findall(r"\w+", " ".join(generate_story(n).paragraphs).lower())
        return {tuple(words[i : i + 5]) for i in range(len(words) - 4)}

    stories = {n: shingles(n) for n in range(1, 81)}
    worst = max(
        len(stories[a] & stories[b]) / len(stories[a] | stories[b])
        for a, b in itertools.combinations(stories, 2)
    )
    # Edited wire copies score ~0.5 on this measure and independent stories < 0.1.
    assert worst < 0.3


def test_generated_feed_lists_the_requested_articles(site: DevSite, client: httpx.Client) -> None:
    feed = _feed(client, site.url("/generated/feed.xml?count=5&start=10"))
    assert not feed.bozo
    links = sorted(entry.link for entry in feed.entries)
    assert links == sorted(site.url(f"/generated/article/{n}.html") for n in range(10, 15))
    by_link = {entry.link: entry.title for entry in feed.entries}
    assert by_link[site.url("/generated/article/12.html")] == generate_story(12).title
    assert len(_feed(client, site.url("/generated/feed.xml")).entries) == 20


# --- the bundled sample site ----------------------------------------------------------------------


def test_outlet_feed(site: DevSite, client: httpx.Client) -> None:
    feed = _feed(client, site.url("/outlet/rss.xml"))
    assert not feed.bozo
    assert feed.version == "rss20"
    assert feed.feed.title == "Meridian Wire"
    assert len(feed.entries) == 4
    for entry in feed.entries:
        assert entry.link.startswith(f"{site.base_url}/outlet/")
        assert entry.title and entry.summary and entry.id and entry.published_parsed
        assert client.get(entry.link).status_code == 200
    seed = next(e for e in feed.entries if "Geneva" in e.title)
    assert seed.link == site.url(SEED_PAGE) + "?utm_source=rss&utm_medium=feed"
    assert tuple(seed.published_parsed[:3]) == (2021, 9, 30)
    assert any("nuclear family" in e.title for e in feed.entries)


def test_scraper_feed(site: DevSite, client: httpx.Client) -> None:
    feed = _feed(client, site.url("/scraper/feed.atom"))
    assert not feed.bozo
    assert feed.version == "atom10"
    assert len(feed.entries) == 2
    for entry in feed.entries:
        assert entry.link.startswith(f"{site.base_url}/scraper/")
        assert client.get(entry.link).status_code == 200
    copy = next(e for e in feed.entries if "Geneva" in e.title)
    assert copy.link == site.url(SCRAPER_PAGE) + "?fbclid=IwAR0abc"
    assert tuple(copy.published_parsed[:3]) == (2021, 10, 1)


def test_seed_page_extracts_cleanly(site: DevSite, client: httpx.Client) -> None:
    page = client.get(site.url(SEED_PAGE)).text
    text = trafilatura.extract(page, include_comments=False)
    assert text is not None
    assert "Riabkov" in text and "Wendy Sherman" in text
    for junk in ("[ad_1]", "[ad_2]", "Read on:", "Source link", "Meridian Briefing", "cookies"):
        assert junk not in text
    meta = trafilatura.extract_metadata(page)
    assert meta.title.startswith("Control of the proliferation of arms")
    assert meta.date == "2021-09-30"
    assert meta.sitename == "Meridian Wire"
    assert meta.url == site.url(SEED_PAGE)
    doc = lxml_html.fromstring(page)
    captions = [c.text_content() for c in doc.iter("figcaption")]
    assert len(captions) == len(set(captions)) == 5


def test_scraper_copy_carries_the_seed_text_verbatim(site: DevSite, client: httpx.Client) -> None:
    if not SEED.is_file():
        pytest.skip(f"seed article not found at {SEED}")
    lines = [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    doc = lxml_html.fromstring(client.get(site.url(SCRAPER_PAGE)).text)
    paragraphs = [p.text_content() for p in doc.xpath('//div[@class="entry-content"]/p')]
    assert paragraphs == lines[1:]
    assert doc.findtext(".//h1") == lines[0]
    assert doc.xpath('//link[@rel="canonical"]/@href') == [site.url(SCRAPER_PAGE)]
    source = doc.xpath('//div[@class="entry-content"]//a[text()="Source link"]/@href')
    assert source == [site.url(SEED_PAGE)]
    assert len(doc.xpath('//ol[@class="comment-list"]/li')) == 2


def test_fault_feed_points_at_each_failure(site: DevSite, client: httpx.Client) -> None:
    feed = _feed(client, site.url("/faults/rss.xml"))
    links = [entry.link for entry in feed.entries]
    assert links == [
        site.url("/status/404"),
        site.url("/faults/report.pdf"),
        site.url("/generated/big.html?bytes=6000000"),
        site.url("/faults/good-article.html?utm_source=a&utm_campaign=x"),
        site.url("/faults/good-article.html?gclid=123&utm_medium=y"),
    ]
    assert client.get(links[0]).status_code == 404
    assert client.get(links[1]).headers["content-type"] == "application/pdf"
    assert client.head(links[2]).headers["content-length"] == "6000000"
    good = [client.get(link) for link in links[3:]]
    assert good[0].text == good[1].text
    text = trafilatura.extract(good[0].text)
    assert text is not None and len(text.split()) >= 200 and "lighthouse" in text


def test_not_a_feed_is_html_served_as_rss(site: DevSite, client: httpx.Client) -> None:
    response = client.get(site.url("/faults/not-a-feed.xml"))
    assert response.headers["content-type"].startswith("application/rss+xml")
    assert response.text.lstrip().startswith("<!DOCTYPE html>")
    parsed = feedparser.parse(response.content, response_headers=dict(response.headers))
    assert parsed.bozo
    assert parsed.entries == []


def test_report_pdf_is_a_well_formed_pdf() -> None:
    data = (SITE / "faults" / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    assert 200 <= len(data) <= 2000
    start = int(data.rsplit(b"startxref", 1)[1].split()[0])
    assert data[start:].startswith(b"xref")
    for number, entry in enumerate(data[start:].split(b"\n")[3:8], 1):
        offset = int(entry[:10])
        assert data[offset:].startswith(b"%d 0 obj" % number)


def test_demo_feeds_config_matches_the_site(site: DevSite) -> None:
    config = yaml.safe_load((REPO / "examples" / "demo-feeds.yaml").read_text(encoding="utf-8"))
    assert config["schedule"] == "*/15 * * * *"
    assert [feed["id"] for feed in config["feeds"]] == [
        "meridian-wire",
        "scraper-blog",
        "agency-documents",
        "lakeside-dispatch",
    ]
    for feed in config["feeds"]:
        url = feed["url"].replace("${NEWSMON_FEED_DEMO_SITE}", site.base_url)
        if feed.get("type", "feed") == "feed":
            parsed = feedparser.parse(httpx.get(url, timeout=10).content)
            assert not parsed.bozo and parsed.entries
            continue
        assert feed["type"] == "sitemap"
        index = parse_sitemap(httpx.get(url, timeout=10).content, url, 1_000_000)
        assert index.children == [f"{site.base_url}/dispatch/news-sitemap-1.xml.gz"]
        child = httpx.get(index.children[0], timeout=10)
        assert child.headers["content-type"] == "application/gzip" and child.content[:2] == b"\x1f\x8b"
        news = parse_sitemap(child.content, index.children[0], 1_000_000)
        assert news.format == "sitemap-news" and len(news.entries) == 2
        for entry in news.entries:
            assert entry.title and entry.published and entry.language == "en"
            assert httpx.get(entry.link, timeout=10).status_code == 200
        # The gzip'd copy is the same bytes every time: its ETag answers a conditional GET with 304.
        again = httpx.get(index.children[0], headers={"If-None-Match": child.headers["etag"]}, timeout=10)
        assert again.status_code == 304


def test_command_line_serves_until_interrupted() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "devsite", str(SITE), "--port=0"]
    out, quiet = subprocess.PIPE, subprocess.DEVNULL
    with subprocess.Popen(command, stdout=out, stderr=quiet, env=env, text=True) as p:
        try:
            assert p.stdout is not None
            base = p.stdout.readline().strip()
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
            assert httpx.get(f"{base}/scraper/feed.atom", timeout=10).status_code == 200
            p.send_signal(signal.SIGINT)  # what Ctrl-C sends
            assert p.wait(timeout=10) == 0
        finally:
            if p.poll() is None:
                p.kill()


def test_the_demo_document_is_the_pdf_its_script_writes(site: DevSite) -> None:
    from devsite.pdfs import sample_document

    response = httpx.get(site.url("/documents/gov-2021-41.pdf"), timeout=10)
    assert response.headers["content-type"] == "application/pdf"
    assert response.content == (SITE / "documents" / "gov-2021-41.pdf").read_bytes() == sample_document()
