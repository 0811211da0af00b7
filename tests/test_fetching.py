"""The HTTP layer against a real loopback server: guard, caps, errors."""

import pytest

from conftest import free_port
from newsmon.errors import FetchError
from newsmon.fetching import Fetcher, check_destination
from newsmon.settings import load_settings


def allowed(**kw):
    return load_settings({"NEWSMON_ALLOW_PRIVATE_NETWORKS": "1"}, **kw)


def test_loopback_and_private_refused_by_default():
    for url in (
        "http://127.0.0.1:8080/feed",
        "http://localhost/x",
        "http://10.1.2.3/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data",
    ):
        with pytest.raises(FetchError, match="NEWSMON_ALLOW_PRIVATE_NETWORKS"):
            check_destination(url, allow_private=False)
    check_destination("http://127.0.0.1:8080/feed", allow_private=True)


def test_only_http_schemes():
    with pytest.raises(FetchError, match="unsupported scheme"):
        check_destination("file:///etc/passwd", allow_private=True)


def test_guard_applies_when_fetching(site):
    with Fetcher(load_settings({})) as fetcher, pytest.raises(FetchError, match="non-public address"):
        fetcher.get(f"{site.base_url}/outlet/rss.xml", max_bytes=10_000)


def test_user_agent_names_the_project(site):
    with Fetcher(allowed()) as fetcher:
        got = fetcher.get(f"{site.base_url}/outlet/rss.xml", max_bytes=1_000_000)
    assert got.status == 200 and b"<rss" in got.content
    assert "newsmon" in fetcher.settings.user_agent


def test_refused_connection_is_a_fetch_error():
    port = free_port()  # nothing listens there
    with Fetcher(allowed()) as fetcher, pytest.raises(FetchError, match="connection failed"):
        fetcher.get(f"http://127.0.0.1:{port}/feed.xml", max_bytes=1000)


def test_http_404(site):
    with Fetcher(allowed()) as fetcher, pytest.raises(FetchError, match="HTTP 404"):
        fetcher.get(f"{site.base_url}/status/404", max_bytes=1000)


def test_byte_cap(site):
    with Fetcher(allowed()) as fetcher:
        with pytest.raises(FetchError, match="too large"):
            fetcher.get(f"{site.base_url}/generated/big.html?bytes=200000", max_bytes=100_000)
        assert (
            len(fetcher.get(f"{site.base_url}/generated/big.html?bytes=50000", max_bytes=100_000).content)
            > 40_000
        )


def test_the_connected_address_is_checked_too(site, monkeypatch):
    # As if DNS had answered with a public address when checked and loopback when connected.
    import newsmon.fetching as fetching

    monkeypatch.setattr(fetching, "check_destination", lambda url, allow_private: None)
    with (
        Fetcher(load_settings({})) as fetcher,
        pytest.raises(FetchError, match="connected to non-public address"),
    ):
        fetcher.get(f"{site.base_url}/outlet/rss.xml", max_bytes=1_000_000)


def test_a_body_that_takes_too_long_is_cut_off(site):
    with Fetcher(allowed(total_timeout=1e-6)) as fetcher, pytest.raises(FetchError, match="too slow"):
        fetcher.get(f"{site.base_url}/generated/big.html?bytes=2000000", max_bytes=3_000_000)
