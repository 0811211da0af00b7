"""parse_html makes the tree trafilatura's load_html makes, taking its short way on plain UTF-8."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest
from lxml import etree
from lxml.html import HtmlElementClassLookup
from trafilatura.utils import load_html

from newsmon.extraction import parsing
from newsmon.extraction.parsing import parse_html

REPO = Path(__file__).resolve().parents[2]
PAGES = sorted(
    [*(REPO / "tests" / "fixtures").rglob("*.html"), *(REPO / "examples" / "site").rglob("*.html")]
)
BODY = "<body><p>Zürich — “quoted” 日本, a paragraph of text.</p><p>Another one.</p></body>"

FORM = '<form action="/s"><label>Find</label><input name="q"><select><option>a</option></select><textarea>t</textarea></form>'
CRAFTED = {
    "form elements": f"<html><body>{FORM}<INPUT name='upper'>{BODY}</body></html>".encode(),
    "plain": f"<html><head><title>Café</title></head>{BODY}</html>".encode(),
    "xhtml doctype (removed by the repair)": (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml">{BODY}</html>'
    ).encode(),
    "doctype on a single line": f"<!DOCTYPE html><html>{BODY}</html>".encode(),
    "self-closing html": f'<html lang="en"/>\n<head><title>x</title></head>{BODY}'.encode(),
    "xml declaration": f'<?xml version="1.0" encoding="iso-8859-1"?><html>{BODY}</html>'.encode(),
    "declared latin-1, sent as UTF-8": f'<html><head><meta charset="iso-8859-1"></head>{BODY}</html>'.encode(),
    "latin-1 bytes": f"<html><head><title>Café</title></head>{BODY}</html>".encode("latin-1", "replace"),
    "control characters": f"<html>{BODY}\x0b\x00<p>after\x1f</p></html>".encode(),
    "noncharacter": f"<html>{BODY}<p>\ufffe</p></html>".encode(),
    "byte-order mark": b"\xef\xbb\xbf" + f"<html>{BODY}</html>".encode(),
    "gzip": gzip.compress(f"<html>{BODY}</html>".encode()),
    "zlib": zlib.compress(f"<html>{BODY}</html>".encode()),
    "leading white space": f"\n\t <html>{BODY}</html>".encode(),
    "no html word at the start": BODY.encode(),
    "one paragraph": b"<p>just a paragraph</p>",
    "not html": b"plain text, no markup",
    "empty": b"",
}


def same_tree(html: bytes | str) -> bool:
    ours, theirs = parse_html(html), load_html(html)
    if ours is None or theirs is None:
        return ours is None and theirs is None
    same_classes = [type(e) for e in ours.iter()] == [type(e) for e in theirs.iter()]
    return bool(etree.tostring(ours) == etree.tostring(theirs) and ours.tag == theirs.tag and same_classes)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_the_tree_of_every_sample_page_is_load_htmls(path: Path) -> None:
    assert same_tree(path.read_bytes())


@pytest.mark.parametrize("name", CRAFTED)
def test_the_tree_of_odd_pages_is_load_htmls(name: str) -> None:
    assert same_tree(CRAFTED[name])
    try:
        text = CRAFTED[name].decode("utf-8")
    except UnicodeDecodeError:
        return
    assert same_tree(text)


def test_plain_utf8_pages_do_not_go_through_load_html(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(html: object, max_size: int | None = None) -> None:
        raise AssertionError("load_html called")

    monkeypatch.setattr(parsing, "load_html", refused)
    for name in ("plain", "xhtml doctype (removed by the repair)", "self-closing html", "gzip", "zlib"):
        tree = parse_html(CRAFTED[name])
        assert tree is not None and tree.findtext(".//p") is not None
    with pytest.raises(AssertionError):
        parse_html(CRAFTED["control characters"])


def test_every_tag_lxml_html_gives_a_class_of_its_own_gets_it() -> None:
    special = HtmlElementClassLookup._default_element_classes
    page = "".join(f"<{tag}>x</{tag}>" for tag in special)
    assert same_tree(f"<html><body><div>{page}</div>{BODY}</body></html>".encode())


def test_form_elements_get_their_lxml_classes() -> None:
    tree = parse_html(CRAFTED["form elements"])
    assert tree is not None
    assert {type(e).__name__ for e in tree.iter("form", "input", "select", "textarea", "label", "p")} == {
        "FormElement",
        "InputElement",
        "SelectElement",
        "TextareaElement",
        "LabelElement",
        "HtmlElement",
    }
