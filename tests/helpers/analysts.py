"""What the tests of the analysts' API share: an alerts.yaml with channels, settings of a test's
prefix, the standalone app behind its guard, and stories published some days before now."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from newsmon import clock
from newsmon.records import Article
from newsmon.settings import Settings, load_settings
from newsmon.web.app import create_app
from newsmon.web.guard import WebGuard

ALERTS_YAML = """
channels:
  - {id: log, type: log}
  - {id: mail, type: email, to: [analyst@example.org]}
  - {id: hook, type: webhook, url_env: NEWSMON_TEST_HOOK}
rules:
  - {id: strategic-stability, name: Strategic stability, query: 'Riabkov OR "strategic stability"', channels: [log]}
"""
BASE = "http://127.0.0.1:8090"


def analyst_settings(es_url: str, prefix: str, tmp_path: Path, **env: str) -> Settings:
    alerts = tmp_path / "alerts.yaml"
    if not alerts.exists():
        alerts.write_text(ALERTS_YAML, encoding="utf-8")
    return load_settings({
        "NEWSMON_ES_URL": es_url, "NEWSMON_INDEX_PREFIX": prefix, "NEWSMON_ALERTS_FILE": str(alerts),
        "NEWSMON_CONFIG_DIR": str(Path(__file__).resolve().parents[2] / "config"), **env,
    })  # fmt: skip


def standalone(settings: Settings, token: str | None = None) -> TestClient:
    """`newsmon web`'s app as the command serves it (behind its guard), for a loopback client."""
    return TestClient(
        WebGuard(create_app(lambda: settings), [], token), base_url=BASE, follow_redirects=False
    )


def with_csrf(client: TestClient, headers: dict[str, str] | None = None) -> dict[str, str]:
    """Headers of a browser request from the page: its CSRF token (from GET /api/me) and origin."""
    me = client.get("/api/me", headers=headers or {})
    assert me.status_code == 200, me.text
    return {**(headers or {}), "X-CSRF-Token": me.json()["csrf_token"], "Origin": BASE}


def story(n: int, title: str, body: str, days_ago: float = 1, **kw: Any) -> Article:
    """A first-seen story published `days_ago` days before now."""
    published = clock.iso(clock.now() - timedelta(days=days_ago))
    base: dict[str, Any] = dict(
        id=f"s{n}", url=f"https://news{n}.example/{n}", canonical_url=f"https://news{n}.example/{n}",
        source=f"feed{n}", source_domain=f"news{n}.example", title=title, body=body, summary=None, authors=[],
        published_at=published, fetched_at=published, language="en", content_hash=f"h{n}",
        topics=["arms_control"], url_ids=[f"s{n}"],
    )  # fmt: skip
    base.update(kw)
    return Article(**base)
