"""Alert messages: one story (instant) or a rule's new stories grouped by topic and story (digest).

One content, three renderings. Highlights arrive with matched terms wrapped in ``**double
asterisks**``: the plain text keeps that marker (it reads well in a log and in a text mail), HTML
turns it into ``<mark>``, Slack mrkdwn into ``*bold*``. Titles, snippets and URLs come from the
web, so every rendering escapes them for its own syntax.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

SUBJECT_PREFIX = "[newsmon]"
ROOT_TOPIC = "arms_control"
OTHER_TOPIC = "other"

_MARK = re.compile(r"\*\*(.+?)\*\*")
_SPACE = re.compile(r"\s+")
MAX_HIGHLIGHTS = 3  # per story: enough to show why it matched without pasting the article
MAX_OUTLETS_NAMED = 5
MAX_SUBJECT = 200
# Slack refuses a message with more than 50 blocks or a section over 3000 characters.
SLACK_MAX_BLOCKS = 50
SLACK_MAX_SECTION = 3000


@dataclass(frozen=True)
class Message:
    subject: str  # one line
    text: str  # plain text body (log channel, email text part)
    html: str  # email HTML part, everything from the web escaped
    payload: dict[str, Any]  # JSON body for the generic webhook


@dataclass
class _Story:
    """The events of one article, merged: a digest lists a story once however many events it has."""

    article_id: str
    title: str
    url: str
    source: str
    published_at: str | None
    topic: str
    topics: list[str]
    highlights: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    cluster_size: int = 1
    outlets: list[str] = field(default_factory=list)


def group_topic(topics: Iterable[str]) -> str:
    """The digest heading of a story: its first arms-control subtopic, else the root, else 'other'."""
    topics = list(topics or ())
    for topic in topics:
        if topic.startswith(ROOT_TOPIC + "."):
            return topic
    return ROOT_TOPIC if ROOT_TOPIC in topics else OTHER_TOPIC


def _one_line(value: object) -> str:
    return _SPACE.sub(" ", str(value or "")).strip()


def _add_unique(target: list[str], values: Iterable[str], *, fold: bool = False) -> None:
    seen = {v.casefold() if fold else v for v in target}
    for value in values:
        value = _one_line(value)
        key = value.casefold() if fold else value
        if value and key not in seen:
            seen.add(key)
            target.append(value)


def _stories(events: list[dict[str, Any]]) -> list[_Story]:
    """Collapse events by article id, keeping the order in which stories first appear."""
    stories: dict[str, _Story] = {}
    for event in events:
        key = str(event.get("article_id") or event.get("url") or event.get("id"))
        story = stories.get(key)
        if story is None:
            topics = [str(t) for t in event.get("topics") or []]
            story = stories[key] = _Story(
                article_id=key,
                title=_one_line(event.get("title")) or "(untitled)",
                url=_one_line(event.get("url")),
                source=_one_line(event.get("source_domain") or event.get("source")) or "unknown source",
                published_at=event.get("published_at"),
                topic=group_topic(topics),
                topics=topics,
            )
        _add_unique(story.highlights, event.get("highlights") or [])
        terms = list(event.get("matched_terms") or [])
        # Without explicit terms, the marked fragments still say what matched.
        terms += [m for h in event.get("highlights") or [] for m in _MARK.findall(h)]
        _add_unique(story.terms, terms, fold=True)
        story.cluster_size = max(story.cluster_size, int(event.get("cluster_size") or 1))
        _add_unique(story.outlets, event.get("outlets") or [])
    return list(stories.values())


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed


def _when(value: str | None) -> str:
    parsed = _parse_time(value)
    if parsed is None:
        return str(value) if value else "unknown"
    return parsed.strftime("%Y-%m-%d %H:%M") + (" UTC" if parsed.tzinfo else "")


def _newest_first(stories: list[_Story]) -> list[_Story]:
    def key(story: _Story) -> float:
        parsed = _parse_time(story.published_at)
        if parsed is None:
            return float("inf")  # unknown times last
        return -(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()

    return sorted(stories, key=key)  # stable: ties keep the order of the events


def _grouped(stories: list[_Story]) -> list[tuple[str, list[_Story]]]:
    groups: dict[str, list[_Story]] = {}
    for story in stories:
        groups.setdefault(story.topic, []).append(story)

    def order(topic: str) -> tuple[int, str]:
        return (2 if topic == OTHER_TOPIC else 1 if topic == ROOT_TOPIC else 0, topic)

    return [(topic, _newest_first(groups[topic])) for topic in sorted(groups, key=order)]


def also_carried(story: _Story) -> str:
    """'Also carried by N other outlets (a, b)' for a story in a cluster, else ''."""
    others = story.cluster_size - 1
    if others < 1:
        return ""
    text = f"Also carried by {others} other outlet{'s' if others != 1 else ''}"
    named = [o for o in story.outlets if o != story.source]
    if named:
        shown = ", ".join(named[:MAX_OUTLETS_NAMED])
        more = len(named) - MAX_OUTLETS_NAMED
        text += f" ({shown}{f', +{more} more' if more > 0 else ''})"
    return text


def _plural(n: int) -> str:
    return f"{n} new {'story' if n == 1 else 'stories'}"


def _subject(text: str) -> str:
    text = _one_line(f"{SUBJECT_PREFIX} {text}")  # a newline in a header would be header injection
    return text if len(text) <= MAX_SUBJECT else text[: MAX_SUBJECT - 1] + "…"


# -- plain text --------------------------------------------------------------------------------


def _story_text(story: _Story) -> list[str]:
    lines = [
        story.title,
        story.url or "(no link)",
        f"Source: {story.source} · Published: {_when(story.published_at)}",
        f"Topics: {', '.join(story.topics) or 'none'}",
        f"Matched: {', '.join(f'**{t}**' for t in story.terms) or 'see rule query'}",
    ]
    if also := also_carried(story):
        lines.append(also)
    lines += [f"  {_one_line(h)}" for h in story.highlights[:MAX_HIGHLIGHTS]]
    return lines


# -- HTML ----------------------------------------------------------------------------------------


def _esc(value: str) -> str:
    return html.escape(value, quote=True)


def _marked_html(value: str) -> str:
    # Escape first, then mark: the markers are asterisks, which escaping leaves alone.
    return _MARK.sub(r"<mark>\1</mark>", _esc(_one_line(value)))


def _safe_link(url: str) -> bool:
    # Only web links become clickable; a javascript: or data: URL from a feed stays inert text.
    return urlsplit(url).scheme.lower() in ("http", "https")


def _story_html(story: _Story) -> str:
    title = _esc(story.title)
    if story.url and _safe_link(story.url):
        title = f'<a href="{_esc(story.url)}">{title}</a>'
    parts = [
        '<div style="margin:0 0 18px">',
        f'<div style="font-size:16px;font-weight:bold">{title}</div>',
        f'<div style="color:#555">{_esc(story.source)} · {_esc(_when(story.published_at))}</div>',
        f"<div>Topics: {_esc(', '.join(story.topics) or 'none')}</div>",
        "<div>Matched: "
        + (", ".join(f"<mark>{_esc(t)}</mark>" for t in story.terms) or "see rule query")
        + "</div>",
    ]
    if also := also_carried(story):
        parts.append(f'<div style="color:#555">{_esc(also)}</div>')
    for fragment in story.highlights[:MAX_HIGHLIGHTS]:
        parts.append(
            '<blockquote style="margin:4px 0 0 8px;padding-left:8px;border-left:3px solid #ccc">'
            f"{_marked_html(fragment)}</blockquote>"
        )
    if story.url and not _safe_link(story.url):
        parts.append(f"<div>Link: {_esc(story.url)}</div>")
    parts.append("</div>")
    return "\n".join(parts)


def _html_page(heading: str, body: list[str], footer: str) -> str:
    return "\n".join(
        [
            '<!DOCTYPE html><html><head><meta charset="utf-8"></head>',
            '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px">',
            f'<p style="font-size:17px">{_esc(heading)}</p>',
            *body,
            f'<p style="color:#888;font-size:12px">{_esc(footer)}</p>',
            "</body></html>",
        ]
    )


# -- messages ------------------------------------------------------------------------------------


def instant_message(event: dict[str, Any]) -> Message:
    """The message for one alert event, sent as soon as the story matched."""
    story = _stories([event])[0]
    rule_name = _one_line(event.get("rule_name") or event.get("rule_id"))
    heading = f"{rule_name}: new story"
    footer = f"newsmon alert for rule {event.get('rule_id')}"
    return Message(
        subject=_subject(f"{rule_name}: {story.title}"),
        text="\n".join([heading, "", *_story_text(story), "", f"-- {footer}"]),
        html=_html_page(heading, [_story_html(story)], footer),
        payload={
            "type": "newsmon.alert",
            "rule": {"id": event.get("rule_id"), "name": event.get("rule_name")},
            "events": [dict(event)],
        },
    )


def more_message(events: list[dict[str, Any]], sent_apart: int) -> Message:
    """One message for the stories of a rule past the cap of a run: "and 290 more", then the list."""
    lead = events[0]
    rule = {"id": lead.get("rule_id"), "name": lead.get("rule_name")}
    rule_name = _one_line(rule["name"] or rule["id"])
    listing = digest_message(rule, events)
    more = f"and {len(events)} more {'story' if len(events) == 1 else 'stories'}"
    note = f"{rule_name}: {more} (the first {sent_apart} of this run were sent one by one)"
    return replace(
        listing,
        subject=_subject(f"{rule_name}: {more}"),
        text=f"{note}\n\n{listing.text}",
        payload={**listing.payload, "type": "newsmon.alert.more", "more": len(events)},
    )


def digest_message(rule: dict[str, Any], events: list[dict[str, Any]]) -> Message:
    """One message with a rule's new stories, grouped by topic, one entry per story."""
    stories = _stories(events)
    groups = _grouped(stories)
    # A rule as loaded has `id`; as stored in the percolator index it has `rule_id`.
    rule_id = rule.get("id") or rule.get("rule_id")
    rule_name = _one_line(rule.get("name") or rule_id)
    heading = f"{rule_name}: {_plural(len(stories))}"
    query = f"Query: {_one_line(rule.get('query'))}"
    footer = f"newsmon digest for rule {rule_id}"

    text = [heading, query]
    body = [f"<p>{_esc(query)}</p>"]
    for topic, members in groups:
        text += ["", f"== {topic} ({len(members)}) =="]
        body.append(f'<h3 style="margin:18px 0 8px">{_esc(topic)} ({len(members)})</h3>')
        for number, story in enumerate(members, 1):
            first, *rest = _story_text(story)
            text += ["", f"{number}. {first}", *(f"   {line}" for line in rest)]
            body.append(_story_html(story))
    text += ["", f"-- {footer}"]
    return Message(
        subject=_subject(heading),
        text="\n".join(text),
        html=_html_page(heading, body, footer),
        payload={
            "type": "newsmon.digest",
            # Only the rule's identity: the webhook need not see channel settings.
            "rule": {"id": rule_id, **{k: rule.get(k) for k in ("name", "query", "schedule")}},
            "events": [dict(e) for e in events],
        },
    )


# -- Slack ---------------------------------------------------------------------------------------


def _slack_esc(value: str) -> str:
    # Slack mrkdwn reserves exactly these three characters.
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_url(url: str) -> str:
    # Inside <url|text> a '|' or '>' would end the URL early.
    return url.replace(" ", "%20").replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")


def _story_mrkdwn(story: _Story) -> str:
    title = _slack_esc(story.title)
    title = f"*<{_slack_url(story.url)}|{title}>*" if story.url and _safe_link(story.url) else f"*{title}*"
    lines = [
        title,
        f"{_slack_esc(story.source)} · {_slack_esc(_when(story.published_at))}",
        f"Topics: {_slack_esc(', '.join(story.topics) or 'none')}",
        f"Matched: {', '.join(f'*{_slack_esc(t)}*' for t in story.terms) or 'see rule query'}",
    ]
    if also := also_carried(story):
        lines.append(_slack_esc(also))
    for fragment in story.highlights[:MAX_HIGHLIGHTS]:
        lines.append("> " + _MARK.sub(r"*\1*", _slack_esc(_one_line(fragment))))
    text = "\n".join(lines)
    return text if len(text) <= SLACK_MAX_SECTION else text[: SLACK_MAX_SECTION - 1] + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def slack_payload(message: Message, events: list[dict[str, Any]]) -> dict[str, Any]:
    """A Slack-compatible incoming-webhook body: subject as fallback text, one section per story."""
    digest = message.payload.get("type") == "newsmon.digest"
    stories = _stories(events)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.subject[:150]}}
    ]
    # Room for the closing "and N more" note, so a huge digest still posts.
    budget = SLACK_MAX_BLOCKS - 1
    shown = 0
    sections = _grouped(stories) if digest else [("", stories)]
    for topic, members in sections:
        if digest:
            if len(blocks) + 2 > budget:
                break
            blocks += [{"type": "divider"}, _section(f"*{_slack_esc(topic)}* ({len(members)})")]
        for story in members:
            if len(blocks) + 1 > budget:
                break
            blocks.append(_section(_story_mrkdwn(story)))
            shown += 1
    if shown < len(stories):
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"…and {len(stories) - shown} more in this digest"}],
            }
        )
    return {"text": _slack_esc(message.subject), "blocks": blocks}
