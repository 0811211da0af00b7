"""Alert rules: validation one rule at a time, and the terms a story must contain."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.alerts.rules import load_alerts
from newsmon.alerts.terms import required_terms
from newsmon.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "alerts.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_rules_load_cleanly():
    loaded = load_alerts(ROOT / "config" / "alerts.yaml")
    assert loaded.errors == []
    assert {r.id for r in loaded.rules} >= {"strategic-stability"}


def test_a_broken_rule_is_reported_by_id_and_the_others_still_load(tmp_path):
    loaded = load_alerts(
        write(
            tmp_path,
            """
rules:
  - {id: good, name: Good, query: 'Riabkov OR "strategic stability"'}
  - {id: broken, name: Broken, query: 'title:(unbalanced'}
  - {id: digest-without-schedule, name: D, query: NPT, mode: digest}
  - {id: bad-channel, name: C, query: NPT, channels: [pager]}
  - {id: bad-cron, name: E, query: NPT, mode: digest, schedule: "every morning"}
""",
        )
    )
    assert [r.id for r in loaded.rules] == ["good"]
    text = "\n".join(loaded.errors)
    assert "'broken'" in text and "query" in text and "Lucene" in text
    assert "'digest-without-schedule'" in text and "schedule" in text
    assert "'bad-channel'" in text and "pager" in text
    assert "'bad-cron'" in text and "every morning" in text
    assert all(str(tmp_path) in e for e in loaded.errors)


def test_channels_need_their_settings(tmp_path):
    loaded = load_alerts(
        write(
            tmp_path,
            """
channels:
  - {id: mail, type: email}
  - {id: hook, type: webhook, url_env: NEWSMON_TEST_HOOK}
rules:
  - {id: r, name: R, query: x, channels: [hook]}
""",
        )
    )
    assert "channels[0]" in loaded.errors[0]
    assert [r.id for r in loaded.rules] == ["r"]


def test_a_file_that_is_not_a_rule_list_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="rules"):
        load_alerts(write(tmp_path, "rules: {id: x}\n"))


def test_missing_file_means_no_rules(tmp_path):
    loaded = load_alerts(tmp_path / "none.yaml")
    assert loaded.rules == [] and "log" in loaded.channels


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('Riabkov OR "strategic stability"', [(None, "Riabkov"), (None, '"strategic stability"')]),
        ("Riabkov AND NOT sports", [(None, "Riabkov")]),
        ('title:"New START" AND entities.name:Ryabkov', [(None, '"New START"')]),
        ('entities.name:"Sergei Ryabkov"', None),  # a field the candidate step cannot see
        ("title.keyword:Geneva OR Riabkov", None),
        ('+Riabkov +"arms control" Sherman', [(None, "Riabkov")]),
        ("topics:arms_control.nonproliferation", [("topics", "arms_control.nonproliferation")]),
        ("NPT TNP", [(None, "NPT"), (None, "TNP")]),
        ("riab*", None),
        ("NOT football", None),
        ("*", None),
        ("Riabkov OR riab~1", None),
    ],
)
def test_required_terms(query, expected):
    assert required_terms(query) == expected
