"""Alert messages: what an analyst reads, in text, HTML and Slack mrkdwn."""

from __future__ import annotations

import json

from newsmon.alerts.messages import digest_message, group_topic, instant_message, slack_payload
from tests.helpers.records import RULE, digest_events, event


def test_instant_message_carries_everything_an_analyst_needs():
    msg = instant_message(event())
    assert msg.subject == "[newsmon] Riabkov watch: Moscow signals pause in strategic stability dialogue"
    for body in (msg.text, msg.html):
        assert "Moscow signals pause in strategic stability dialogue" in body
        assert "https://outlet.example/news/a1" in body
        assert "outlet.example" in body
        assert "2024-05-03 12:20 UTC" in body  # converted from +02:00
        assert "arms_control.strategic_stability" in body
        assert "Also carried by 2 other outlets (wire.example, daily.example)" in body
    assert "Sergei **Riabkov** noted that **strategic stability** talks" in msg.text
    assert "Sergei <mark>Riabkov</mark> noted that <mark>strategic stability</mark> talks" in msg.html
    assert '<a href="https://outlet.example/news/a1">' in msg.html
    assert "**" not in msg.html


def test_instant_payload_is_json_with_the_event():
    msg = instant_message(event())
    assert msg.payload["type"] == "newsmon.alert"
    assert msg.payload["rule"] == {"id": "riabkov", "name": "Riabkov watch"}
    assert msg.payload["events"] == [event()]
    json.dumps(msg.payload)


def test_outlet_wording():
    assert "Also carried" not in instant_message(event(cluster_size=1, outlets=["outlet.example"])).text
    assert "Also carried by 1 other outlet\n" in instant_message(event(cluster_size=2, outlets=[])).text
    many = [f"o{i}.example" for i in range(8)]
    text = instant_message(event(cluster_size=9, outlets=many)).text
    named = ", ".join(many[:5])
    assert f"Also carried by 8 other outlets ({named}, +3 more)" in text


def test_titles_and_snippets_are_escaped_in_html():
    msg = instant_message(
        event(
            title="<script>alert(1)</script> A & B",
            highlights=['<img src=x onerror="x"> **Riabkov** & co'],
            url="javascript:alert(1)",
        )
    )
    assert "<script>" not in msg.html and "<img" not in msg.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; A &amp; B" in msg.html
    assert "&lt;img src=x onerror=&quot;x&quot;&gt; <mark>Riabkov</mark> &amp; co" in msg.html
    assert 'href="javascript' not in msg.html  # a non-web link is shown, never clickable
    assert "<script>alert(1)</script> A & B" in msg.text  # plain text stays as written


def test_subject_is_one_line():
    msg = instant_message(event(title="Line one\r\nBcc: victim@example.org"))
    assert "\n" not in msg.subject and "\r" not in msg.subject


def test_unknown_time_and_missing_fields():
    msg = instant_message(event(published_at=None, highlights=[], matched_terms=[], topics=[]))
    assert "Published: unknown" in msg.text
    assert "Topics: none" in msg.text


def test_group_topic_prefers_the_subtopic():
    assert group_topic(["arms_control", "arms_control.nonproliferation", "arms_control.nuclear_testing"]) == (
        "arms_control.nonproliferation"
    )
    assert group_topic(["arms_control"]) == "arms_control"
    assert group_topic(["elections"]) == "other"
    assert group_topic([]) == "other"


def test_digest_groups_by_topic_and_story():
    msg = digest_message(RULE, digest_events())
    assert msg.subject == "[newsmon] Riabkov watch: 4 new stories"
    text = msg.text
    assert 'Query: Riabkov OR "strategic stability"' in text
    # subtopics first (alphabetical), then the root, then other
    headings = [line for line in text.splitlines() if line.startswith("== ")]
    assert headings == [
        "== arms_control.nonproliferation (1) ==",
        "== arms_control.strategic_stability (2) ==",
        "== other (1) ==",
    ]
    # one entry per story, newest first within a topic
    assert text.count("Moscow signals pause") == 1
    assert text.index("Riabkov comments on New START") < text.index("Moscow signals pause")
    assert "said **Riabkov** on Tuesday" in text and "Sergei **Riabkov**" in text
    assert msg.html.count("Moscow signals pause") == 1
    assert "<mark>Riabkov</mark>" in msg.html


def test_digest_payload_keeps_every_event():
    msg = digest_message(RULE, digest_events())
    assert msg.payload["type"] == "newsmon.digest"
    assert msg.payload["rule"] == RULE
    assert [e["id"] for e in msg.payload["events"]] == [e["id"] for e in digest_events()]


def test_digest_accepts_a_stored_rule_and_counts_one_story():
    stored = {"rule_id": "riabkov", "name": "Riabkov watch", "query": "Riabkov"}
    msg = digest_message(stored, [event("a1"), event("a1", id="dup")])
    assert msg.subject == "[newsmon] Riabkov watch: 1 new story"
    assert msg.payload["rule"]["id"] == "riabkov"


def test_slack_payload_uses_mrkdwn_bold_and_escapes():
    msg = instant_message(event(title="A <b> & C"))
    body = slack_payload(msg, [event(title="A <b> & C")])
    assert body["text"] == "[newsmon] Riabkov watch: A &lt;b&gt; &amp; C"
    header, section = body["blocks"]
    assert header["type"] == "header"
    assert section["text"]["type"] == "mrkdwn"
    mrkdwn = section["text"]["text"]
    assert mrkdwn.startswith("*<https://outlet.example/news/a1|A &lt;b&gt; &amp; C>*")
    assert "Sergei *Riabkov* noted that *strategic stability* talks" in mrkdwn
    assert "**" not in mrkdwn
    assert "Also carried by 2 other outlets" in mrkdwn


def test_slack_digest_has_topic_sections_and_stays_under_the_block_limit():
    events = digest_events()
    body = slack_payload(digest_message(RULE, events), events)
    texts = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    assert texts[0] == "*arms_control.nonproliferation* (1)"
    assert sum("Moscow signals pause" in t for t in texts) == 1

    many = [event(f"s{i}", mode="digest") for i in range(80)]
    big = slack_payload(digest_message(RULE, many), many)
    assert len(big["blocks"]) <= 50
    assert big["blocks"][-1]["type"] == "context"
    assert "more in this digest" in big["blocks"][-1]["elements"][0]["text"]
