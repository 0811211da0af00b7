"""The cleanup engine: line rules that strip what extractors keep from CMS and scraper debris.

Applied to extracted text (one paragraph a line), not to HTML: the same rules then hold whichever
extractor produced the text. The shapes of debris and the limits that keep prose safe are data, in
`newsmon.extraction.cleanup_rules`; this module applies them in order, line by line and then to
runs of lines (repeats, link lists at the end), and counts what each rule removed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import newsmon.extraction.cleanup_rules as rules
from newsmon.text import words


@dataclass
class Cleaned:
    text: str
    removed: Counter[str] = field(default_factory=Counter)  # rule -> lines (or markers) removed

    @property
    def paywall(self) -> bool:
        return self.removed["paywall"] > 0

    def note(self) -> str | None:
        if not self.removed:
            return None
        shown = {
            rule: n for rule, n in self.removed.items() if rule != "title"
        }  # the title goes on every page
        if not shown:
            return None
        return "cleanup removed " + ", ".join(f"{rule} {n}" for rule, n in sorted(shown.items()))


# On ASCII text `words(..., underscores=False)` is the runs of letters and digits, lower-cased (NFKC
# changes no ASCII character, casefold is lower): every other character becomes a space and
# str.split finds the words, at a third of the regular expression's cost.
_ASCII_NON_WORD = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


# A line's key is asked for again and again (repeats, link lists, prose counts, the page's link
# texts, which recur across a site's pages); it is a pure function of the text, so remembered.
@lru_cache(maxsize=2048)
def line_key(text: str) -> str:
    text = text.strip()
    if text[:1] in rules.BULLETS:  # a bullet is one character, then white space
        text = rules.BULLET.sub("", text)
    if text.isascii():
        return " ".join(text.lower().translate(_ASCII_NON_WORD).split())
    return " ".join(words(text, underscores=False))


def link_keys(anchor_texts: Iterable[str]) -> set[str]:
    """Keys of a page's link texts, to recognise lines that are nothing but a link."""
    return {k for k in map(line_key, anchor_texts) if k}


def clean_text(text: str, *, titles: Iterable[str] = (), link_texts: Collection[str] = ()) -> Cleaned:
    """Apply every rule; `titles` are the page's title(s), `link_texts` the keys from `link_keys`."""
    removed: Counter[str] = Counter()
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    lines = _drop_leading_title(lines, titles, removed)
    kept: list[str] = []
    for n, line in enumerate(lines):
        line = _strip_markers(line, removed)
        if not line:
            continue
        byline = n < rules.BYLINE_WITHIN and rules.BYLINE.match(line)
        rule = "byline" if byline else _line_rule(line, link_texts)
        if rule:
            removed[rule] += 1
            continue
        kept.append(line)
    kept = _drop_repeats(kept, removed)
    kept = _drop_trailing_lists(kept, link_texts, removed)
    return Cleaned("\n".join(kept), removed)


# -- rules ----------------------------------------------------------------------------------------


def strip_markers(text: str) -> str:
    """The text without shortcode markers, for one-line fields such as a page's description."""
    return re.sub(r"\s{2,}", " ", rules.SHORTCODE.sub("", text)).strip()


def _drop_leading_title(lines: list[str], titles: Iterable[str], removed: Counter[str]) -> list[str]:
    """Extractors keep the <h1>; the title is stored on its own. Site suffixes ("| Outlet") and
    section prefixes ("Opinion |") on the <title> are tolerated: the first line must be a run of
    the title's words covering most of it."""
    if not lines:
        return lines
    first = line_key(lines[0])
    if not first:
        return lines
    for title in titles:
        key = line_key(title or "")
        if not key:
            continue
        if first == key or (
            f" {first} " in f" {key} "
            and len(first) >= 0.5 * len(key)
            and (len(first.split()) >= 3 or len(first) >= 15)
        ):
            removed["title"] += 1
            return lines[1:]
    return lines


def _strip_markers(line: str, removed: Counter[str]) -> str:
    if rules.LONE_TAG.match(line):
        removed["markers"] += 1
        return ""
    stripped, n = rules.SHORTCODE.subn("", line)
    if n:
        removed["markers"] += n
        line = re.sub(r"\s{2,}", " ", stripped).strip()
    prefix = rules.POSTED_PREFIX.match(line)
    if prefix and len(line) - prefix.end() > rules.POSTED_PREFIX_MIN_REST:
        removed["posted"] += 1
        line = line[prefix.end() :]
    return line


def _line_rule(line: str, link_texts: Collection[str]) -> str | None:
    """The rule that removes this whole line, if any."""
    if rules.SOURCE_LINK.match(line):
        return "source-link"
    if rules.AD_LABEL.match(line):
        return "ad-label"
    if rules.SHARE_PROMPT.match(line):
        return "share-prompt"
    if len(line) <= rules.POSTED_MAX and rules.POSTED.match(line):
        return "posted"
    if len(line) <= rules.META_MAX and _blog_meta(line):
        return "blog-meta"
    if len(line) <= rules.DATELINE_MAX and rules.DATELINE_OTHER.match(line):
        return "posted"
    if len(line) <= rules.PAYWALL_MAX_LINE and rules.PAYWALL.search(line):
        return "paywall"
    if len(line) <= rules.FURNITURE_MAX:
        for rule, shape in rules.FURNITURE.items():
            if shape.search(line):
                return rule
    promo = None if rules.LIST_HEADING.match(line) else rules.INLINE_PROMO.match(line)
    if promo and len(line) <= rules.PROMO_MAX and _headline(promo["rest"], link_texts):
        return "promo"
    return None


def _blog_meta(line: str) -> bool:
    """A blog theme's header or footer line (see rules.META_STRONG, rules.TAXONOMY, rules.SHARE_BAR)."""
    if rules.TAXONOMY.match(line) or rules.TAXONOMY_NO_COLON.match(line):
        return True
    if rules.SHARE_BAR.match(line) or rules.COUNTERS.match(line):
        return True
    return _meta_items(line.rstrip(" .:"))


def _meta_items(line: str) -> bool:
    """The line reads as meta items one after another, at least one of them a date, reading time,
    counter or posted/updated stamp. Items are taken greedily, one at a time: a run of capitalised
    words then costs linear time, not the exponential choices of one backtracking expression."""
    pos, strong = 0, False
    while pos < len(line):
        m = rules.META_STRONG.match(line, pos)
        if m and m.end() > pos:
            strong = True
        else:
            m = rules.META_WEAK.match(line, pos)
            if not m or m.end() == pos:
                return False
        sep = rules.META_SEP.match(line, m.end())
        if not sep or (sep.end() == m.end() and sep.end() < len(line)):
            return False  # an item must end at a separator: "Mar 3, 2024was" is no date
        pos = sep.end()
    return strong


def _headline(text: str, link_texts: Collection[str]) -> bool:
    """Looks like the title of another story: a link on the page, or a short line of one sentence."""
    if line_key(text) in link_texts:
        return True
    return (
        len(text) <= rules.LIST_ITEM_MAX and len(re.findall(r"[.!?](?:\s|$)", text.rstrip(".!?") + " ")) <= 1
    )


def _drop_repeats(lines: list[str], removed: Counter[str]) -> list[str]:
    """A line printed again right after itself (a caption under the photo and again as text)."""
    kept: list[str] = []
    previous = ""
    for line in lines:
        key = line_key(line)
        if key == previous and (
            len(key.split()) >= rules.REPEAT_MIN_WORDS or len(key) >= rules.REPEAT_MIN_CHARS
        ):
            removed["repeated"] += 1
            continue
        previous = key
        kept.append(line)
    return kept


def _drop_trailing_lists(lines: list[str], link_texts: Collection[str], removed: Counter[str]) -> list[str]:
    """Links to other stories at the end of the text: a heading such as "Read more:" followed only
    by headlines, or a run of lines that are each a whole link on the page (with the short heading
    above them). Repeated for stacked lists; the text before must stay the larger part."""
    while True:
        cut = None
        for i in range(len(lines) - 1, -1, -1):
            if len(lines) - i - 1 > rules.LIST_MAX_ITEMS:
                break
            if rules.LIST_HEADING.match(lines[i]):
                cut = i
                break
            if not _list_item(lines[i], link_texts):
                break
        if cut is None:
            links = 0
            while links < min(len(lines), rules.LIST_MAX_ITEMS) and line_key(lines[-1 - links]) in link_texts:
                links += 1
            if links >= 2:
                cut = len(lines) - links
                if cut > 0 and _short_heading(lines[cut - 1]):
                    cut -= 1
        if cut is None or cut == 0:
            return lines
        before = sum(map(len, lines[:cut]))
        after = sum(map(len, lines[cut:]))
        if before < after:
            return lines
        removed["link-list"] += len(lines) - cut
        lines = lines[:cut]


def _short_heading(line: str) -> bool:
    return bool(rules.LIST_HEADING.match(line)) or (
        len(line.split()) <= 6 and not re.search(r"[.!?\"”»]\s*$", line)
    )


def _list_item(line: str, link_texts: Collection[str]) -> bool:
    key = line_key(line)
    return key in link_texts or len(line) <= rules.LIST_ITEM_MAX
