"""The page's metadata is read as trafilatura's readers read the whole page: its meta tags from the
<head><meta> elements read_page found, its JSON from the scripts read_page found, with a faster
minifier that gives the same text."""

from __future__ import annotations

from pathlib import Path

import pytest
from trafilatura.metadata import JSON_MINIFY, extract_meta_json
from trafilatura.utils import load_html

from newsmon.extraction import page_facts
from newsmon.extraction.page_facts import minify_json, page_metadata, read_page

REPO = Path(__file__).resolve().parents[2]
PAGES = sorted(
    [*(REPO / "tests" / "fixtures").rglob("*.html"), *(REPO / "examples" / "site").rglob("*.html")]
)

JSON_TEXTS = [
    "",
    "{}",
    '{ "a" : "b c" ,\n\t"d": [ 1, 2 ] }',
    '{"q": "say \\"hi\\" there", "e": "back\\\\slash "}',
    '{"open": "never closed , x : y }',
    'var x = "a b";  function f ( ) { return "c  d" ; }',
    '{"nbsp":\u00a0"x",\u2003"em space":\x1c"file separator"}',
    '"only a string"  ',
    '  "a"  "b"  ',
    '{"unicode": "\\u00e9t\\u00e9", "html": "<p>para graph</p>"}',
]

METAS = {
    "meta tags": (
        '<meta property="og:title" content="Talks resume"><meta property="og:url" content="https://n.example/a">'
        '<meta name="author" content="Ines Marchetti"><meta property="article:author" content="Al Wu">'
        '<meta name="description" content="A <b>round</b> of talks"><meta itemprop="headline" content="H">'
        '<meta name="twitter:site" content="@harbour"><meta property="article:tag" content="treaties">'
        '<meta charset="utf-8"><meta name="unknown-thing" content="x">'
    ),
    "handle, not a name": '<meta name="author" content="@handle">',
    "meta in the body too": '<meta name="author" content="Head Name">',
}
BODY_META = (
    '<div><meta name="author" content="Body Name"><meta property="og:title" content="Body title"></div>'
)

SCRIPTS = {
    "article with authors": (
        '{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Talks resume",'
        ' "author": [{"@type": "Person", "name": "Ines Marchetti"}, {"name": "Al Wu"}],'
        ' "publisher": {"@type": "Organization", "name": "Harbour Times"}}'
    ),
    "graph": (
        '{"@context": "http://schema.org", "@graph": [{"@type": "WebSite", "name": "Outlet"},'
        ' {"@type": "Article", "name": "A title", "author": "Jo Smith"}]}'
    ),
    "broken": '{"@context": "https://schema.org", "@type": "Article", "author": {"name": "Jo Smith"}, "headline": "T"',
    "settings json": '{"@context": "https://schema.org", "@type": "Person", "name": "Jo Smith"}',
}


@pytest.mark.parametrize("text", JSON_TEXTS, ids=range(len(JSON_TEXTS)))
def test_minify_is_trafilaturas(text: str) -> None:
    assert minify_json(text) == JSON_MINIFY.sub(r"\1", text)


FIELDS = ("title", "author", "url", "hostname", "description", "sitename", "pagetype", "categories", "tags")


def both_readings(
    html: bytes, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, object], dict[str, object]]:
    """page_metadata as it is, and with trafilatura's examine_meta and extract_meta_json reading the
    whole page."""
    tree = load_html(html)
    assert tree is not None
    facts = read_page(tree)
    ours = page_metadata(tree, None, facts)
    with monkeypatch.context() as patched:
        patched.setattr(page_facts, "_meta_json", lambda scripts, meta: extract_meta_json(tree, meta))
        patched.setattr(page_facts, "_meta_head", lambda facts: tree)
        theirs = page_metadata(tree, None, facts)
    return {f: getattr(ours, f) for f in FIELDS}, {f: getattr(theirs, f) for f in FIELDS}


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_sample_pages(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ours, theirs = both_readings(path.read_bytes(), monkeypatch)
    assert ours == theirs


@pytest.mark.parametrize("name", SCRIPTS)
def test_crafted_json(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kind = "application/settings+json" if name == "settings json" else "application/ld+json"
    html = (
        f'<html><head><script type="{kind}">{SCRIPTS[name]}</script>'
        f'<script type="text/javascript">var x = "{{not json}}";</script></head>'
        "<body><p>text</p></body></html>"
    ).encode()
    ours, theirs = both_readings(html, monkeypatch)
    assert ours == theirs
    assert ours["author"], "the JSON names an author"


@pytest.mark.parametrize("name", METAS)
def test_crafted_meta_tags(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    html = f"<html><head><title>t</title>{METAS[name]}</head><body>{BODY_META}<p>text</p></body></html>"
    ours, theirs = both_readings(html.encode(), monkeypatch)
    assert ours == theirs
    tree = load_html(html.encode())
    assert tree is not None
    assert len(read_page(tree).head_metas) == METAS[name].count("<meta")
