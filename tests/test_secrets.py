"""Secrets stay out of reprs, summaries, stored errors and log lines."""

from __future__ import annotations

import logging

from newsmon.errors import FetchError
from newsmon.redaction import for_log, redact_text, redact_url, strip_credentials
from newsmon.settings import load_settings
from newsmon.summary import RunSummary

SECRETS = {
    "NEWSMON_ES_URL": "https://elastic:es-url-pass@es.internal:9200",
    "NEWSMON_ES_PASSWORD": "es-password-1",
    "NEWSMON_ES_API_KEY": "es-api-key-1",
    "NEWSMON_SMTP_HOST": "mail.internal",
    "NEWSMON_SMTP_USERNAME": "mailer",
    "NEWSMON_SMTP_PASSWORD": "smtp-password-1",
    "NEWSMON_KIBANA_URL": "https://kibana:kibana-url-pass@kibana.internal:5601",
    "NEWSMON_KIBANA_PASSWORD": "kibana-password-1",
    "NEWSMON_HTTP_PROXY": "http://proxyuser:proxy-pass-1@proxy.internal:3128",
}


def test_repr_of_settings_shows_no_secret():
    settings = load_settings(SECRETS)
    shown = [repr(settings), str(settings), repr(settings.smtp()), str(settings.model_dump())]
    for text in shown[:3]:
        for secret in ("es-url-pass", "es-password-1", "es-api-key-1", "smtp-password-1", "kibana-url-pass",
                       "kibana-password-1", "proxy-pass-1"):  # fmt: skip
            assert secret not in text, f"{secret} in {text}"
    # The values are still there for the code that connects.
    assert settings.kibana_url == SECRETS["NEWSMON_KIBANA_URL"]
    assert settings.http_proxy.get_secret_value() == SECRETS["NEWSMON_HTTP_PROXY"]
    assert settings.es_url_shown == "https://es.internal:9200"


def test_new_settings_are_read_and_validated():
    settings = load_settings({"NEWSMON_EXTRACT_TIMEOUT": "12.5", "NEWSMON_SMTP_ALLOW_PLAINTEXT_LOGIN": "1"})
    assert settings.extract_timeout == 12.5 and settings.smtp_allow_plaintext_login
    assert load_settings({}).extract_timeout == 30 and load_settings({}).http_proxy is None
    import pytest

    from newsmon.errors import ConfigError

    with pytest.raises(ConfigError, match="NEWSMON_HTTP_PROXY"):
        load_settings({"NEWSMON_HTTP_PROXY": "socks5://p:1080"})
    with pytest.raises(ConfigError, match="NEWSMON_EXTRACT_TIMEOUT"):
        load_settings({"NEWSMON_EXTRACT_TIMEOUT": "0"})


def test_summaries_show_no_credentials():
    summary = RunSummary()
    summary.errors.append({"url": "https://reader:page-pass@site.example/a", "error": "HTTP 500"})
    summary.errors.append({"feed": "f", "error": "redirected to http://u:feed-pass@x.example/\x1b[2Jb"})
    for text in (str(summary.to_dict()), str(summary.to_contract()), summary.render()):
        assert "page-pass" not in text and "feed-pass" not in text
    assert "\x1b" not in summary.render()
    assert summary.to_contract()["errors"][0]["url"] == "https://site.example/a"


def test_fetch_errors_carry_no_credentials():
    exc = FetchError("https://u:fetch-pass@x.example/feed", "moved to https://v:other-pass@y.example/")
    assert "fetch-pass" not in str(exc) and "fetch-pass" not in exc.url
    assert "other-pass" not in exc.reason and "https://y.example/" in exc.reason


def test_control_characters_are_escaped_in_log_lines(caplog):
    # A page title is quoted in the alert logged by the `log` channel: a crafted one must not start
    # a forged log line or drive the terminal.
    from newsmon.alerts.channels import ChannelConfig, send
    from newsmon.alerts.messages import instant_message
    from tests.helpers.records import event

    title = "Real title\r\n2026-01-01 ERROR forged line\x1b[31m"
    crafted = event(title=title, url="https://x.example/a\x1b[2J")
    with caplog.at_level(logging.INFO, logger="newsmon"):
        send(ChannelConfig(id="log", type="log"), instant_message(crafted), [crafted])
    [record] = [r for r in caplog.records if r.getMessage().startswith("alert:")]
    message = record.getMessage()
    assert "\x1b" not in message and "\r" not in message
    assert "forged line\\x1b[31m" in message
    assert all(not line.startswith("2026-01-01 ERROR") for line in message.split("\n"))


def test_redaction_helpers():
    assert redact_url("https://u:p@h.example:8443/x?q=1") == "https://h.example:8443/x?q=1"
    assert strip_credentials("a http://u:p@h/x b https://h2/y@z") == "a http://h/x b https://h2/y@z"
    assert for_log("a\r\nb\x00c\u2028") == "a\\x0d\\x0ab\\x00c\\u2028"
    text = redact_text(
        "535 5.7.8 AUTH PLAIN AG5ld3Ntb24AcmlnaHQtcGFzczEyMw== rejected; password=hunter2 "
        "Authorization: Basic dXNlcjpwYXNz url https://hooks.example/services/T0/B0/abc?token=t1",
        secrets=["smtp-password-1"],
    )
    for secret in ("AG5ld3Ntb24AcmlnaHQtcGFzczEyMw==", "hunter2", "dXNlcjpwYXNz", "T0/B0/abc", "t1"):
        assert secret not in text, text
    assert text.startswith("535 5.7.8 AUTH PLAIN") and "https://hooks.example/***" in text
    # Readable words and setting names survive.
    assert redact_text("set NEWSMON_SMTP_STARTTLS=1 to send the password") == (
        "set NEWSMON_SMTP_STARTTLS=1 to send the password"
    )
