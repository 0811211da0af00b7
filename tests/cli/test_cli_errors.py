"""What `newsmon search` and `newsmon alerts test` say when Elasticsearch has no index, refuses the
query or does not answer: one `newsmon:` line on stderr, no traceback, the documented exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsmon.cli.common import EXIT_ERROR, EXIT_UNAVAILABLE
from newsmon.settings import load_settings
from newsmon.storage import Storage
from newsmon.storage.client import make_client
from tests.helpers.records import article
from tests.helpers.servers import free_port

pytestmark = pytest.mark.integration
NEWSMON = str(Path(sys.executable).parent / "newsmon")
RULES = """
rules:
  - {id: watch, name: Watch, query: 'Riabkov OR "strategic stability"'}
  - {id: dated, name: Dated, query: 'published_at:[2020-01-01 TO nonsense]'}
"""


def newsmon(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it (no -q: whatever it logs counts)."""
    return subprocess.run([NEWSMON, *args], env=os.environ | env, capture_output=True, text=True, timeout=120)


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsmon: "), proc.stderr
    assert proc.stdout == ""
    return lines[0]


@pytest.fixture
def env(es_url: str, prefix: str, tmp_path: Path) -> dict[str, str]:
    rules = tmp_path / "alerts.yaml"
    rules.write_text(RULES, encoding="utf-8")
    return {"NEWSMON_ES_URL": es_url, "NEWSMON_INDEX_PREFIX": prefix, "NEWSMON_ALERTS_FILE": str(rules)}


def set_up(env: dict[str, str]) -> None:
    proc = subprocess.run(
        [NEWSMON, "-q", "setup"], env=os.environ | env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr


def test_search_before_setup_names_the_missing_index(env, prefix):
    proc = newsmon("search", "treaty", env=env)
    assert proc.returncode == EXIT_ERROR == 1
    assert one_line(proc) == f"newsmon: {prefix}articles does not exist: run `newsmon setup`"


def test_alerts_test_before_setup_names_the_missing_index(env, prefix):
    proc = newsmon("alerts", "test", "watch", "--since", "30d", env=env)
    assert proc.returncode == EXIT_ERROR
    assert one_line(proc) == f"newsmon: {prefix}articles does not exist: run `newsmon setup`"


def test_a_query_elasticsearch_refuses_is_one_line_in_its_words(env, es_url, prefix):
    set_up(env)
    # One recent story: on an index with nothing in the `--since` window Elasticsearch skips the
    # search before reading the query, and `alerts test` answers 0 stories.
    with Storage(make_client(load_settings({"NEWSMON_ES_URL": es_url})), prefix, es_url) as storage:
        now = datetime.now(UTC).isoformat()
        assert not storage.articles.write([article(1, published_at=now, fetched_at=now)], {}).errors
        storage.articles.refresh()
    query = "published_at:[2020-01-01 TO nonsense]"
    proc = newsmon("search", query, env=env)
    assert proc.returncode == EXIT_ERROR
    line = one_line(proc)
    assert line.startswith(f"newsmon: query {query!r} was rejected by Elasticsearch: ")
    assert "failed to parse date field [nonsense]" in line
    # The same query as an alert rule: newsmon's own check lets it through, Elasticsearch does not.
    tried = newsmon("alerts", "test", "dated", "--since", "30d", env=env)
    assert tried.returncode == EXIT_ERROR
    line = one_line(tried)
    assert "rejected by Elasticsearch" in line and "failed to parse date field [nonsense]" in line


def test_search_with_elasticsearch_not_listening_exits_3():
    port = free_port()  # nothing listens there
    env = {"NEWSMON_ES_URL": f"http://elastic:secret@127.0.0.1:{port}", "NEWSMON_INDEX_PREFIX": "newsmon-"}
    proc = newsmon("search", "treaty", env=env)
    assert proc.returncode == EXIT_UNAVAILABLE == 3
    line = one_line(proc)
    assert f"http://127.0.0.1:{port}" in line and "unreachable" in line and "secret" not in line
