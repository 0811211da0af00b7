"""The author byline of a page without one in its metadata: trafilatura's `extract_author`, in one
walk over the tree.

trafilatura copies the whole tree, removes from the copy what cannot hold the byline (comments,
sidebars, dates, figures: `AUTHOR_DISCARD_XPATHS`), then runs up to three XPath searches
(`AUTHOR_XPATHS`, most specific first) and keeps the first element whose text is 3 to 119
characters long. Each search is a pass over every element with a dozen attribute tests, several of
them regular expressions called back from libxml2: 5-7 ms a page, the largest part of newsmon's own
extraction work on the pages that need it. Here one walk tests every element against the same
rules, written in Python with the same regular expressions (`_CLASS_0` ... `_DISCARD_TAGS` below,
each beside the XPath it stands for), and stops at the first search's first byline; nothing is
copied or removed: an element is skipped when it or an ancestor would be removed, and its text is
read as the pruned copy would give it. `find_author(tree)` returns what
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
    """The byline trafilatura's `extract_author(tree)` finds, or None.

    The first search's elements are tried as the walk meets them: in document order, the first
    with a byline is the answer, and the walk stops there. The other two searches' elements are
    tried after the walk, when the first search has found none."""
    if next(tree.iter("rel"), None) is not None:
        # The `rel='me'` test reads a <rel> element's text, which the removals could change, and
        # makes its parent, met before a byline inside it, a match: trafilatura's search decides.
        return extract_author(tree)
    later: tuple[list[HtmlElement], list[HtmlElement]] = ([], [])  # the second and third searches
    for el in tree.iter(etree.Element):
        tag = el.tag
        first = tag == "author"
        if el.attrib:
            cls = el.get("class") or ""
            id_ = el.get("id") or ""
            itemprop = el.get("itemprop") or ""
            first = first or (
                tag in _TAGS_0
                and (
                    cls == "author"
                    or id_ == "author"
                    or el.get("rel") == "author"
                    or itemprop == "author name"
                    or el.get("data-testid") in ("AuthorCard", "AuthorURL")
                    or bool(_CLASS_0.search(cls))
                )
            )
            if tag in _TAGS_1 and (
                cls in _CLASSES_1 or "author" in itemprop or _ID_1.search(id_) or _CLASS_1.search(cls)
            ):
                later[0].append(el)
            if (
                "author" in itemprop
                or _ID_2.search(id_)
                or _CLASS_2.search(cls)
                or "Byline" in (el.get("data-component") or "")
            ):
                later[1].append(el)
        if first and (content := _content(el, tree)) is not None:
            return normalize_authors(None, content)
    for candidates in later:
        for el in candidates:
            if (content := _content(el, tree)) is not None:
                return normalize_authors(None, content)
    return None


def _content(el: HtmlElement, tree: HtmlElement) -> str | None:
    """The element's text in the pruned copy, when it is there and reads as a byline (3 to 119
    characters); None otherwise."""
    if el is not tree and _discarded(el):
        return None
    for ancestor in el.iterancestors():
        if ancestor is tree:  # the copy trafilatura prunes starts here
            break
        if _discarded(ancestor):
            return None
    content = trim(" ".join(_pruned_text(el)))
    return content if content and 2 < len(content) < LEN_LIMIT else None


def _discarded(el: HtmlElement) -> bool:
    """Whether trafilatura's pruning removes the element (never the root of what it prunes)."""
    tag = el.tag
    if tag in _DISCARD_TAGS:
        return True
    if tag not in _TAGS_DISCARD:
        return False
    cls = el.get("class") or ""
    id_ = el.get("id") or ""
    return bool(
        id_ == "comments"
        or cls in _CLASSES_DISCARD
        or _ID_DISCARD.search(id_)
        or _CLASS_DISCARD.search(cls)
        or "Figure" in (el.get("data-component") or "")
    )


def _pruned_text(el: HtmlElement) -> list[str]:
    """`el.itertext()` as it reads once the discarded elements are removed: trafilatura's removal
    keeps a removed element's tail, joined without a space to the text before it (the previous
    sibling's tail, or the parent's text)."""
    pieces: list[str | None] = []

    def walk(node: HtmlElement) -> None:
        pieces.append(node.text)
        for child in node:
            if not isinstance(child.tag, str):  # a comment or processing instruction: only its tail
                pieces.append(child.tail)
            elif _discarded(child):
                if child.tail:
                    pieces[-1] = (pieces[-1] or "") + child.tail
            else:
                walk(child)
                pieces.append(child.tail)

    walk(el)
    return [p for p in pieces if p is not None]
