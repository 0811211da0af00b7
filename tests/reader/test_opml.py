"""OPML import, export, round trip and merge into a feeds YAML file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from newsmon.config import FeedsConfig, load_feeds
from newsmon.errors import ConfigError
from newsmon.reader.opml import export_opml, import_opml, merge_into_yaml, parse_opml, slug

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Analyst feeds</title></head>
  <body>
    <outline text="Arms control" title="Arms control">
      <outline type="rss" text="Arms Control Wonk" title="Arms Control Wonk" xmlUrl="https://www.armscontrolwonk.com/feed/" htmlUrl="https://www.armscontrolwonk.com/"/>
      <outline text="Treaties">
        <outline type="rss" text="New START news" xmlUrl="https://treaties.example.org/rss.xml" language="en"/>
      </outline>
    </outline>
    <outline type="rss" text="Новости" xmlUrl="https://news.example.ru/rss"/>
    <outline type="rss" text="Arms Control Wonk" xmlUrl="https://mirror.example.com/acw.xml"/>
    <outline type="rss" text="Bad" xmlUrl="ftp://files.example.com/feed"/>
    <outline type="link" text="Just a link" url="https://example.com/"/>
  </body>
</opml>
"""


def test_import_nested_outlines(tmp_path: Path) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text(OPML, encoding="utf-8")
    feeds = import_opml(path)
    assert [f["id"] for f in feeds] == [
        "arms-control-wonk",
        "new-start-news",
        "news-example-ru",
        "arms-control-wonk-2",
    ]
    acw = feeds[0]
    assert acw == {
        "id": "arms-control-wonk",
        "url": "https://www.armscontrolwonk.com/feed/",
        "name": "Arms Control Wonk",
        "html_url": "https://www.armscontrolwonk.com/",
        "category": "Arms control",
    }
    assert feeds[1]["language"] == "en" and feeds[1]["category"] == "Arms control/Treaties"
    assert import_opml(path) == feeds  # stable


def test_skipped_outlines_are_reported() -> None:
    _, skipped = parse_opml(OPML)
    assert skipped == ["Bad: not an http(s) feed URL (ftp://files.example.com/feed)"]


def test_ids_avoid_taken_ones() -> None:
    feeds, _ = parse_opml(OPML, taken_ids={"arms-control-wonk"})
    assert feeds[0]["id"] == "arms-control-wonk-2" and feeds[3]["id"] == "arms-control-wonk-3"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Reuters — World News", "reuters-world-news"),
        ("Le Monde: Défense", "le-monde-defense"),
        ("!!!", ""),
        ("x" * 80, "x" * 64),
    ],
)
def test_slug(title: str, expected: str) -> None:
    assert slug(title) == expected


def test_ids_are_valid_feed_config_ids() -> None:
    feeds, _ = parse_opml(OPML)
    FeedsConfig.model_validate({"feeds": [{"id": f["id"], "url": f["url"]} for f in feeds]})


def test_round_trip() -> None:
    feeds, _ = parse_opml(OPML)
    exported = export_opml(feeds, title="newsmon")
    assert exported.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    again, skipped = parse_opml(exported)
    assert again == feeds and skipped == []


def test_export_feed_config_objects() -> None:
    config = FeedsConfig.model_validate(
        {"feeds": [{"id": "a", "url": "https://a.example/feed", "name": "A & B <news>", "language": "de"}]}
    )
    text = export_opml(config.feeds)
    assert 'xmlUrl="https://a.example/feed"' in text and "A &amp; B &lt;news&gt;" in text
    (feed,) = parse_opml(text)[0]
    assert (feed["name"], feed["language"]) == ("A & B <news>", "de")


def test_entity_expansion_refused_or_defused() -> None:
    levels = ['<!ENTITY l0 "lol">'] + [f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)]
    bomb = f'<?xml version="1.0"?><!DOCTYPE opml [{"".join(levels)}]><opml version="2.0"><body><outline text="&l9;" xmlUrl="https://x.example/f"/></body></opml>'
    start = time.perf_counter()
    feeds, _ = parse_opml(bomb)
    assert time.perf_counter() - start < 1
    assert "lol" not in feeds[0].get("name", "")


@pytest.mark.parametrize("text", ["<html><body/></html>", "not xml at all", ""])
def test_not_opml(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_opml(text)


def test_merge_skips_known_feeds_by_canonical_url(tmp_path: Path) -> None:
    target = tmp_path / "feeds.d" / "imported.yaml"
    feeds, _ = parse_opml(OPML)
    known = [{"id": "acw", "url": "https://WWW.armscontrolwonk.com/feed/?utm_source=x"}]
    report = merge_into_yaml(target, feeds, known=known)
    assert [f["id"] for f in report.added] == ["new-start-news", "news-example-ru", "arms-control-wonk-2"]
    assert [(f["id"], why) for f, why in report.skipped] == [
        ("arms-control-wonk", "already present as 'acw'")
    ]
    written = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert set(written["feeds"][0]) == {"id", "url", "name", "language"}  # only feeds.yaml keys
    load_feeds(target)  # valid configuration

    second = merge_into_yaml(target, feeds, known=known)
    assert second.added == [] and len(second.skipped) == 4


def test_merge_makes_ids_unique_against_the_file(tmp_path: Path) -> None:
    target = tmp_path / "feeds.yaml"
    target.write_text(
        "schedule: '*/15 * * * *'\nfeeds:\n  - id: new-start-news\n    url: https://other.example/feed\n",
        encoding="utf-8",
    )
    report = merge_into_yaml(
        target,
        [{"id": "new-start-news", "url": "https://treaties.example.org/rss.xml", "name": "New START news"}],
    )
    assert report.added[0]["id"] == "new-start-news-2"
    config = load_feeds(target)
    assert config.schedule == "*/15 * * * *" and [f.id for f in config.feeds] == [
        "new-start-news",
        "new-start-news-2",
    ]
