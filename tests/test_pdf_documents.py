"""PDF documents linked from a feed, through a whole pass into the real Elasticsearch: PDFs made
here (text, multi-page with a running header, encrypted, truncated, scanned) on a loopback server."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from devsite.pdfs import encrypted, image_only_pdf, sample_document, text_pdf
from newsmon import clock
from newsmon.run import run_pass
from newsmon.search import render, search
from newsmon.storage import Storage
from newsmon.urls import canonicalize, doc_id
from tests.helpers.servers import FeedServer, rss

pytestmark = pytest.mark.integration

HEADER = "CD/2284 - Conference on Disarmament - Report of the session"
TALKS = [
    f"{n}. The Conference on Disarmament held its {n}th plenary meeting on the prohibition of the "
    f"production of fissile material for nuclear weapons; the delegation of {country} set out its "
    "position on verification and on the scope of existing stocks, and several delegations spoke on "
    "negative security assurances."
    for n, country in enumerate(
        ["Brazil", "Canada", "Egypt", "Germany", "India", "Japan", "Kenya", "Mexico", "Norway", "Peru"], 1
    )
]
ARTICLE = (
    "<html lang='en'><head><title>Inspectors return to the plant</title></head><body><article>"
    "<h1>Inspectors return to the plant</h1>"
    + "".join(
        f"<p>Agency inspectors returned to the enrichment plant on {day} to service the surveillance "
        f"cameras and verify the stockpile of enriched uranium, {who} said after the visit.</p>"
        for day, who in (("Tuesday", "diplomats"), ("Wednesday", "officials"), ("Thursday", "the agency"))
    )
    + "</article></body></html>"
).encode()
FEED = 'feeds:\n  - {id: documents, url: "%s/rss.xml"}\n'
GOOD = {"/report.pdf": "application/pdf", "/cd-2284": "application/octet-stream"}
BAD = {
    "/locked.pdf": "encrypted PDF",
    "/truncated.pdf": "broken PDF: ",
    "/scanned.pdf": "no text in PDF: scanned pages?",
}


@pytest.fixture
def server():
    s = FeedServer()
    report = sample_document()
    pdfs = {
        "/report.pdf": report,
        # A generic type and no .pdf in the address: known by its signature.
        "/cd-2284": text_pdf(
            "Report of the Conference on Disarmament", TALKS, header=HEADER, page_break_every=2
        ),
        "/locked.pdf": encrypted(report),
        "/truncated.pdf": report[: len(report) // 2],
        "/scanned.pdf": image_only_pdf(),
    }
    for path, data in pdfs.items():
        s.routes[path] = (200, {"Content-Type": GOOD.get(path, "application/pdf")}, data)
    s.routes["/inspectors.html"] = (200, {"Content-Type": "text/html; charset=utf-8"}, ARTICLE)
    links = [s.base + p for p in (*pdfs, "/inspectors.html")]
    s.routes["/rss.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(s.base, links))
    yield s
    s.close()


def stored(settings) -> dict[str, dict]:
    """The stored documents by the path of their address."""
    with Storage.from_settings(settings) as storage:
        storage.articles.refresh()
        hits = storage.es.search(index=storage.articles.alias, size=50, query={"match_all": {}})["hits"][
            "hits"
        ]
    return {urlsplit(h["_source"]["url"]).path: h["_source"] for h in hits}


def test_pdfs_are_indexed_once_failures_named_and_nothing_refetched(server, settings_for):
    settings = settings_for(FEED % server.base, pdf_max_pages=4, workers=2)
    first = run_pass(settings)
    errors = {e["url"].removeprefix(server.base): e["error"] for e in first.errors if "url" in e}
    assert set(errors) == set(BAD), first.errors
    for path, reason in BAD.items():
        assert errors[path].startswith(reason), (path, errors[path])
    assert first.articles_new == 3 and first.indexed == 3 and first.pdf_documents == 2
    assert "3 indexed (2 PDF documents)" in first.render()

    docs = stored(settings)
    assert set(docs) == {*GOOD, "/inspectors.html"}
    report, cd = docs["/report.pdf"], docs["/cd-2284"]
    assert report["content_type"] == "pdf" and report["page_count"] == 2
    assert report["title"].startswith("GOV/2021/41: Verification and monitoring")
    assert report["published_at"] == "2021-09-24T09:30:00Z" and report["published_at_source"] == "page"
    assert report["language"] == "en" and "arms_control" in report["topics"]
    assert report["extraction_method"] == "pypdf" and "2,441 kilograms" in report["body"]
    # Five pages, four read; the running header and page numbers are gone from the body.
    assert cd["content_type"] == "pdf" and cd["page_count"] == 5
    assert "pdf: read 4 of 5 pages (NEWSMON_PDF_MAX_PAGES)" in cd["extraction"]["notes"]
    assert HEADER not in cd["body"] and "Page 2" not in cd["body"]
    assert "8. The Conference" in cd["body"] and "9. The Conference" not in cd["body"]
    assert cd["title"] == "Report of the Conference on Disarmament"
    assert (
        docs["/inspectors.html"]["content_type"] == "html" and docs["/inspectors.html"]["page_count"] is None
    )

    # The unreadable ones are failed pages, waiting for their retry time.
    with Storage.from_settings(settings) as storage:
        ids = {doc_id(canonicalize(server.base + p)) for p in BAD}
        assert storage.failed_pages.deferred(ids, clock.now()) == ids

    fetched = {p: server.hits(p) for p in (*GOOD, *BAD, "/inspectors.html")}
    assert set(fetched.values()) == {1}
    second = run_pass(settings)
    assert second.articles_new == 0 and second.errors == [], second.errors
    assert {p: server.hits(p) for p in fetched} == fetched  # nothing fetched again
    assert len(stored(settings)) == 3

    # Search: only PDF documents, only HTML articles, and the CLI's mark of a document.
    with Storage.from_settings(settings) as storage:
        pdfs = search(storage, "*", content_type="pdf")
        html = search(storage, "*", content_type="html")
        everything = search(storage, "*")
    assert pdfs["total"] == 2 and {h["content_type"] for h in pdfs["hits"]} == {"pdf"}
    assert html["total"] == 1 and html["hits"][0]["content_type"] == "html"
    assert everything["total"] == 3
    shown = render(pdfs)
    assert "[PDF, 2 pages] GOV/2021/41" in shown and "[PDF, 5 pages] Report of the Conference" in shown


def test_documents_stored_before_pdfs_were_read_count_as_html(storage):
    """An index made by an older template has no content_type: setup adds the field, and a document
    without it is found by the html filter, never by the pdf one."""
    from tests.helpers.records import article

    names = storage.names
    old = f"{storage.prefix}legacy-articles"  # outside the template's pattern: as an old template made it
    storage.es.indices.create(
        index=old,
        mappings={"dynamic": False, "properties": {"title": {"type": "text"}, "body": {"type": "text"}}},
    )
    storage.es.indices.put_alias(index=old, name=names.articles)
    assert "content_type" not in storage.es.indices.get_mapping(index=old)[old]["mappings"]["properties"]
    storage.setup()
    props = storage.es.indices.get_mapping(index=old)[old]["mappings"]["properties"]
    assert props["content_type"] == {"type": "keyword"} and props["page_count"] == {"type": "integer"}

    legacy = article(1, title="An article stored long ago").to_document()
    del legacy["content_type"], legacy["page_count"]
    storage.es.index(index=old, id="legacy", document=legacy, refresh=True)
    pdf = article(2, title="A PDF document", content_type="pdf", page_count=3)
    result = storage.articles.write([pdf], replace={})
    assert not result.errors
    storage.articles.refresh()

    def ids(content_type: str | None) -> set[str]:
        return {
            h["id"] for h in search(storage, "*", content_type=content_type, include_duplicates=True)["hits"]
        }

    assert ids("html") == {"legacy"} and ids("pdf") == {"id2"} and ids(None) == {"legacy", "id2"}
    legacy_hit = next(h for h in search(storage, "*")["hits"] if h["id"] == "legacy")
    assert legacy_hit["content_type"] == "html" and legacy_hit["page_count"] is None


def test_a_pdf_has_its_own_byte_cap_and_the_extraction_budget(settings_for, monkeypatch):
    """A PDF type may be larger than a page (NEWSMON_PDF_MAX_BYTES); under a generic type it keeps
    the page's cap. A PDF whose reading outlasts NEWSMON_EXTRACT_TIMEOUT is stopped and recorded as
    a failed page, as an HTML page is."""
    import time

    from newsmon import articles

    report = sample_document()
    slow_doc = text_pdf("A report that hangs its reader", TALKS[:3])
    s = FeedServer()
    try:
        s.routes["/typed.pdf"] = (200, {"Content-Type": "application/pdf"}, report)
        s.routes["/generic"] = (200, {"Content-Type": "application/octet-stream"}, report)
        s.routes["/slow.pdf"] = (200, {"Content-Type": "application/pdf"}, slow_doc)
        links = [s.base + p for p in ("/typed.pdf", "/generic", "/slow.pdf")]
        s.routes["/rss.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(s.base, links))
        real = articles.extract_pdf

        def extract(data, **kw):  # a PDF that hangs its parser, as a crafted one could
            if data == slow_doc:
                time.sleep(600)
            return real(data, **kw)

        monkeypatch.setattr(articles, "extract_pdf", extract)  # the workers are forked with it
        assert 2_000 < len(report) < 10_000
        settings = settings_for(
            FEED % s.base, max_page_bytes=2_000, pdf_max_bytes=10_000, extract_timeout=2, workers=2
        )
        started = time.monotonic()
        summary = run_pass(settings)
        assert time.monotonic() - started < 300
        errors = {e["url"].removeprefix(s.base): e["error"] for e in summary.errors if "url" in e}
        assert set(errors) == {"/generic", "/slow.pdf"}, summary.errors
        assert "too large" in errors["/generic"] and "2000" in errors["/generic"]
        assert "took more than 2 s" in errors["/slow.pdf"]
        assert set(stored(settings)) == {"/typed.pdf"}
        with Storage.from_settings(settings) as storage:
            slow_id = doc_id(canonicalize(s.base + "/slow.pdf"))
            assert storage.failed_pages.deferred([slow_id], clock.now()) == {slow_id}
    finally:
        s.close()


def test_the_same_pdf_at_two_addresses_is_one_story(settings_for):
    """A document republished elsewhere (a mirror, another site of the same organisation) is a copy,
    found by its text as an HTML copy is."""
    report = sample_document()
    s = FeedServer()
    try:
        s.routes["/a/gov-2021-41.pdf"] = (200, {"Content-Type": "application/pdf"}, report)
        s.routes["/b/report-41.pdf"] = (200, {"Content-Type": "application/pdf"}, report)
        links = [s.base + "/a/gov-2021-41.pdf", s.base + "/b/report-41.pdf"]
        s.routes["/rss.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(s.base, links))
        settings = settings_for(FEED % s.base)
        summary = run_pass(settings)
        assert summary.articles_new == 2 and summary.duplicates == 1, summary.to_dict()
        docs = stored(settings)
        leaders = [d for d in docs.values() if not d.get("duplicate_of")]
        assert len(leaders) == 1 and leaders[0]["cluster_size"] == 2 and leaders[0]["content_type"] == "pdf"
    finally:
        s.close()
