"""Synthetic but realistic news pages and feeds for the sample site's generated routes.

The word lists and story templates are data, in ``words.yaml`` beside this file.

Everything here is deterministic in the article number ``n``: the same ``n`` always yields the same
story, on every machine and Python run, so benchmarks and tests can rely on it. Roughly one story in
six is about arms control (see :func:`generated_topic`); the rest are everyday news, with a few
harmless look-alike phrases (a "nuclear family", "open arms") that a keyword tagger must not take
for arms control.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import yaml

ARMS_CONTROL = "arms_control"
WORDS_FILE = Path(__file__).with_name("words.yaml")


def _load_words(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return data


_WORDS = _load_words(WORDS_FILE)
_LISTS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _WORDS["lists"].items()}
FIRST_NAMES, LAST_NAMES, CITIES = _LISTS["first_names"], _LISTS["last_names"], _LISTS["cities"]
OUTLETS, COMPANIES, BANKS = _LISTS["outlets"], _LISTS["companies"], _LISTS["banks"]
THINK_TANKS, STATES, TEAM_SUFFIXES = _LISTS["think_tanks"], _LISTS["states"], _LISTS["team_suffixes"]
GROUNDS, WARDS, AGENCIES = _LISTS["grounds"], _LISTS["wards"], _LISTS["agencies"]
WEEKDAYS, MONTHS, ORDINALS = _LISTS["weekdays"], _LISTS["months"], _LISTS["ordinals"]
SMALL_WORDS, NAV, SPEAKERS = _LISTS["small_words"], _LISTS["nav"], _LISTS["speakers"]
PHRASES, PREDICATES, VERBS = _LISTS["phrases"], _LISTS["predicates"], _LISTS["verbs"]
VERB_TAILS, TAILS, GENERIC = _LISTS["verb_tails"], _LISTS["tails"], _LISTS["generic"]


@dataclass(frozen=True)
class Topic:
    """Templates for one kind of story.

    Templates have ``{slot}`` fields (story-wide values from ``_frame``, per-sentence ones from
    ``_fresh``) and ``[a|b|c]`` alternatives, one picked at each use. ``subjects`` are dicts of
    slot values (``subject``, ``short``, ``label``, ``body``, ``thing``) shared by the templates.
    """

    name: str
    section: str
    weight: int
    subjects: tuple[dict[str, str], ...]
    roles: tuple[str, ...]
    critic_roles: tuple[str, ...]
    headlines: tuple[str, ...]
    deks: tuple[str, ...]
    leads: tuple[str, ...]
    details: tuple[str, ...]
    quotes: tuple[str, ...]
    closers: tuple[str, ...]
    captions: tuple[str, ...]
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)  # subject label -> extra details
    generic: tuple[str, ...] = ()  # filled with GENERIC below unless the topic brings its own
    speakers: tuple[str, ...] = SPEAKERS
    phrases: tuple[str, ...] = PHRASES
    predicates: tuple[str, ...] = PREDICATES


def _topic_of(raw: dict[str, Any]) -> Topic:
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "subjects":
            values[key] = tuple(dict(s) for s in value)
        elif key == "extras":
            values[key] = {label: tuple(lines) for label, lines in value.items()}
        elif isinstance(value, list):
            values[key] = tuple(value)
        else:
            values[key] = value
    return Topic(**values)


TOPICS = tuple(_topic_of(raw) for raw in _WORDS["topics"])
_TOPIC_WEIGHTS = tuple(t.weight for t in TOPICS)


# --------------------------------------------------------------------------------------------------
# Story generation
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Story:
    """One generated article, before rendering to HTML."""

    n: int
    topic: str
    section: str
    outlet: str
    title: str
    dek: str
    author: str
    published: datetime
    caption: str | None
    paragraphs: tuple[str, ...]

    @property
    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def _rng(n: int, purpose: str) -> random.Random:
    # String seeds are hashed with SHA-512, so the sequence is stable across runs and PYTHONHASHSEED.
    return random.Random(f"newsmon-devsite:{n}:{purpose}")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _last(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


_ALTERNATION = re.compile(r"\[([^\[\]]*)\]")
_CONTRACTIONS = {
    "it is": "it's",
    "is not": "isn't",
    "do not": "don't",
    "did not": "didn't",
    "have not": "haven't",
    "we are": "we're",
    "we have": "we've",
    "i have": "I've",
    "cannot": "can't",
    "will not": "won't",
    "there is": "there's",
    "that is": "that's",
    "i would": "I'd",
    "would not": "wouldn't",
}
_CONTRACTION_RE = re.compile(r"\b(" + "|".join(_CONTRACTIONS) + r")\b", re.IGNORECASE)
# Per-outlet house style, so the same template reads differently on different sites.
_PERCENT_STYLE = {"Eastbrook Herald": " percent", "Coastline Courier": " per cent", "Northgate Post": "%"}


def _resolve(template: str, rng: random.Random) -> str:
    """Pick one option of every ``[a|b|c]`` group: shared templates then rarely share 5-grams."""
    return _ALTERNATION.sub(lambda m: rng.choice(m[1].split("|")), template)


def _speak(text: str, rng: random.Random) -> str:
    """Contract some phrases in a quote, as people talk."""

    def swap(m: re.Match[str]) -> str:
        if rng.random() < 0.5:
            return m[0]
        short = _CONTRACTIONS[m[0].lower()]
        return short[:1].upper() + short[1:] if m[0][:1].isupper() else short

    return _CONTRACTION_RE.sub(swap, text)


def generated_topic(n: int) -> str:
    """Ground-truth topic of generated article ``n`` (``"arms_control"`` or an everyday topic)."""
    return _topic(n).name


def _topic(n: int) -> Topic:
    return _rng(n, "topic").choices(TOPICS, weights=_TOPIC_WEIGHTS)[0]


def _frame(n: int) -> tuple[Topic, dict[str, str]]:
    """Topic and the slot values that stay fixed across one story (people, places, subject)."""
    topic = _topic(n)
    rng = _rng(n, "frame")
    city, city2, city3 = rng.sample(CITIES, 3)
    state1, state2 = rng.sample(STATES, 2)
    company, company2 = rng.sample(COMPANIES, 2)
    suffixes = rng.sample(TEAM_SUFFIXES, 3)
    # Distinct surnames: the story refers to people by surname after the first mention.
    who, critic, scorer, keeper = (f"{rng.choice(FIRST_NAMES)} {last}" for last in rng.sample(LAST_NAMES, 4))
    goals = rng.randint(1, 4)
    slots = dict(
        city=city,
        city2=city2,
        state1=state1,
        state2=state2,
        company=company,
        company2=company2,
        bank=rng.choice(BANKS),
        thinktank=rng.choice(THINK_TANKS),
        ward=rng.choice(WARDS),
        team=f"{city} {suffixes[0]}",
        rival=f"{city2} {suffixes[1]}",
        rival2=f"{city3} {suffixes[2]}",
        ground=rng.choice(GROUNDS),
        score=f"{goals}-{rng.randint(0, goals - 1)}",
        who=who,
        who_last=_last(who),
        critic=critic,
        critic_last=_last(critic),
        scorer=scorer,
        scorer_last=_last(scorer),
        keeper=keeper,
        day=rng.choice(WEEKDAYS),
        outlet=OUTLETS[n % len(OUTLETS)],
        venue=city,
        competition="the league",
    )
    slots["outlet_the"] = "the " + slots["outlet"]
    subject = rng.choice(topic.subjects)
    slots.update({k: v.format(**slots) for k, v in subject.items()})
    slots["role"] = rng.choice(topic.roles).format(**slots)
    slots["critic_role"] = rng.choice(topic.critic_roles).format(**slots)
    slots["title"] = _cap(rng.choice(topic.headlines).format(**slots, **_fresh(rng, slots)))
    return topic, slots


def _fresh(rng: random.Random, slots: dict[str, str]) -> dict[str, str]:
    """Slot values drawn anew for every sentence, so repeated templates rarely repeat verbatim."""
    num = rng.randint(12, 95)
    minute = rng.randint(3, 89)
    suffix = "th" if 10 <= minute % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(minute % 10, "th")
    return dict(
        num=str(num),
        num2=str(max(5, num + rng.randint(-9, 9))),
        small=str(rng.randint(2, 9)),
        small_word=rng.choice(SMALL_WORDS),
        pct=f"{rng.uniform(1.2, 29.0):.1f}",
        rate=f"{rng.uniform(0.4, 6.0):.2f}",
        rate2=f"{rng.uniform(0.4, 6.0):.2f}",
        year=str(rng.randint(2008, 2020)),
        year2=str(rng.randint(2023, 2027)),
        month=rng.choice(MONTHS),
        day2=rng.choice([d for d in WEEKDAYS if d != slots["day"]]),
        money=f"${rng.uniform(1.1, 95.0):.1f} million",
        money2=f"${rng.randint(4, 60) * 5}",
        big=f"{rng.randint(12, 480) * 100:,}",
        hundreds=str(rng.randint(3, 95) * 10),
        minute=f"{minute}{suffix}",
        ordinal=rng.choice(ORDINALS),
        person=_name(rng),
        vote=f"{rng.randint(7, 11)}-{rng.randint(2, 6)}",
        agency=rng.choice(AGENCIES),
    )


def headline(n: int) -> str:
    """Headline of generated article ``n`` (cheap: no body is generated)."""
    return _frame(n)[1]["title"]


def generate_story(n: int) -> Story:
    """The full generated article ``n``: ~600-1200 words in 12-30 paragraphs."""
    topic, slots = _frame(n)
    rng = _rng(n, "body")
    introduced: set[str] = set()
    percent = _PERCENT_STYLE[slots["outlet"]]

    def fmt(template: str) -> str:
        template = _resolve(template, rng)
        # Readers meet each speaker once by full name and role, then by surname, as in real copy.
        local = dict(slots)
        for key, role in (("who", "role"), ("critic", "critic_role")):
            full = f"{{{key}}}, {{{role}}},"
            if key in introduced:
                template = template.replace(full, f"{{{key}_last}}")
            elif full in template or f"{{{key}}}" in template:
                introduced.add(key)
            elif f"{{{key}_last}}" in template:
                local[f"{key}_last"] = f"{slots[key]}, {slots[role]},"
                introduced.add(key)
        text = template.format(**local, **_fresh(rng, slots))
        text = text.replace(",,", ",").replace(",.", ".").replace(" percent", percent)
        return _cap(text)

    def quote(text: str) -> str:
        key = rng.choice(("who", "critic"))
        if key not in introduced:
            introduced.add(key)
            return f"“{text},” said {slots[key]}, {slots['role' if key == 'who' else 'critic_role']}."
        last, outlet = slots[f"{key}_last"], slots["outlet_the"]
        return rng.choice(
            (
                f"“{text},” {last} said.",
                f"{last} said: “{text}.”",
                f"“{text},” {last} added.",
                f"“{text},” {last} told {outlet}.",
            )
        )

    def reported() -> str:
        speakers = topic.speakers + tuple(f"{{{key}_last}}" for key in sorted(introduced))
        return fmt(
            f"{rng.choice(speakers)} {rng.choice(VERBS)}{rng.choice(VERB_TAILS)} "
            f"{rng.choice(('that ', ''))}{rng.choice(topic.phrases)} "
            f"{rng.choice(topic.predicates)}{rng.choice(TAILS)}."
        )

    # Each story uses only about half of its topic's templates, and mixes in reported speech.
    generic = topic.generic or GENERIC
    templates = list(topic.details) + list(topic.extras.get(slots["label"], ())) + list(generic)
    rng.shuffle(templates)
    del templates[int(len(templates) * rng.uniform(0.55, 0.7)) :]
    quotes = list(topic.quotes)
    rng.shuffle(quotes)
    target = rng.randint(600, 1150)
    paragraphs = [fmt(rng.choice(topic.leads))]
    closer_template = rng.choice(topic.closers)
    words = len(paragraphs[0].split()) + len(closer_template.split())
    while words < target and (templates or quotes or words < 600):
        if quotes and len(paragraphs) % 3 == 0:
            said = _speak(quotes.pop().format(**slots, **_fresh(rng, slots)), rng)
            paragraph = quote(_cap(said.replace(" percent", percent)))
        else:
            parts = []
            for _ in range(rng.choice((1, 2, 2, 3))):
                parts.append(fmt(templates.pop()) if templates and rng.random() < 0.7 else reported())
            paragraph = " ".join(parts)
        paragraphs.append(paragraph)
        words += len(paragraph.split())
    paragraphs.append(fmt(closer_template))
    # ~15 stories a day from September 2021; the modulo keeps huge n inside datetime's range.
    published = datetime(2021, 9, 1, 6, tzinfo=UTC) + timedelta(
        minutes=97 * (n % 100_000) + rng.randint(0, 90)
    )
    caption = fmt(rng.choice(topic.captions)) if rng.random() < 0.7 else None
    return Story(
        n=n,
        topic=topic.name,
        section=topic.section,
        outlet=slots["outlet"],
        title=slots["title"],
        dek=fmt(rng.choice(topic.deks)),
        author=_name(rng),
        published=published,
        caption=caption,
        paragraphs=tuple(paragraphs),
    )


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------
def _e(text: str) -> str:
    return html.escape(text, quote=True)


def render_article(n: int, base_url: str) -> str:
    """Generated article ``n`` as a complete news page with the usual site boilerplate."""
    s = generate_story(n)
    url = f"{base_url}/generated/article/{n}.html"
    iso = s.published.isoformat().replace("+00:00", "Z")
    nav = "".join(f'<li><a href="{base_url}/generated/section/{x.lower()}/">{x}</a></li>' for x in NAV)
    related = "".join(
        f'<li><a href="{base_url}/generated/article/{m}.html">{_e(headline(m))}</a></li>'
        for m in (n + 1, n + 2, n + 5, n + 11, n + 23)
    )
    body = [f"<p>{_e(p)}</p>" for p in s.paragraphs]
    # An inline "read more" box and an ad slot inside the article, as real news sites have.
    body.insert(
        min(3, len(body)),
        (
            f'<aside class="inline-related"><strong>Read more:</strong> '
            f'<a href="{base_url}/generated/article/{n + 3}.html">{_e(headline(n + 3))}</a></aside>'
        ),
    )
    body.insert(min(7, len(body)), '<div class="ad-slot" aria-hidden="true">Advertisement</div>')
    figure = ""
    if s.caption:
        figure = (
            f'<figure class="lead-image"><img src="{base_url}/generated/img/story-{n}.svg" '
            f'alt="" width="800" height="450"><figcaption>{_e(s.caption)}</figcaption></figure>'
        )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(s.title)} | {_e(s.outlet)}</title>
<meta name="description" content="{_e(s.dek)}">
<meta name="author" content="{_e(s.author)}">
<link rel="canonical" href="{url}">
<meta property="og:type" content="article">
<meta property="og:title" content="{_e(s.title)}">
<meta property="og:url" content="{url}">
<meta property="og:site_name" content="{_e(s.outlet)}">
<meta property="article:published_time" content="{iso}">
<meta property="article:section" content="{s.section}">
</head>
<body>
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept all</button>
<button>Manage settings</button></div>
<header class="site-header">
<a class="logo" href="{base_url}/generated/">{_e(s.outlet)}</a>
<nav class="main-nav"><ul>{nav}</ul></nav>
<form class="search" action="{base_url}/generated/search"><input name="q" placeholder="Search"></form>
</header>
<main>
<nav class="breadcrumbs"><a href="{base_url}/generated/">Home</a> &rsaquo;
<a href="{base_url}/generated/section/{s.section.lower()}/">{s.section}</a></nav>
<article class="story">
<h1 class="headline">{_e(s.title)}</h1>
<p class="standfirst">{_e(s.dek)}</p>
<div class="byline">By <a rel="author" href="{base_url}/generated/authors/{n}">{_e(s.author)}</a>
&middot; <time datetime="{iso}">{s.published:%B} {s.published.day}, {s.published:%Y %H:%M} UTC</time></div>
<ul class="share"><li><a href="#">Share on Facebook</a></li><li><a href="#">Share on X</a></li>
<li><a href="#">Email</a></li></ul>
{figure}
<div class="story-body">
{chr(10).join(body)}
</div>
<footer class="story-tags">Topics: <a href="#">{s.section}</a> <a href="#">{_e(s.outlet)}</a></footer>
</article>
<aside class="most-read"><h2>Most read</h2><ol>{related}</ol></aside>
<section class="newsletter"><h2>Get the morning briefing</h2>
<p>The day's top stories in your inbox before 7am. Free, and you can unsubscribe at any time.</p>
<form><input type="email" placeholder="Your email address"><button>Sign up</button></form></section>
</main>
<footer class="site-footer">
<ul><li><a href="#">About us</a></li><li><a href="#">Contact</a></li><li><a href="#">Advertise</a></li>
<li><a href="#">Privacy policy</a></li><li><a href="#">Terms of use</a></li><li><a href="#">Cookie
settings</a></li></ul>
<p>&copy; 2021 {_e(s.outlet)}. All rights reserved. Synthetic benchmark page {n}.</p>
</footer>
</body>
</html>
"""


def render_feed(base_url: str, start: int, count: int) -> str:
    """RSS 2.0 feed listing generated articles ``start`` .. ``start + count - 1``, newest first."""
    items = []
    for n in reversed(range(start, start + count)):
        s = generate_story(n)
        link = f"{base_url}/generated/article/{n}.html"
        items.append(
            f"<item><title>{_e(s.title)}</title><link>{link}</link>"
            f'<guid isPermaLink="true">{link}</guid><pubDate>{format_datetime(s.published)}</pubDate>'
            f"<category>{s.section}</category><description>{_e(s.dek)}</description></item>"
        )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
<title>Generated benchmark feed ({start}-{start + count - 1})</title>
<link>{base_url}/generated/</link>
<description>Synthetic news stories served by newsmon's DevSite.</description>
<language>en</language>
{chr(10).join(items)}
</channel>
</rss>
"""


def status_page(code: int, phrase: str) -> str:
    """Tiny HTML body for error and ``/status/<code>`` responses."""
    return (
        f"<!DOCTYPE html>\n<html><head><title>{code} {_e(phrase)}</title></head>"
        f"<body><h1>{code} {_e(phrase)}</h1></body></html>\n"
    )


PLACEHOLDER_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="450" viewBox="0 0 800 450">'
    '<rect width="800" height="450" fill="#c9ced6"/><text x="400" y="232" font-family="sans-serif" '
    'font-size="28" text-anchor="middle" fill="#5b6270">photo</text></svg>\n'
)

_BIG_HEAD = (
    b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Oversized page</title>'
    b"</head><body><article><h1>Oversized page</h1>\n"
)
_BIG_TAIL = b"</article></body></html>\n"
_BIG_LINE = "<p>Filler paragraph {:09d}: this page exists to test the fetcher's size cap.</p>\n"


def big_page(size: int) -> tuple[int, Iterator[bytes]]:
    """A valid HTML page of exactly ``size`` bytes (or its minimal skeleton), as (length, chunks)."""
    fill = max(0, size - len(_BIG_HEAD) - len(_BIG_TAIL))
    line_len = len(_BIG_LINE.format(0))
    lines, spare = divmod(fill, line_len)

    def chunks() -> Iterator[bytes]:
        yield _BIG_HEAD
        per_chunk = 1000  # ~90 KB per write keeps memory flat for any size
        for first in range(0, lines, per_chunk):
            last = min(lines, first + per_chunk)
            yield "".join(_BIG_LINE.format(i) for i in range(first, last)).encode()
        yield b" " * spare  # whitespace between elements keeps the page valid at an exact length
        yield _BIG_TAIL

    return len(_BIG_HEAD) + fill + len(_BIG_TAIL), chunks()
