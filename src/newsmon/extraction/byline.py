"""The author byline of a page without one in its metadata: trafilatura's `extract_author`, in one
walk over the tree.

trafilatura copies the whole tree, removes from the copy what cannot hold the byline (comments,
sidebars, dates, figures: `AUTHOR_DISCARD_XPATHS`), then runs up to three XPath searches
(`AUTHOR_XPATHS`, most specific first) and keeps the first element whose text is 3 to 119
characters long. Each search is a pass over every element with a dozen attribute tests, several of
them regular expressions called back from libxml2: 5-7 ms a page, the largest part of newsmon's own
extraction work on the pages that need it. Here one walk tests every element against the same
rules, written in Python with the same regular expressions (`_AUTHOR_0` ... `_DISCARD` below,
each beside the XPath it stands for); the discarded elements are skipped instead of removed, and
an element's text is read as the pruned copy would give it. `find_author(tree)` returns what
`trafilatura.metadata.extract_author(tree)` returns; a test holds the two together on real and
crafted pages and fails when trafilatura changes its rules.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import extract_author
from trafilatura.utils import trim

LEN_LIMIT = 120  # extract_author's: a byline is 3 to 119 characters

# AUTHOR_XPATHS[0]: //*[self::a or self::address or self::div or self::link or self::p or
# self::span or self::strong][@rel='author' or @id='author' or @class='author' or
# @itemprop='author name' or rel='me' or @data-testid='AuthorCard' or @data-testid='AuthorURL' or
# re:test(@class, 'author-?name|AuthorName|authorName')] | //author
_TAGS_0 = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_CLASS_0 = re.compile("author-?name|AuthorName|authorName")
# AUTHOR_XPATHS[1]: //*[self::a or self::div or self::h3 or self::h4 or self::p or self::span][
# @class='byline' or @class='username' or @class='byl' or @class='BBL' or
# contains(@itemprop, 'author') or re:test(@id, 'author|zuozhe|bianji|xiaobian') or
# re:test(@class, 'author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name')]
_TAGS_1 = frozenset({"a", "div", "h3", "h4", "p", "span"})
_CLASSES_1 = frozenset({"byline", "username", "byl", "BBL"})
_ID_1 = re.compile("author|zuozhe|bianji|xiaobian")
_CLASS_1 = re.compile("author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
# AUTHOR_XPATHS[2]: //*[contains(@data-component, 'Byline') or contains(@itemprop, 'author') or
# re:test(@id, '[Aa]uthor') or re:test(@class, '[Aa]uthor|screenname|writer|[Bb]yline')]
_ID_2 = re.compile("[Aa]uthor")
_CLASS_2 = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")
# AUTHOR_DISCARD_XPATHS[0]: .//*[self::a or self::div or self::section or self::span][
# @id='comments' or @class='comments' or @class='title' or @class='date' or
# re:test(@id, '^comments|comment-?list|ProductReviews') or re:test(@class, '^[Cc]omments|commentlist|
# comments-list|sidebar|is-hidden|quote|embedly-instagram|article-(?:share|support)|print|category|
# meta-date|meta-reviewer') or contains(@data-component, 'Figure')]
# AUTHOR_DISCARD_XPATHS[1]: //time|//figure
_TAGS_DISCARD = frozenset({"a", "div", "section", "span"})
_CLASSES_DISCARD = frozenset({"comments", "title", "date"})
_ID_DISCARD = re.compile("^comments|comment-?list|ProductReviews")
_CLASS_DISCARD = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
    "article-(?:share|support)|print|category|meta-date|meta-reviewer"
)
_DISCARD_TAGS = frozenset({"time", "figure"})


def find_author(tree: HtmlElement) -> str | None:
    """The byline trafilatura's `extract_author(tree)` finds, or None."""
    walked = _walk(tree)
    if walked is None:
        return extract_author(tree)
    found, dropped = walked
    for candidates in found:
        for el in candidates:
            if el in dropped or any(a in dropped for a in el.iterancestors()):
                continue
            content = trim(" ".join(_pruned_text(el, dropped)))
            if content and 2 < len(content) < LEN_LIMIT:
                return normalize_authors(None, content)
    return None


def _walk(tree: HtmlElement) -> tuple[list[list[HtmlElement]], set[HtmlElement]] | None:
    """The elements each of the three searches finds, in document order, and the elements the
    discard rules remove; None for a page with a <rel> element (the `rel='me'` test reads an
    element's text, which the removals could change: trafilatura's own search is left to it)."""
    found: list[list[HtmlElement]] = [[], [], []]
    dropped: set[HtmlElement] = set()
    for el in tree.iter(etree.Element):
        tag = el.tag
        if tag == "rel":
            return None
        if tag == "author":
            found[0].append(el)
        elif tag in _DISCARD_TAGS:
            dropped.add(el)
        if not el.attrib:
            continue
        cls = el.get("class") or ""
        id_ = el.get("id") or ""
        itemprop = el.get("itemprop") or ""
        if tag in _TAGS_0 and (
            cls == "author"
            or id_ == "author"
            or el.get("rel") == "author"
            or itemprop == "author name"
            or el.get("data-testid") in ("AuthorCard", "AuthorURL")
            or _CLASS_0.search(cls)
        ):
            found[0].append(el)
        if tag in _TAGS_1 and (
            cls in _CLASSES_1 or "author" in itemprop or _ID_1.search(id_) or _CLASS_1.search(cls)
        ):
            found[1].append(el)
        if (
            "author" in itemprop
            or _ID_2.search(id_)
            or _CLASS_2.search(cls)
            or "Byline" in (el.get("data-component") or "")
        ):
            found[2].append(el)
        if tag in _TAGS_DISCARD and (
            id_ == "comments"
            or cls in _CLASSES_DISCARD
            or _ID_DISCARD.search(id_)
            or _CLASS_DISCARD.search(cls)
            or "Figure" in (el.get("data-component") or "")
        ):
            dropped.add(el)
    dropped.discard(tree)  # removing the root is a no-op in trafilatura's pruning
    return found, dropped


def _pruned_text(el: HtmlElement, dropped: set[HtmlElement]) -> list[str]:
    """`el.itertext()` as it reads once the `dropped` elements are removed: trafilatura's removal
    keeps a removed element's tail, joined without a space to the text before it (the previous
    sibling's tail, or the parent's text)."""
    pieces: list[str | None] = []

    def walk(node: HtmlElement) -> None:
        pieces.append(node.text)
        for child in node:
            if child in dropped:
                if child.tail:
                    pieces[-1] = (pieces[-1] or "") + child.tail
                continue
            if isinstance(child.tag, str):
                walk(child)
            pieces.append(child.tail)  # of a comment or processing instruction: only the tail

    walk(el)
    return [p for p in pieces if p is not None]
