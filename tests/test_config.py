from pathlib import Path

import pytest

from newsmon.config import load_feeds
from newsmon.errors import ConfigError
from newsmon.settings import load_settings
from newsmon.tagging import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_configs_load():
    assert load_feeds(ROOT / "config" / "feeds.yaml").feeds
    taxonomy = load_taxonomy(ROOT / "config" / "topics.yaml")
    ids = {t.id for t in taxonomy.topics}
    assert {"arms_control", "arms_control.strategic_stability", "arms_control.nonproliferation"} <= ids


def test_missing_url_names_file_and_key(tmp_path):
    path = write(tmp_path, "feeds:\n  - id: a\n    url: https://a.example/rss\n  - id: b\n")
    with pytest.raises(ConfigError) as err:
        load_feeds(path)
    assert str(path) in str(err.value)
    assert "feeds[1].url" in str(err.value)


def test_bad_id_and_duplicates(tmp_path):
    with pytest.raises(ConfigError, match=r"feeds\[0\]\.id"):
        load_feeds(write(tmp_path, "feeds:\n  - id: Bad Id\n    url: https://a.example/rss\n"))
    with pytest.raises(ConfigError, match="appears twice"):
        load_feeds(
            write(
                tmp_path,
                "feeds:\n  - {id: a, url: 'https://a.example/1'}\n  - {id: a, url: 'https://a.example/2'}\n",
            )
        )


def test_unknown_key_is_rejected(tmp_path):
    with pytest.raises(ConfigError, match=r"feeds\[0\]\.uri"):
        load_feeds(
            write(tmp_path, "feeds:\n  - {id: a, uri: 'https://a.example/1', url: 'https://a.example/1'}\n")
        )


def test_env_expansion(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSMON_FEED_SITE_BASE", "http://127.0.0.1:9")
    cfg = load_feeds(write(tmp_path, "feeds:\n  - {id: a, url: '${NEWSMON_FEED_SITE_BASE}/rss.xml'}\n"))
    assert cfg.feeds[0].url == "http://127.0.0.1:9/rss.xml"
    monkeypatch.delenv("NEWSMON_FEED_SITE_BASE")
    with pytest.raises(ConfigError, match="NEWSMON_FEED_SITE_BASE is not set"):
        load_feeds(write(tmp_path, "feeds:\n  - {id: a, url: '${NEWSMON_FEED_SITE_BASE}/rss.xml'}\n"))


def test_not_yaml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_feeds(write(tmp_path, "feeds: [\n"))
    with pytest.raises(ConfigError, match="file not found"):
        load_feeds(tmp_path / "nope.yaml")


def test_taxonomy_errors_name_topic_and_key(tmp_path):
    path = tmp_path / "topics.yaml"
    path.write_text(
        "topics:\n  - id: arms_control\n    name: A\n  - id: arms_control.x\n    name: X\n    terms:\n      - {term: t, weight: -1}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_taxonomy(path)
    assert "topics[1].terms[0].weight" in str(err.value)
    path.write_text("topics:\n  - id: arms_control.x\n    name: X\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="root topic 'arms_control' is missing"):
        load_taxonomy(path)


def test_settings_from_environment():
    s = load_settings(
        {"NEWSMON_INDEX_PREFIX": "x-", "NEWSMON_ALLOW_PRIVATE_NETWORKS": "1", "NEWSMON_WORKERS": "3"}
    )
    assert s.index_prefix == "x-" and s.allow_private_networks and s.workers == 3
    assert not load_settings({}).allow_private_networks
    with pytest.raises(ConfigError, match="NEWSMON_WORKERS"):
        load_settings({"NEWSMON_WORKERS": "zero"})
