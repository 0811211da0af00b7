"""Line rules that strip what extractors keep from CMS and scraper debris.

Applied to extracted text (one paragraph a line), not to HTML: the same rules then hold whichever
extractor produced the text. Each rule is written for a shape of debris seen across many sites
(WordPress shortcodes, "Source link" footers, captions printed twice, a "Read more:" list at the
end), never for one page's sentences, and errs on the side of keeping text: a line is removed only
when the whole line has the debris shape.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from newsmon.text import words

# -- shapes ---------------------------------------------------------------------------------------

# WordPress-style shortcodes: a closing tag, a tag with attributes, or a tag whose name carries an
# underscore or a digit ([ad_1], [adsense2]). Editorial brackets ("[sic]", "[the treaty]", "[1]")
# have none of these shapes and stay.
_SHORTCODE = re.compile(
    r"\[/[a-z][\w-]*\]"  # [/button]
    r"|\[[a-z][\w-]*\s+[\w-]+\s*=[^\]\n]*\]"  # [button link="..."], [caption id=1 align=x]
    r"|\[[a-z]+(?:_?\d+|_[a-z\d_]+)\]",  # [ad_1], [ad2], [ad_top]
)
# A line that is nothing but one lower-case bracketed name: [ad], [advert], [embed]. Shortcodes are
# lower case by convention; "[1]" or a capitalised "[Reuters]" (a source credit) stay.
_LONE_TAG = re.compile(r"^\[/?[a-z][a-z0-9_-]*\]$")

_SOURCE_LINK = re.compile(
    r"^(?:source link|original source|view (?:the )?original(?: article| post| source)?"
    r"|read (?:the )?(?:full|original) (?:article|story|post)(?: here)?)\s*[:.»›>]*$",
    re.IGNORECASE,
)

_AD_LABEL = re.compile(
    r"^(?:advertisements?|sponsored(?: content)?|ad|skip ad|scroll to continue(?: with content)?"
    r"|(?:story|article) continues (?:below|after)(?: (?:this )?advertisement)?"
    r"|continue reading (?:the main story|below))\s*[:.]*$",
    re.IGNORECASE,
)

_SHARE_PROMPT = re.compile(
    r"^(?:share this(?: article| story| post| page)?\s*[:!.]*"
    r"|share (?:on|via) [\w. ]{2,20}"
    r"|click to (?:share|email|print)(?: on [\w. ]{2,20})?(?: \(opens in new window\))?"
    r"|(?:did you )?like this (?:story|article|post)\?(?: share it with (?:a friend|your friends)!?)?)$",
    re.IGNORECASE,
)

# Site furniture printed as a line of its own: widget labels, calls to action, copyright.
_FURNITURE = {
    "bare-url": re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE),
    "widget-label": re.compile(
        r"^(?:(?:\d+\s+)?comments?|(?:leave|add|post) a (?:comment|reply)"
        r"|(?:show|view|load) (?:all )?comments|tags?)\s*:?$",
        re.IGNORECASE,
    ),
    "newsletter": re.compile(
        r"^(?:click here to |please )?(?:sign up|subscribe|get|join|register)\b.{0,100}\bnewsletters?\b"
        r"|\bnewsletters?\b.{0,60}\b(?:to|in) your inbox|\bby subscribing to (?:our|the) .{0,40}newsletter",
        re.IGNORECASE,
    ),
    "click-here": re.compile(r"\bclick(?:ing)? here\b", re.IGNORECASE),
    "follow-us": re.compile(
        r"^follow\b.{1,80}\bon (?:twitter|facebook|instagram|linkedin|x|youtube|tiktok|telegram)\b",
        re.IGNORECASE,
    ),
    # Dow Jones and other news sites: "Write to Al Root at al.root@example.com", under every story.
    "contact": re.compile(
        r"^(?:write to|contact|e-?mail)\s+[^@\n]{1,60}?\s+at\s+\S+@\S+\.\w+"
        r"(?:\s*(?:,|and)\s*[^@\n]{1,60}?\s+at\s+\S+@\S+\.\w+)*\.?$",
        re.IGNORECASE,
    ),
    # Article tools and their messages printed as text.
    "article-tools": re.compile(
        r"^(?:[-*•]\s*)?(?:(?:order|purchase|buy) reprints?|print (?:this )?(?:article|story|page)"
        r"|e-?mail (?:this )?(?:article|story|page)|this (?:article|story) has been sent to"
        r"|an error (?:has )?occurred[,.]? please try again(?: later)?)\s*[.:!]?$"
        r"|^this copy is for your personal,? non-?commercial use only\b",
        re.IGNORECASE,
    ),
    "copyright": re.compile(r"^(?:copyright\b|©|\(c\)\s*\d{4})|\ball rights reserved\b", re.IGNORECASE),
}
FURNITURE_MAX = 200  # a longer line is prose that happens to mention these words

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
# A date as CMS bylines print it: "October 1, 2021", "1 October 2021", "2021-10-01", "01/10/2021",
# optionally with a time ("at 10:32 am", "1:23 p.m.").
_DATE = (
    rf"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    rf"(?:(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}})"
)
_TIME = r"(?:\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*[a-z]{2,4})?)"
_WHEN = rf"(?:{_DATE}(?:,?\s*+(?:at\s++)?{_TIME})?|{_TIME})"
_BY_IN = r"(?:\s*(?:by|in)\s+[^\s.!?][^.!?]{0,60})"
# Runs of white space are taken whole (`\s*+`, `\s++`) where what follows cannot start with one:
# the same matches, without trying every way to share a long run between neighbouring `\s*`.
_POSTED = re.compile(
    rf"^(?:(?:posted|published|updated|last updated|last modified)(?:\s++(?:on|at))?\s*+[:\-–]?\s*+{_WHEN}"
    rf"{_BY_IN}{{0,2}}"
    r")\s*\.?$"
    # "Posted in" and "Filed under" lists are taxonomy lines (_TAXONOMY): "Filed under seal, the
    # indictment ..." opens a sentence.
    r"|^posted by(?:\s+[^\s.!?]+){1,6}$",
    re.IGNORECASE,
)
# The same dateline glued in front of a paragraph: only with a strict date and a one-word author.
_POSTED_PREFIX = re.compile(rf"^posted on {_DATE}(?: by [\w.-]+)?\s+(?=\S)", re.IGNORECASE)

# Blog-engine header and footer lines (WordPress, Ghost, Blogger, Medium, Jekyll themes): a line made
# only of meta items - dates, "by <Name>", "posted/updated <date>", reading time, comment and share
# counters - joined by the separators themes print between them ("|", "•", "·", "-"). A sentence of
# the article always has a word that is none of these, so it never matches as a whole.
# Bounded repeats: a name word or a counter is short, and an unbounded run would make a search over
# a long line of digits or capitals quadratic (tests/test_regex_safety.py).
_NAME = r"(?:[A-Z][\w'’.-]{0,40})(?:\s+(?:[A-Z][\w'’.-]{0,40}|de|van|von|da|del|bin|al)){0,3}"
_COUNT = r"\d[\d.,]{0,15}\s*[kKmM]?"
_COUNTER = (
    r"(?:(?:shares?|tweets?|pins?|likes?|comments?|responses?|views?|reads?|claps?|reactions?|replies)\s*:?\s*"
    + _COUNT
    + r"|"
    + _COUNT
    + r"\s+(?:shares?|tweets?|pins?|likes?|comments?|responses?|views?|reads?|claps?|reactions?|replies)\s*:?)"
)
_STAMP = r"(?:posted|published|updated|last updated|last modified|modified)"
_META_STRONG = re.compile(
    rf"{_STAMP}(?:\s+(?:on|at))?\s*[:\-–]?\s*{_WHEN}"  # a stamp with a date or time
    rf"|{_DATE}(?:,?\s*(?:at\s+)?{_TIME})?"  # a date alone (a time alone may be opening hours)
    rf"|{_STAMP}(?:\s+on)?(?:\s+by\s+(?-i:{_NAME})(?:\s+at\s+{_TIME})?|\s*$)"  # the date dropped
    r"|\d{1,3}\s*(?:-|\s)?min(?:ute)?s?\s+read(?:ing)?(?:\s+time)?|reading time:?\s*\d{1,3}\s*min(?:ute)?s?"
    rf"|{_COUNTER}",
    re.IGNORECASE,
)
_META_WEAK = re.compile(rf"(?:(?i:(?:posted|written)\s+)?(?i:by)\s+{_NAME}|{_NAME}|(?i:at)\s+{_TIME})")
_META_SEP = re.compile(r"\s*[|•·–—/]\s*|\s+-\s+|,?\s+|\s*$")
# A date line in the other languages the project reads: "segunda-feira, 22 de janeiro de 2018 às
# 0:13", "lunes, 3 de marzo de 2024", "3 mars 2024 à 10h15", "Montag, 3. März 2024, 10:15 Uhr".
_DATELINE_OTHER = re.compile(
    r"^(?:(?:(?:segunda|terça|quarta|quinta|sexta)(?:-feira)?|sábado|domingo|lunes|martes|miércoles|jueves"
    r"|viernes|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunedì|martedì|mercoledì|giovedì"
    r"|venerdì|sabato|domenica|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag),?\s+)?"
    r"\d{1,2}(?:\.|º|er)?\s+(?:de\s+)?"
    r"(?:janeiro|fevereiro|março|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro"
    r"|enero|febrero|marzo|mayo|junio|julio|septiembre|setiembre|octubre|noviembre|diciembre"
    r"|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|décembre"
    r"|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre"
    r"|januar|februar|märz|april|juni|juli|oktober|dezember)\.?\s+(?:de\s+)?\d{4}"
    r"(?:,?\s*(?:às|a las|à|alle|um|-)?\s*\d{1,2}[:.h]\d{2}(?:\s*(?:h|uhr))?)?\s*$",
    re.IGNORECASE,
)
META_MAX = 160
# Taxonomy lists: "Tags: IAEA, NPT", "Filed under: Nuclear", "Labels: Iran". Without a colon only
# the theme phrases, and only with capitalised terms ("Filed under Nuclear, Iran"): "Filed under
# seal, the indictment ..." is prose.
_TERM = r"[#\w][\w'’&.+-]*(?:\s+[\w'’&.+-]+){0,3}"
_TAXONOMY = re.compile(
    rf"^(?:tags?|tagged(?:\s+(?:with|as))?|labels?|categor(?:y|ies)|topics?|filed under|posted in|keywords?)"
    rf"\s*:\s*{_TERM}(?:\s*[,;|•·/]\s*{_TERM})*\s*\.?$",
    re.IGNORECASE,
)
_CAP_TERM = r"[#A-Z0-9][\w'’&.+-]*(?:\s+[A-Z0-9][\w'’&.+-]*){0,3}"
_TAXONOMY_NO_COLON = re.compile(
    rf"^(?:[Ff]iled under|[Pp]osted in|[Tt]agged(?:\s+(?:with|as))?)\s+{_CAP_TERM}(?:\s*[,;|•·/]\s*{_CAP_TERM})*$"
)
# Share widgets printed as text: "Share 34 Tweet 12", "Email This BlogThis! Share to Twitter".
_SHARE_WORD = (
    r"(?:email this|blogthis!?|share (?:to|on) (?:twitter|facebook|pinterest|x|linkedin|whatsapp|reddit|email)"
    r"|share|tweet|pin(?: it)?|print|email|listen|follow|save|whatsapp|telegram|reddit|linkedin|facebook|twitter)"
)
_SHARE_BAR = re.compile(rf"^(?:{_SHARE_WORD}(?:\s*{_COUNT})?[\s|•·]*){{2,}}$", re.IGNORECASE)
_COUNTERS = re.compile(rf"^(?:{_COUNTER}[\s|•·]*)+$", re.IGNORECASE)


_PAYWALL = re.compile(
    r"(?:subscribe|sign in|log in) (?:now |today )?to (?:continue|keep|read|unlock|access)"
    r"|(?:to )?continue reading,? (?:please )?(?:subscribe|sign in|log in|register)"
    r"|this (?:article|story|content|post) is (?:only )?"
    r"(?:for|available (?:to|for)|reserved for|exclusive to) (?:paying |our )?(?:subscribers|members|premium)"
    r"|(?:subscribers?|members?)[- ]only (?:content|article|story)"
    r"|you(?:'ve| have) (?:reached|used up) (?:your|all your|the) (?:limit|free|monthly)"
    r"|(?:become|register as) a (?:subscriber|member) to (?:read|continue|access)",
    re.IGNORECASE,
)
PAYWALL_MAX_LINE = 240  # a longer line mentioning subscriptions is prose about them, not a prompt

# A byline printed as the first lines of the text: "By Ines Marchetti", "BY JO SMITH and AL WU, Reuters".
# Each name is taken whole (possessive `*+`): with a plain `*` a long capitalised run could be cut
# into up to four "names" in every possible way, and a 200-character first line took seconds.
_BYLINE = re.compile(r"^(?:by|By|BY)\s++(?:[A-Z][\w'’.-]*+\s*+){1,4}(?:(?:,|and|&)\s*[^.!?]{0,60})?$")
BYLINE_WITHIN = 3  # lines from the top

# Headings that open a list of links to other stories. Several languages: the project reads them.
_LIST_HEADING = re.compile(
    r"^(?:read (?:on|more|also|next)|also read|related(?: articles| stories| posts| news| coverage| content"
    r"| links| reading| topics)?|see also|more (?:on|from|about) [^.!?]{1,40}|more (?:stories|news)"
    r"|you (?:may|might) (?:also )?(?:like|be interested in)|recommended(?: for you| reading| stories)?"
    r"|further reading|most (?:read|popular)|trending(?: now)?|popular (?:posts|stories)"
    r"|leggi anche|(?:à )?lire aussi|lesen sie auch|mehr zum thema|ver también|lea también"
    r"|leia também|veja também|читайте также|см\. также)\s*[:：.…»›>\-–]*$",
    re.IGNORECASE,
)
# The same heading and one headline on one line ("Read more: Senate passes ..."), anywhere.
_INLINE_PROMO = re.compile(
    r"^(?:read (?:more|also|next)|also read|related|see also|also on [\w-]+(?:\.[\w-]+)+)"
    r"\s*[:：|»›>\-–]?\s+(?P<rest>\S.*)$",
    re.IGNORECASE,
)
LIST_ITEM_MAX = 160  # a headline, not a paragraph
LIST_MAX_ITEMS = 15
PROMO_MAX = 200

REPEAT_MIN_WORDS = 4  # shorter lines ("Yes.", "Q:") may repeat in real text
REPEAT_MIN_CHARS = 20  # for scripts without spaces between words
# Only the line just before counts: a caption printed twice stands next to itself, while tables,
# product lists, meal plans and embedded posts repeat rows further apart on purpose (a window over
# the whole article cost recall on the extraction evaluation).

_BULLET = re.compile(r"^[-*•·–]\s+")


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


def line_key(text: str) -> str:
    return " ".join(words(_BULLET.sub("", text.strip()), underscores=False))


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
        rule = "byline" if n < BYLINE_WITHIN and _BYLINE.match(line) else _line_rule(line, link_texts)
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
    return re.sub(r"\s{2,}", " ", _SHORTCODE.sub("", text)).strip()


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
    if _LONE_TAG.match(line):
        removed["markers"] += 1
        return ""
    stripped, n = _SHORTCODE.subn("", line)
    if n:
        removed["markers"] += n
        line = re.sub(r"\s{2,}", " ", stripped).strip()
    prefix = _POSTED_PREFIX.match(line)
    if prefix and len(line) - prefix.end() > 40:
        removed["posted"] += 1
        line = line[prefix.end() :]
    return line


def _line_rule(line: str, link_texts: Collection[str]) -> str | None:
    """The rule that removes this whole line, if any."""
    if _SOURCE_LINK.match(line):
        return "source-link"
    if _AD_LABEL.match(line):
        return "ad-label"
    if _SHARE_PROMPT.match(line):
        return "share-prompt"
    if len(line) <= 120 and _POSTED.match(line):
        return "posted"
    if len(line) <= META_MAX and _blog_meta(line):
        return "blog-meta"
    if len(line) <= 80 and _DATELINE_OTHER.match(line):
        return "posted"
    if len(line) <= PAYWALL_MAX_LINE and _PAYWALL.search(line):
        return "paywall"
    if len(line) <= FURNITURE_MAX:
        for rule, shape in _FURNITURE.items():
            if shape.search(line):
                return rule
    promo = None if _LIST_HEADING.match(line) else _INLINE_PROMO.match(line)
    if promo and len(line) <= PROMO_MAX and _headline(promo["rest"], link_texts):
        return "promo"
    return None


def _blog_meta(line: str) -> bool:
    """A blog theme's header or footer line (see _META_STRONG, _TAXONOMY, _SHARE_BAR)."""
    if _TAXONOMY.match(line) or _TAXONOMY_NO_COLON.match(line):
        return True
    if _SHARE_BAR.match(line) or _COUNTERS.match(line):
        return True
    return _meta_items(line.rstrip(" .:"))


def _meta_items(line: str) -> bool:
    """The line reads as meta items one after another, at least one of them a date, reading time,
    counter or posted/updated stamp. Items are taken greedily, one at a time: a run of capitalised
    words then costs linear time, not the exponential choices of one backtracking expression."""
    pos, strong = 0, False
    while pos < len(line):
        m = _META_STRONG.match(line, pos)
        if m and m.end() > pos:
            strong = True
        else:
            m = _META_WEAK.match(line, pos)
            if not m or m.end() == pos:
                return False
        sep = _META_SEP.match(line, m.end())
        if not sep or (sep.end() == m.end() and sep.end() < len(line)):
            return False  # an item must end at a separator: "Mar 3, 2024was" is no date
        pos = sep.end()
    return strong


def _headline(text: str, link_texts: Collection[str]) -> bool:
    """Looks like the title of another story: a link on the page, or a short line of one sentence."""
    if line_key(text) in link_texts:
        return True
    return len(text) <= LIST_ITEM_MAX and len(re.findall(r"[.!?](?:\s|$)", text.rstrip(".!?") + " ")) <= 1


def _drop_repeats(lines: list[str], removed: Counter[str]) -> list[str]:
    """A line printed again right after itself (a caption under the photo and again as text)."""
    kept: list[str] = []
    previous = ""
    for line in lines:
        key = line_key(line)
        if key == previous and (len(key.split()) >= REPEAT_MIN_WORDS or len(key) >= REPEAT_MIN_CHARS):
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
            if len(lines) - i - 1 > LIST_MAX_ITEMS:
                break
            if _LIST_HEADING.match(lines[i]):
                cut = i
                break
            if not _list_item(lines[i], link_texts):
                break
        if cut is None:
            links = 0
            while links < min(len(lines), LIST_MAX_ITEMS) and line_key(lines[-1 - links]) in link_texts:
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
    return bool(_LIST_HEADING.match(line)) or (
        len(line.split()) <= 6 and not re.search(r"[.!?\"”»]\s*$", line)
    )


def _list_item(line: str, link_texts: Collection[str]) -> bool:
    key = line_key(line)
    return key in link_texts or len(line) <= LIST_ITEM_MAX
