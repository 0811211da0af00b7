"""The standalone `newsmon web` answers only its own host names, and asks for its token when one is
set: a DNS-rebinding page, a visitor without the token and a bind beyond loopback without a token
are all turned away. The real app behind the guard, on the real Elasticsearch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from newsmon.settings import load_settings
from newsmon.web.app import create_app
from newsmon.web.guard import COOKIE, WebGuard, host_name, is_loopback
from tests.helpers.corpus import web_server

pytestmark = pytest.mark.integration
NEWSMON = str(Path(sys.executable).parent / "newsmon")
TOKEN = "s3cret-token-for-the-test-0123456789"


def guarded(es_url: str, prefix: str, token: str | None, hosts: list[str] | None = None) -> TestClient:
    settings = load_settings({"NEWSMON_ES_URL": es_url, "NEWSMON_INDEX_PREFIX": prefix})
    app = WebGuard(create_app(lambda: settings), hosts or [], token)
    return TestClient(app, base_url="http://127.0.0.1:8090", follow_redirects=False)


def test_dns_rebinding_host_gets_nothing_from_newsmon_web(es_url, corpus):
    """A page at attacker.example whose name now resolves to 127.0.0.1 sends `Host: attacker.example`:
    421, not the search results; the loopback names still work, so does a configured name."""
    with web_server(es_url, corpus[0]) as base:
        port = base.rsplit(":", 1)[1]
        rebound = httpx.get(f"{base}/api/search", params={"q": "Geneva"},
                            headers={"Host": f"attacker.example:{port}"}, timeout=30)  # fmt: skip
        assert rebound.status_code == 421 and "Geneva" not in rebound.text
        assert httpx.get(f"{base}/", headers={"Host": "attacker.example"}, timeout=30).status_code == 421
        for name in ("127.0.0.1", "localhost", "[::1]"):
            ok = httpx.get(f"{base}/api/search", params={"q": "Geneva"},
                           headers={"Host": f"{name}:{port}"}, timeout=30)  # fmt: skip
            assert ok.status_code == 200 and ok.json()["total"] > 0
    client = guarded(es_url, corpus[0], None, hosts=["news.example.org"])
    assert (
        client.get("/api/search", params={"q": "Geneva"}, headers={"Host": "news.example.org"}).status_code
        == 200
    )
    assert (
        client.get("/api/search", params={"q": "Geneva"}, headers={"Host": "evil.example.org"}).status_code
        == 421
    )


def test_visitor_without_the_token_gets_no_results(es_url, corpus):
    client = guarded(es_url, corpus[0], TOKEN)
    api = client.get("/api/search", params={"q": "Geneva"})
    assert api.status_code == 401 and "Geneva" not in api.text
    assert api.headers["www-authenticate"].startswith("Bearer")
    wrong = client.get(
        "/api/search", params={"q": "Geneva"}, headers={"Authorization": f"Bearer {TOKEN[:-1]}x"}
    )
    assert wrong.status_code == 401
    right = client.get("/api/search", params={"q": "Geneva"}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200 and right.json()["total"] > 0
    # A cookie that is the token itself, or anything else, is no session.
    client.cookies.set(COOKIE, TOKEN)
    assert client.get("/api/search", params={"q": "Geneva"}).status_code == 401
    client.cookies.clear()


def test_browser_signs_in_with_the_token_and_only_then_sees_the_page(es_url, corpus):
    client = guarded(es_url, corpus[0], TOKEN)
    html = {"Accept": "text/html"}
    first = client.get("/", params={"q": "Geneva"}, headers=html)
    assert first.status_code == 303 and first.headers["location"].startswith("/signin?next=")
    form = client.get(first.headers["location"], headers=html)
    assert form.status_code == 200 and 'name="token"' in form.text
    bad = client.post(first.headers["location"], data={"token": "guess-guess-guess-guess"})
    assert bad.status_code == 401 and COOKIE not in bad.headers.get("set-cookie", "")
    good = client.post(first.headers["location"], data={"token": TOKEN})
    assert good.status_code == 303 and good.headers["location"] == "/?q=Geneva"
    cookie = good.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
    page = client.get(good.headers["location"], headers=html)
    assert page.status_code == 200 and "data-article-id" in page.text
    # Sign-in never sends the browser to another site.
    away = client.post("/signin?next=https://evil.example/x", data={"token": TOKEN})
    assert away.headers["location"] == "/"


def test_bind_beyond_loopback_without_a_token_is_refused():
    env = {k: v for k, v in os.environ.items() if k != "NEWSMON_WEB_TOKEN"}
    out = subprocess.run([NEWSMON, "web", "--host", "0.0.0.0", "--port", "1"], env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 78 and "NEWSMON_WEB_TOKEN" in out.stderr
    short = subprocess.run([NEWSMON, "web", "--host", "0.0.0.0", "--port", "1"], env=env | {"NEWSMON_WEB_TOKEN": "abc"},
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert short.returncode == 78 and "NEWSMON_WEB_TOKEN" in short.stderr and "abc" not in short.stderr


def test_host_names_and_binds():
    assert host_name("[::1]:8090") == "::1" and host_name("LocalHost:80") == "localhost"
    assert host_name("127.0.0.1") == "127.0.0.1"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")
