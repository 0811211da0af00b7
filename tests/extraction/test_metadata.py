"""The page's JSON metadata is read as trafilatura's extract_meta_json reads it, from the scripts
read_page found, with a faster minifier that gives the same text."""

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
    """page_metadata as it is, and with trafilatura's extract_meta_json reading the JSON."""
    tree = load_html(html)
    assert tree is not None
    facts = read_page(tree)
    ours = page_metadata(tree, None, facts)
    with monkeypatch.context() as patched:
        patched.setattr(page_facts, "_meta_json", lambda scripts, meta: extract_meta_json(tree, meta))
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
