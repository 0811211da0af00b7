"""Aggregator redirect links unwrapped without any request (table-driven)."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from newsmon.reader.aggregators import MAX_DEPTH, is_aggregator_link, unwrap

TARGET = "https://publisher.example.com/2024/06/treaty?id=7&x=1"
Q = quote(TARGET, safe="")
BING_CK = base64.urlsafe_b64encode(TARGET.encode()).decode().rstrip("=")

UNWRAPPED = [
    ("google alerts", f"https://www.google.com/url?rct=j&sa=t&url={Q}&ct=ga&cd=CAIyGj&usg=AOvVaw1"),
    ("google search q=", f"https://www.google.com/url?q={Q}&sa=U&ved=2ahUKE&usg=AOvVaw2"),
    ("google country domain", f"https://www.google.co.uk/url?sa=t&url={Q}"),
    ("google without www", f"http://google.de/url?url={Q}"),
    ("google news redirect", f"https://news.google.com/news/url?sa=t&fd=R&ct2=us&usg=AFQjCN&url={Q}"),
    ("bing news", f"http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=9B&url={Q}&c=123&mkt=en-us"),
    ("bing news case", f"https://www.bing.com/news/ApiClick.aspx?url={Q}"),
    ("bing ck/a", f"https://www.bing.com/ck/a?!&&p=abc&ptn=3&u=a1{BING_CK}&ntb=1"),
    ("yahoo", f"https://r.search.yahoo.com/_ylt=AwrE;_ylu=Y29s/RV=2/RE=1717/RO=10/RU={Q}/RK=2/RS=abc-"),
    ("facebook", f"https://l.facebook.com/l.php?u={Q}&h=AT0"),
    ("facebook mobile", f"https://lm.facebook.com/l.php?u={Q}"),
    ("instagram", f"https://l.instagram.com/?u={Q}&e=AT1"),
    ("duckduckgo", f"https://duckduckgo.com/l/?uddg={Q}&rut=abc"),
    ("youtube", f"https://www.youtube.com/redirect?event=video_description&q={Q}"),
    ("vk", f"https://away.vk.com/away.php?to={Q}&cc_key="),
    ("tumblr", f"https://t.umblr.com/redirect?z={Q}&t=abc"),
    ("reddit", f"https://out.reddit.com/t3_abc?url={Q}&token=x"),
    ("slack", f"https://slack-redir.net/link?url={Q}"),
    ("linkedin", f"https://www.linkedin.com/redir/redirect?url={Q}&urlhash=x"),
    (
        "nested alert -> bing",
        "https://www.google.com/url?url="
        + quote(f"https://www.bing.com/news/apiclick.aspx?url={Q}", safe=""),
    ),
]

UNCHANGED = [
    ("publisher link", TARGET),
    ("feedburner", "http://feedproxy.google.com/~r/example/~3/abc/story.html"),
    ("feeds.feedburner", "https://feeds.feedburner.com/~r/example/~3/xyz/"),
    (
        "google news article token",
        "https://news.google.com/rss/articles/CBMiWmh0dHBzOi8vd3d3LmV4YW1wbGUuY29t0gEA?oc=5",
    ),
    ("google url without target", "https://www.google.com/url?sa=t&rct=j"),
    ("javascript target", "https://www.google.com/url?q=javascript:alert(1)"),
    ("relative target", "https://www.google.com/url?q=/search%3Fq%3Dx"),
    ("ftp target", f"https://l.facebook.com/l.php?u={quote('ftp://files.example.com/a', safe='')}"),
    ("lookalike host", f"https://www.google.com.evil.example/url?url={Q}"),
    ("google other path", f"https://www.google.com/search?q={Q}"),
    ("bing search", f"https://www.bing.com/search?q={Q}"),
    ("bing ck/a bad base64", "https://www.bing.com/ck/a?u=a1!!!notbase64"),
    ("not http", f"mailto:someone@example.com?url={Q}"),
    ("malformed", "http://[broken/url?url=x"),
    ("empty", ""),
]


@pytest.mark.parametrize(("case", "link"), UNWRAPPED, ids=[c for c, _ in UNWRAPPED])
def test_unwrapped_to_the_publisher(case: str, link: str) -> None:
    assert unwrap(link) == TARGET
    assert is_aggregator_link(link)


@pytest.mark.parametrize(("case", "link"), UNCHANGED, ids=[c for c, _ in UNCHANGED])
def test_left_unchanged(case: str, link: str) -> None:
    assert unwrap(link) == link
    assert not is_aggregator_link(link)


def test_nesting_is_bounded() -> None:
    link = TARGET
    for _ in range(MAX_DEPTH + 3):
        link = "https://www.google.com/url?url=" + quote(link, safe="")
    unwrapped = unwrap(link)
    assert unwrapped != TARGET and unwrapped.startswith("https://www.google.com/url?")


def test_self_reference_terminates() -> None:
    link = "https://www.google.com/url?url=https%3A%2F%2Fwww.google.com%2Furl"
    assert unwrap(link) == "https://www.google.com/url"
