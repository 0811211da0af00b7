"""Defuse a feed's DOCTYPE before any XML parser sees it.

feedparser hands the document to expat, whose entity expansion is only partly limited, and its own
DOCTYPE clean-up is line-based: a one-line "billion laughs" took 3.8 s and a quadratic blowup 42 s
in feedparser 6.0.14 here. So the internal subset is rewritten first: only short literal general
entities survive (what feeds really declare, e.g. `<!ENTITY nbsp "&#160;">`), and only while their
total expansion stays small; external, parameter and nested entities are dropped, with a warning.
"""

from __future__ import annotations

import re

# A kept entity expands to at most this many bytes per reference ...
MAX_ENTITY_VALUE = 200
# ... and all references of the document together to at most this many bytes.
MAX_TOTAL_EXPANSION = 1_000_000

_WS = b" \t\r\n"
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY_DECL = re.compile(rb"<!ENTITY\s+(%\s+)?([A-Za-z_:][\w.:-]*)\s+(\"[^\"]*\"|'[^']*'|[^>]*?)\s*>", re.S)
# Plain text or character references only: nothing that refers to another entity or holds markup.
_SAFE_VALUE = re.compile(rb"(?:[^&%<]|&#[0-9]{1,7};|&#x[0-9A-Fa-f]{1,6};)*\Z")


class UnsafeXml(ValueError):
    """The document's DOCTYPE cannot be made safe (unterminated, or in an encoding we do not scan)."""


def _wide_encoding(head: bytes) -> str | None:
    """The codec of a UTF-16/32 document (BOM or the '<' pattern of XML's appendix F), else None."""
    for bom, codec in (
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\xfe\xff", "utf-16-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\x00\x00\x00<", "utf-32-be"),
        (b"<\x00\x00\x00", "utf-32-le"),
        (b"\x00<", "utf-16-be"),
        (b"<\x00", "utf-16-le"),
    ):
        if head.startswith(bom):
            return codec
    return None


def _skip(data: bytes, i: int, end: bytes) -> int:
    j = data.find(end, i)
    if j < 0:
        raise UnsafeXml(f"unterminated markup before the root element (no {end.decode()!r})")
    return j + len(end)


def _doctype_span(data: bytes) -> tuple[int, int, int, int] | None:
    """(start, end, subset_start, subset_end) of a DOCTYPE in the prolog; subset bounds are -1 without one."""
    i, n = 0, len(data)
    if data.startswith(b"\xef\xbb\xbf"):
        i = 3
    while i < n:
        while i < n and data[i] in _WS:
            i += 1
        if data.startswith(b"<?", i):
            i = _skip(data, i, b"?>")
        elif data.startswith(b"<!--", i):
            i = _skip(data, i, b"-->")
        elif _DOCTYPE.match(data, i):
            return _doctype_end(data, i)
        else:
            return None  # the root element (or garbage): no DOCTYPE in the prolog
    return None


def _doctype_end(data: bytes, start: int) -> tuple[int, int, int, int]:
    i, n = start + len(b"<!DOCTYPE"), len(data)
    sub_start = sub_end = -1
    while i < n:
        c = data[i : i + 1]
        if c in (b'"', b"'"):
            i = _skip(data, i + 1, c)
        elif c == b"[" and sub_start < 0:
            sub_start = i + 1
            i += 1
            while True:  # the internal subset: quoted literals and comments may hold ']'
                if i >= n:
                    raise UnsafeXml("unterminated DOCTYPE internal subset")
                c = data[i : i + 1]
                if c in (b'"', b"'"):
                    i = _skip(data, i + 1, c)
                elif data.startswith(b"<!--", i):
                    i = _skip(data, i, b"-->")
                elif c == b"]":
                    sub_end = i
                    i += 1
                    break
                else:
                    i += 1
        elif c == b">":
            return start, i + 1, sub_start, sub_end
        else:
            i += 1
    raise UnsafeXml("unterminated DOCTYPE")


def defuse(content: bytes) -> tuple[bytes, list[str]]:
    """The document with a safe DOCTYPE, and warnings naming what was removed.

    Raises UnsafeXml when the DOCTYPE cannot be scanned. Documents without an internal subset come
    back unchanged (the external DTD is never loaded: feedparser turns external entities off).
    """
    wide = _wide_encoding(content[:4])
    if wide:
        # Rare for feeds; not worth a second scanner. Refuse only what could carry entities.
        text = content[:65536].decode(wide, errors="replace").upper()
        if "<!ENTITY" in text or (
            "<!DOCTYPE" in text and "[" in text.split("<!DOCTYPE", 1)[1].split(">", 1)[0]
        ):
            raise UnsafeXml(f"DOCTYPE with an internal subset in a {wide} document")
        return content, []
    span = _doctype_span(content)
    if span is None or span[2] < 0:
        return content, []
    start, end, sub_start, sub_end = span
    subset = content[sub_start:sub_end]
    head = content[start : sub_start - 1].rstrip()  # "<!DOCTYPE rss PUBLIC ..." without the subset
    body = content[end:]
    kept: list[tuple[bytes, bytes]] = []
    dropped: list[str] = []
    unused: list[bytes] = []
    budget = MAX_TOTAL_EXPANSION
    for match in _ENTITY_DECL.finditer(subset):
        parameter, name, value = match.group(1), match.group(2), match.group(3)
        label = name.decode("ascii", "replace")
        if parameter or value[:1] not in (b'"', b"'"):
            dropped.append(f"{'%' if parameter else ''}{label} (external or parameter entity)")
            if not parameter:
                unused.append(name)
            continue
        literal = value[1:-1]
        if len(literal) > MAX_ENTITY_VALUE or not _SAFE_VALUE.match(literal):
            dropped.append(f"{label} (long or nested value)")
            unused.append(name)
            continue
        cost = body.count(b"&" + name + b";") * len(literal)
        if cost > budget:
            dropped.append(f"{label} (expansion over {MAX_TOTAL_EXPANSION} bytes)")
            unused.append(name)
            continue
        budget -= cost
        kept.append((name, literal.replace(b'"', b"&#34;")))
    declared = len(_ENTITY_DECL.findall(subset))
    others = subset.count(b"<!") - subset.count(b"<!--") - declared
    warnings: list[str] = []
    if dropped:
        shown = ", ".join(dropped[:5]) + (f" and {len(dropped) - 5} more" if len(dropped) > 5 else "")
        warnings.append(f"unsafe DOCTYPE entities removed with their references, not expanded: {shown}")
    if others > 0:
        warnings.append(f"DOCTYPE: {others} other markup declaration(s) removed")
    # References to a dropped entity are removed too: left undefined they make expat fail and
    # feedparser's loose parser crawl through them (1.5 s for 200,000 references).
    for name in unused:
        body = body.replace(b"&" + name + b";", b"")
    # One declaration per line: the shape feedparser's own DOCTYPE clean-up expects.
    lines = b"".join(b"\n<!ENTITY " + name + b' "' + value + b'">' for name, value in kept)
    doctype = head + (b" [" + lines + b"\n]>" if kept else b">")
    return content[:start] + doctype + body, warnings
