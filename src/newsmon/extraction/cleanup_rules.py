"""The cleanup rules as data: the shapes of CMS and scraper debris that `cleanup` removes.

Each rule is written for a shape of debris seen across many sites (WordPress shortcodes, "Source
link" footers, captions printed twice, a "Read more:" list at the end), never for one page's
sentences, and errs on the side of keeping text: a line is removed only when the whole line has the
debris shape. Patterns are matched against one line of extracted text (one paragraph), after
white space at its ends is stripped. The engine that applies them, in order, and counts what each
removed, is `newsmon.extraction.cleanup`; the names in the comments ("posted", "blog-meta", ...)
are the rule names it counts under.

Every pattern here runs on text written by strangers: tests/extraction/test_regex_safety.py collects them all
and checks that none backtracks on long hostile lines.
"""

from __future__ import annotations

import re


def starting_with(first: str, pattern: str) -> str:
    """`pattern`, tried only where a match can start: `first` lists the characters every match of
    it begins with (the pattern's flags apply to them too). For a pattern that is an alternation
    searched anywhere in a line, Python's re then tests one character class at each position
    instead of every alternative: the same matches, about twice as fast on the lines (nearly
    all) where there is none. tests/extraction/test_regex_safety.py checks each list."""
    return f"(?=[{first}])(?:{pattern})"


# -- markers inside a line ("markers": removed wherever they stand) -------------------------------

# WordPress-style shortcodes: a closing tag, a tag with attributes, or a tag whose name carries an
# underscore or a digit ([ad_1], [adsense2]). Editorial brackets ("[sic]", "[the treaty]", "[1]")
# have none of these shapes and stay.
SHORTCODE = re.compile(
    r"\[/[a-z][\w-]*\]"  # [/button]
    r"|\[[a-z][\w-]*\s+[\w-]+\s*=[^\]\n]*\]"  # [button link="..."], [caption id=1 align=x]
    r"|\[[a-z]+(?:_?\d+|_[a-z\d_]+)\]",  # [ad_1], [ad2], [ad_top]
)
# A line that is nothing but one lower-case bracketed name: [ad], [advert], [embed]. Shortcodes are
# lower case by convention; "[1]" or a capitalised "[Reuters]" (a source credit) stay.
LONE_TAG = re.compile(r"^\[/?[a-z][a-z0-9_-]*\]$")

# -- whole lines ----------------------------------------------------------------------------------

# "source-link": the link back that aggregators and scrapers print under a copied story.
SOURCE_LINK = re.compile(
    r"^(?:source link|original source|view (?:the )?original(?: article| post| source)?"
    r"|read (?:the )?(?:full|original) (?:article|story|post)(?: here)?)\s*[:.»›>]*$",
    re.IGNORECASE,
)

# "ad-label": the label left where an advertisement was, and the "story continues" line below it.
AD_LABEL = re.compile(
    r"^(?:advertisements?|sponsored(?: content)?|ad|skip ad|scroll to continue(?: with content)?"
    r"|(?:story|article) continues (?:below|after)(?: (?:this )?advertisement)?"
    r"|continue reading (?:the main story|below))\s*[:.]*$",
    re.IGNORECASE,
)

# "share-prompt": a share button's caption printed as text.
SHARE_PROMPT = re.compile(
    r"^(?:share this(?: article| story| post| page)?\s*[:!.]*"
    r"|share (?:on|via) [\w. ]{2,20}"
    r"|click to (?:share|email|print)(?: on [\w. ]{2,20})?(?: \(opens in new window\))?"
    r"|(?:did you )?like this (?:story|article|post)\?(?: share it with (?:a friend|your friends)!?)?)$",
    re.IGNORECASE,
)

# Site furniture printed as a line of its own: widget labels, calls to action, copyright. Each key
# is the rule name it is counted under; tried in this order.
FURNITURE = {
    "bare-url": re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE),
    "widget-label": re.compile(
        r"^(?:(?:\d+\s+)?comments?|(?:leave|add|post) a (?:comment|reply)"
        r"|(?:show|view|load) (?:all )?comments|tags?)\s*:?$",
        re.IGNORECASE,
    ),
    "newsletter": re.compile(
        starting_with(
            "bcgjnprs",
            r"^(?:click here to |please )?(?:sign up|subscribe|get|join|register)\b.{0,100}\bnewsletters?\b"
            r"|\bnewsletters?\b.{0,60}\b(?:to|in) your inbox|\bby subscribing to (?:our|the) .{0,40}newsletter",
        ),
        re.IGNORECASE,
    ),
    "click-here": re.compile(starting_with("c", r"\bclick(?:ing)? here\b"), re.IGNORECASE),
    "follow-us": re.compile(
        r"^follow\b.{1,80}\bon (?:twitter|facebook|instagram|linkedin|x|youtube|tiktok|telegram)\b",
        re.IGNORECASE,
    ),
    # Dow Jones and other news sites: "Write to Al Root at al.root@example.com", under every story.
    # A name starts with a character that is not a space, so a run of blanks is crossed once
    # (with `[^@\n]` after `\s+`, a long blank run was tried at every split: 10-17 ms a line).
    "contact": re.compile(
        r"^(?:write to|contact|e-?mail)\s+[^@\s][^@\n]{0,59}?\s+at\s+\S+@\S+\.\w+"
        r"(?:\s*(?:,|and)\s*[^@\s][^@\n]{0,59}?\s+at\s+\S+@\S+\.\w+)*\.?$",
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
    "copyright": re.compile(
        starting_with("ac©(", r"^(?:copyright\b|©|\(c\)\s*\d{4})|\ball rights reserved\b"), re.IGNORECASE
    ),
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
POSTED = re.compile(
    rf"^(?:(?:posted|published|updated|last updated|last modified)(?:\s++(?:on|at))?\s*+[:\-–]?\s*+{_WHEN}"
    rf"{_BY_IN}{{0,2}}"
    r")\s*\.?$"
    # "Posted in" and "Filed under" lists are taxonomy lines (TAXONOMY): "Filed under seal, the
    # indictment ..." opens a sentence.
    r"|^posted by(?:\s+[^\s.!?]+){1,6}$",
    re.IGNORECASE,
)
# The same dateline glued in front of a paragraph: only with a strict date and a one-word author.
POSTED_PREFIX = re.compile(rf"^posted on {_DATE}(?: by [\w.-]+)?\s+(?=\S)", re.IGNORECASE)
POSTED_PREFIX_MIN_REST = 40  # cut only in front of a paragraph; a short rest is left to the line rules
POSTED_MAX = 120  # "posted": a longer line is a paragraph that happens to open with a date

# "blog-meta": blog-engine header and footer lines (WordPress, Ghost, Blogger, Medium, Jekyll themes): a line made
# only of meta items - dates, "by <Name>", "posted/updated <date>", reading time, comment and share
# counters - joined by the separators themes print between them ("|", "•", "·", "-"). A sentence of
# the article always has a word that is none of these, so it never matches as a whole.
# Bounded repeats: a name word or a counter is short, and an unbounded run would make a search over
# a long line of digits or capitals quadratic (tests/extraction/test_regex_safety.py).
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
META_STRONG = re.compile(
    rf"{_STAMP}(?:\s+(?:on|at))?\s*[:\-–]?\s*{_WHEN}"  # a stamp with a date or time
    rf"|{_DATE}(?:,?\s*(?:at\s+)?{_TIME})?"  # a date alone (a time alone may be opening hours)
    rf"|{_STAMP}(?:\s+on)?(?:\s+by\s+(?-i:{_NAME})(?:\s+at\s+{_TIME})?|\s*$)"  # the date dropped
    r"|\d{1,3}\s*(?:-|\s)?min(?:ute)?s?\s+read(?:ing)?(?:\s+time)?|reading time:?\s*\d{1,3}\s*min(?:ute)?s?"
    rf"|{_COUNTER}",
    re.IGNORECASE,
)
META_WEAK = re.compile(rf"(?:(?i:(?:posted|written)\s+)?(?i:by)\s+{_NAME}|{_NAME}|(?i:at)\s+{_TIME})")
META_SEP = re.compile(r"\s*[|•·–—/]\s*|\s+-\s+|,?\s+|\s*$")
# A date line in the other languages the project reads: "segunda-feira, 22 de janeiro de 2018 às
# 0:13", "lunes, 3 de marzo de 2024", "3 mars 2024 à 10h15", "Montag, 3. März 2024, 10:15 Uhr".
DATELINE_OTHER = re.compile(
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
DATELINE_MAX = 80  # counted as "posted": a date line, not a sentence that opens with a date
META_MAX = 160  # "blog-meta": a longer line is prose
# Taxonomy lists: "Tags: IAEA, NPT", "Filed under: Nuclear", "Labels: Iran". Without a colon only
# the theme phrases, and only with capitalised terms ("Filed under Nuclear, Iran"): "Filed under
# seal, the indictment ..." is prose.
_TERM = r"[#\w][\w'’&.+-]*(?:\s+[\w'’&.+-]+){0,3}"
TAXONOMY = re.compile(
    rf"^(?:tags?|tagged(?:\s+(?:with|as))?|labels?|categor(?:y|ies)|topics?|filed under|posted in|keywords?)"
    rf"\s*:\s*{_TERM}(?:\s*[,;|•·/]\s*{_TERM})*\s*\.?$",
    re.IGNORECASE,
)
_CAP_TERM = r"[#A-Z0-9][\w'’&.+-]*(?:\s+[A-Z0-9][\w'’&.+-]*){0,3}"
TAXONOMY_NO_COLON = re.compile(
    rf"^(?:[Ff]iled under|[Pp]osted in|[Tt]agged(?:\s+(?:with|as))?)\s+{_CAP_TERM}(?:\s*[,;|•·/]\s*{_CAP_TERM})*$"
)
# Share widgets printed as text: "Share 34 Tweet 12", "Email This BlogThis! Share to Twitter".
_SHARE_WORD = (
    r"(?:email this|blogthis!?|share (?:to|on) (?:twitter|facebook|pinterest|x|linkedin|whatsapp|reddit|email)"
    r"|share|tweet|pin(?: it)?|print|email|listen|follow|save|whatsapp|telegram|reddit|linkedin|facebook|twitter)"
)
SHARE_BAR = re.compile(rf"^(?:{_SHARE_WORD}(?:\s*{_COUNT})?[\s|•·]*){{2,}}$", re.IGNORECASE)
COUNTERS = re.compile(rf"^(?:{_COUNTER}[\s|•·]*)+$", re.IGNORECASE)

# "paywall": a subscription prompt; a text that had one is a teaser of the story.
PAYWALL = re.compile(
    starting_with(
        "bclmrsty",
        r"(?:subscribe|sign in|log in) (?:now |today )?to (?:continue|keep|read|unlock|access)"
        r"|(?:to )?continue reading,? (?:please )?(?:subscribe|sign in|log in|register)"
        r"|this (?:article|story|content|post) is (?:only )?"
        r"(?:for|available (?:to|for)|reserved for|exclusive to) (?:paying |our )?(?:subscribers|members|premium)"
        r"|(?:subscribers?|members?)[- ]only (?:content|article|story)"
        r"|you(?:'ve| have) (?:reached|used up) (?:your|all your|the) (?:limit|free|monthly)"
        r"|(?:become|register as) a (?:subscriber|member) to (?:read|continue|access)",
    ),
    re.IGNORECASE,
)
PAYWALL_MAX_LINE = 240  # a longer line mentioning subscriptions is prose about them, not a prompt

# "byline": a byline printed as the first lines of the text: "By Ines Marchetti", "BY JO SMITH and
# AL WU, Reuters".
# Each name is taken whole (possessive `*+`): with a plain `*` a long capitalised run could be cut
# into up to four "names" in every possible way, and a 200-character first line took seconds.
BYLINE = re.compile(r"^(?:by|By|BY)\s++(?:[A-Z][\w'’.-]*+\s*+){1,4}(?:(?:,|and|&)\s*[^.!?]{0,60})?$")
BYLINE_WITHIN = 3  # lines from the top

# "link-list": headings that open a list of links to other stories. Several languages: the project
# reads them.
LIST_HEADING = re.compile(
    r"^(?:read (?:on|more|also|next)|also read|related(?: articles| stories| posts| news| coverage| content"
    r"| links| reading| topics)?|see also|more (?:on|from|about) [^.!?]{1,40}|more (?:stories|news)"
    r"|you (?:may|might) (?:also )?(?:like|be interested in)|recommended(?: for you| reading| stories)?"
    r"|further reading|most (?:read|popular)|trending(?: now)?|popular (?:posts|stories)"
    r"|leggi anche|(?:à )?lire aussi|lesen sie auch|mehr zum thema|ver también|lea también"
    r"|leia também|veja também|читайте также|см\. также)\s*[:：.…»›>\-–]*$",
    re.IGNORECASE,
)
# "promo": the same heading and one headline on one line ("Read more: Senate passes ..."), anywhere.
INLINE_PROMO = re.compile(
    r"^(?:read (?:more|also|next)|also read|related|see also|also on [\w-]+(?:\.[\w-]+)+)"
    r"\s*[:：|»›>\-–]?\s+(?P<rest>\S.*)$",
    re.IGNORECASE,
)
LIST_ITEM_MAX = 160  # a headline, not a paragraph
LIST_MAX_ITEMS = 15  # at most this many headlines or links at the end: a longer list is the story's own
PROMO_MAX = 200  # a longer line opening with "Read more" is a paragraph

# "repeated": a line printed again right after itself.
REPEAT_MIN_WORDS = 4  # shorter lines ("Yes.", "Q:") may repeat in real text
REPEAT_MIN_CHARS = 20  # for scripts without spaces between words
# Only the line just before counts: a caption printed twice stands next to itself, while tables,
# product lists, meal plans and embedded posts repeat rows further apart on purpose (a window over
# the whole article cost recall on the extraction evaluation).

# A list bullet, left out when lines are compared with each other and with the page's link texts.
BULLETS = "-*•·–"
BULLET = re.compile(rf"^[{re.escape(BULLETS)}]\s+")
