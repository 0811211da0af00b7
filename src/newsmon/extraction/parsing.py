"""The page's one parse: the tree trafilatura's `load_html` makes, in about half its time.

`load_html` decodes the page, removes control characters with a regular expression run over every
character of the text (about 0.9 ms on a 170 kB page) and hands the text to lxml, which encodes it
again. Pages are nearly always UTF-8 without a control character: for them `parse_html` checks the
bytes for those characters (a byte search, 0.06 ms), makes `load_html`'s two repairs of the first
lines, and gives lxml the bytes, with the parser and the encoding `load_html` uses. Any other page
(another encoding, a control character, a byte-order mark, a page the checks would reject or the
parser finds empty) goes through `load_html` itself, so the tree is always the one it would make.
"""

from __future__ import annotations

from lxml import etree
from lxml.html import (
    FormElement,
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    InputElement,
    LabelElement,
    SelectElement,
    TextareaElement,
    fromstring,
)
from trafilatura.settings import DEFAULT_CONFIG
from trafilatura.utils import (
    DOCTYPE_TAG,
    FAULTY_HTML,
    HAS_BROTLI,
    handle_compressed_file,
    is_dubious_html,
    load_html,
)

# What load_html's INVALID_XML_CHARS removes: the C0 controls but tab, line feed and carriage return
# (one byte each in UTF-8, never inside a multi-byte character), and U+FFFE, U+FFFF.
_CONTROL_BYTES = tuple(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))
_BOM = b"\xef\xbb\xbf"
# The first bytes of nearly every page. None opens a gzip or zstd stream (their magic numbers) or a
# zlib one (the low four bits of its first byte are 8), so handle_compressed_file, which tries
# those, gives such bytes back unchanged, unless brotli (no magic number) is installed.
_PLAIN_STARTS = (b"<", b" ", b"\t", b"\n", b"\r")
# load_html's parser (trafilatura's HTML_PARSER) with the same options, making elements of the same
# classes, chosen in C: lxml.html's own lookup is a Python method called for every element object
# made (a quarter of the cost of making one), by newsmon's reading and trafilatura's alike.
_ELEMENT_CLASSES = etree.ElementNamespaceClassLookup(
    etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
)
_ELEMENT_CLASSES.get_namespace(None).update(  # lxml.html's classes for these tags, HtmlElement for the rest
    {
        "form": FormElement,
        "input": InputElement,
        "label": LabelElement,
        "select": SelectElement,
        "textarea": TextareaElement,
    }
)
PARSER = HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
)
PARSER.set_element_class_lookup(_ELEMENT_CLASSES)
_MAX_SIZE = DEFAULT_CONFIG.getint("DEFAULT", "MAX_FILE_SIZE")  # what load_html reads on each call


def parse_html(html: bytes | str) -> HtmlElement | None:
    """The page's tree, as `trafilatura.utils.load_html(html)` returns it (None when not HTML)."""
    if isinstance(html, bytes):
        plain = html[:1] in _PLAIN_STARTS and not HAS_BROTLI
        tree = _parse_plain_utf8(html if plain else handle_compressed_file(html, _MAX_SIZE))
        if tree is not None:
            return tree
    return load_html(html)


def _parse_plain_utf8(data: bytes) -> HtmlElement | None:
    """The tree of UTF-8 bytes without control characters, or None to leave the page to load_html."""
    if data.startswith(_BOM) or any(c in data for c in _CONTROL_BYTES):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None  # load_html guesses the encoding
    if "\ufffe" in text or "\uffff" in text:  # instant on text without characters past U+00FF
        return None
    beginning = text[:50].lower()
    if is_dubious_html(beginning):
        return None  # load_html may reject the tree: its own rules decide
    repaired = _repair(text, beginning)
    if repaired is not None:
        data = repaired.encode("utf-8")
    try:
        tree = fromstring(data, parser=PARSER)
    except Exception:  # noqa: BLE001 - load_html has its own fallbacks for what lxml refuses
        return None
    return tree if tree is not None and len(tree) >= 1 else None


def _repair(text: str, beginning: str) -> str | None:
    """load_html's repairs of the first lines (`repair_faulty_html` without the control-character
    pass, which has nothing to remove here): a DOCTYPE with a slash, a self-closing <html/>. None
    when neither applies."""
    repaired = text
    if "doctype" in beginning:
        firstline, _, rest = repaired.partition("\n")
        repaired = DOCTYPE_TAG.sub("", firstline, count=1) + "\n" + rest
    for line in repaired[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            repaired = FAULTY_HTML.sub(r"\1>", repaired, count=1)
            break
    return None if repaired == text else repaired
