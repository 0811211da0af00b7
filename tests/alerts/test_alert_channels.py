"""Delivery channels against real servers on loopback: SMTP (aiosmtpd) and an HTTP receiver."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from pydantic import ValidationError

from newsmon.alerts.channels import (
    ChannelConfig,
    DeliveryError,
    SmtpSettings,
    send,
    smtp_settings_from_env,
)
from newsmon.alerts.messages import digest_message, instant_message
from newsmon.errors import ConfigError
from tests.helpers.records import RULE, digest_events, event
from tests.helpers.servers import free_port

# -- SMTP ----------------------------------------------------------------------------------------


class Recorder:
    """aiosmtpd handler that keeps every envelope it accepts."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.authenticated: list[bool] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.envelopes.append(envelope)
        self.authenticated.append(session.authenticated)
        return "250 OK queued"


def start_smtp(port: int, **kwargs) -> tuple[Controller, Recorder]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, recorder


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpSettings, Recorder]]:
    port = free_port()
    controller, recorder = start_smtp(port)
    try:
        yield SmtpSettings(host="127.0.0.1", port=port, from_addr="alerts@newsmon.test"), recorder
    finally:
        controller.stop()


EMAIL = ChannelConfig(id="analysts", type="email", to=["ana@example.org", "bo@example.org"])


def parsed(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.original_content, policy=email.policy.default)


def test_email_delivers_text_and_html(smtp_server):
    smtp, recorder = smtp_server
    receipt = send(EMAIL, instant_message(event()), [event()], smtp=smtp)
    assert receipt == "smtp 250 to ana@example.org, bo@example.org"
    [envelope] = recorder.envelopes
    assert envelope.rcpt_tos == ["ana@example.org", "bo@example.org"]
    assert envelope.mail_from == "alerts@newsmon.test"
    mail = parsed(envelope)
    assert mail["Subject"] == "[newsmon] Riabkov watch: Moscow signals pause in strategic stability dialogue"
    assert mail["Auto-Submitted"] == "auto-generated"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Moscow signals pause in strategic stability dialogue" in body
        assert "https://outlet.example/news/a1" in body
        assert "arms_control.strategic_stability" in body
        assert "Also carried by 2 other outlets" in body
    assert "Sergei **Riabkov** noted" in text
    assert "Sergei <mark>Riabkov</mark> noted" in html


def test_email_digest_and_subject_prefix(smtp_server):
    smtp, recorder = smtp_server
    channel = ChannelConfig(id="desk", type="email", to=["desk@example.org"], subject_prefix="[ACD]")
    events = digest_events()
    send(channel, digest_message(RULE, events), events, smtp=smtp)
    mail = parsed(recorder.envelopes[0])
    assert mail["Subject"] == "[ACD] Riabkov watch: 4 new stories"
    html = mail.get_body(("html",)).get_content()
    assert html.count("Moscow signals pause") == 1
    assert "arms_control.nonproliferation (1)" in html


def test_smtp_down_then_up():
    port = free_port()  # nothing listens yet
    smtp = SmtpSettings(host="127.0.0.1", port=port, timeout=5)
    message = instant_message(event())
    with pytest.raises(
        DeliveryError, match=r"channel analysts: SMTP 127\.0\.0\.1:\d+: connection failed"
    ) as info:
        send(EMAIL, message, [event()], smtp=smtp)
    assert info.value.channel_id == "analysts" and not info.value.permanent

    controller, recorder = start_smtp(port)
    try:
        assert send(EMAIL, message, [event()], smtp=smtp).startswith("smtp 250")
    finally:
        controller.stop()
    assert len(recorder.envelopes) == 1


def test_smtp_login_and_a_refused_login_keeps_the_password_secret():
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"newsmon" and auth_data.password == b"right-pass"
        return AuthResult(success=ok, handled=False)  # handled=False: the server sends the 535

    port = free_port()
    controller, recorder = start_smtp(port, authenticator=authenticator, auth_require_tls=False)
    try:
        plain = {"allow_plaintext_login": True}  # a local relay, said so explicitly
        good = SmtpSettings(host="127.0.0.1", port=port, username="newsmon", password="right-pass", **plain)
        assert send(EMAIL, instant_message(event()), [event()], smtp=good).startswith("smtp 250")
        bad = SmtpSettings(host="127.0.0.1", port=port, username="newsmon", password="wrong-pass", **plain)
        with pytest.raises(DeliveryError, match="server replied 535") as info:
            send(EMAIL, instant_message(event()), [event()], smtp=bad)
        assert "wrong-pass" not in str(info.value) and info.value.permanent
        assert "wrong-pass" not in repr(bad)
    finally:
        controller.stop()
    assert recorder.authenticated == [True]


def test_smtp_login_without_tls_is_refused_before_connecting():
    port = free_port()
    controller, recorder = start_smtp(port, auth_require_tls=False)
    try:
        smtp = SmtpSettings(host="127.0.0.1", port=port, username="newsmon", password="right-pass")
        with pytest.raises(DeliveryError, match="refusing to send the SMTP password without TLS") as info:
            send(EMAIL, instant_message(event()), [event()], smtp=smtp)
        assert info.value.permanent and "NEWSMON_SMTP_ALLOW_PLAINTEXT_LOGIN" in str(info.value)
    finally:
        controller.stop()
    assert recorder.envelopes == [] and recorder.authenticated == []
    allowed = smtp_settings_from_env(
        {"NEWSMON_SMTP_HOST": "h", "NEWSMON_SMTP_USERNAME": "u", "NEWSMON_SMTP_PASSWORD": "p",
         "NEWSMON_SMTP_ALLOW_PLAINTEXT_LOGIN": "1"}
    )  # fmt: skip
    assert (
        allowed.allow_plaintext_login
        and not smtp_settings_from_env({"NEWSMON_SMTP_HOST": "h"}).allow_plaintext_login
    )


def test_an_echoed_token_never_reaches_last_error(receiver, monkeypatch):
    # The receiver quotes the request back: a path segment (the token of a Slack-style URL), the
    # Authorization value's token, the whole URL with its query. `_try`'s note is what
    # alert-events.last_error stores.
    import newsmon.alerts.delivery as delivery

    token, key = "T0KEN1234abcd", "k3y-0f-the-hook"
    url = f"{receiver.base}/status/401/echo/{token}?sig=9f8e7d6c5b4a"
    monkeypatch.setenv("TEST_HOOK_URL", url)
    monkeypatch.setenv("TEST_HOOK_HEADERS", json.dumps({"Authorization": f"Bearer {key}"}))
    receiver.echo = f"bad token {token}; got Authorization: Bearer {key} for {url}, sig=9f8e7d6c5b4a"
    ok, note, _ = delivery._try(
        HOOK, instant_message(event()), [event()], delivery.DeliveryRun.start(None, lambda s: None)
    )
    assert not ok and "HTTP 401" in note
    for secret in (token, key, "9f8e7d6c5b4a", "/status/401/echo"):
        assert secret not in note, note


def test_starttls_required_but_not_offered_is_refused(smtp_server):
    smtp, recorder = smtp_server
    tls = SmtpSettings(host=smtp.host, port=smtp.port, starttls=True)
    with pytest.raises(DeliveryError, match="STARTTLS"):
        send(EMAIL, instant_message(event()), [event()], smtp=tls)
    assert recorder.envelopes == []  # never falls back to plain text


def test_email_without_smtp_settings():
    with pytest.raises(DeliveryError, match="channel analysts: no SMTP settings.*NEWSMON_SMTP_HOST"):
        send(EMAIL, instant_message(event()), [event()], smtp=None)


def test_smtp_settings_from_env():
    assert smtp_settings_from_env({}) is None
    got = smtp_settings_from_env(
        {
            "NEWSMON_SMTP_HOST": "mail.example.org",
            "NEWSMON_SMTP_STARTTLS": "true",
            "NEWSMON_SMTP_USERNAME": "u",
            "NEWSMON_SMTP_PASSWORD": "p",
            "NEWSMON_SMTP_FROM": "alerts@example.org",
        }
    )
    assert got == SmtpSettings(
        host="mail.example.org",
        port=587,
        username="u",
        password="p",
        from_addr="alerts@example.org",
        starttls=True,
    )
    assert smtp_settings_from_env({"NEWSMON_SMTP_HOST": "h", "NEWSMON_SMTP_SSL": "1"}).port == 465
    assert smtp_settings_from_env({"NEWSMON_SMTP_HOST": "h", "NEWSMON_SMTP_PORT": "2525"}).port == 2525
    with pytest.raises(ConfigError, match="NEWSMON_SMTP_PORT"):
        smtp_settings_from_env({"NEWSMON_SMTP_HOST": "h", "NEWSMON_SMTP_PORT": "smtp"})
    with pytest.raises(ConfigError, match="choose one"):
        smtp_settings_from_env(
            {"NEWSMON_SMTP_HOST": "h", "NEWSMON_SMTP_SSL": "1", "NEWSMON_SMTP_STARTTLS": "1"}
        )
    with pytest.raises(ConfigError, match="NEWSMON_SMTP_STARTTLS"):
        smtp_settings_from_env({"NEWSMON_SMTP_HOST": "h", "NEWSMON_SMTP_STARTTLS": "maybe"})
    with pytest.raises(ConfigError, match="set both or neither"):
        smtp_settings_from_env({"NEWSMON_SMTP_HOST": "h", "NEWSMON_SMTP_USERNAME": "u"})


# -- HTTP ----------------------------------------------------------------------------------------


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[dict] = []
        self.release = threading.Event()  # a /slow request waits for this
        self.echo = ""  # what an /echo/ request answers

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if self.path.startswith("/slow"):
            self.server.release.wait(10)
        status = int(self.path.split("/")[2]) if self.path.startswith("/status/") else 200
        answer = b"ok" if status < 300 else b"invalid_token for /status/500/T0KEN-IN-PATH"
        if "/echo/" in self.path:
            answer = self.server.echo.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()


SLACK = ChannelConfig(id="team-slack", type="slack", url_env="TEST_SLACK_URL")
HOOK = ChannelConfig(id="siem", type="webhook", url_env="TEST_HOOK_URL", headers_env="TEST_HOOK_HEADERS")


def test_slack_posts_mrkdwn_blocks(receiver):
    env = {"TEST_SLACK_URL": f"{receiver.base}/services/T000/B000/XXXX"}
    receipt = send(SLACK, instant_message(event()), [event()], environ=env, user_agent="newsmon-test/1")
    assert receipt == "HTTP 200"
    [request] = receiver.requests
    assert request["path"] == "/services/T000/B000/XXXX"
    assert request["headers"]["User-Agent"] == "newsmon-test/1"
    assert request["headers"]["Content-Type"] == "application/json"
    body = json.loads(request["body"])
    assert set(body) == {"text", "blocks"}
    assert body["text"].startswith("[newsmon] Riabkov watch: Moscow signals pause")
    section = body["blocks"][1]["text"]
    assert section["type"] == "mrkdwn"
    assert "Sergei *Riabkov* noted" in section["text"]
    assert "<https://outlet.example/news/a1|Moscow signals pause" in section["text"]


def test_webhook_posts_the_payload_with_headers_from_env(receiver):
    env = {
        "TEST_HOOK_URL": f"{receiver.base}/hook",
        "TEST_HOOK_HEADERS": json.dumps({"Authorization": "Bearer s3cret-token", "X-Tenant": "acd"}),
    }
    events = digest_events()
    assert send(HOOK, digest_message(RULE, events), events, environ=env) == "HTTP 200"
    [request] = receiver.requests
    assert request["headers"]["Authorization"] == "Bearer s3cret-token"
    assert request["headers"]["X-Tenant"] == "acd"
    body = json.loads(request["body"])
    assert body["type"] == "newsmon.digest"
    assert body["rule"] == RULE
    assert [e["article_id"] for e in body["events"]] == ["a1", "a1", "a2", "a3", "a4"]


def test_http_500_is_a_delivery_error_without_secrets(receiver):
    env = {
        "TEST_HOOK_URL": f"{receiver.base}/status/500/T0KEN-IN-PATH",
        "TEST_HOOK_HEADERS": '{"Authorization": "Bearer s3cret-token"}',
    }
    with pytest.raises(
        DeliveryError, match=r"channel siem: POST to the URL in TEST_HOOK_URL: HTTP 500"
    ) as info:
        send(HOOK, instant_message(event()), [event()], environ=env)
    message = str(info.value)
    assert "invalid_token" in message  # the receiver's explanation is kept...
    assert "T0KEN-IN-PATH" not in message and "s3cret-token" not in message  # ...its echo of secrets is not
    assert not info.value.permanent
    plain = ChannelConfig(id="plain", type="webhook", url_env="TEST_HOOK_URL")
    with pytest.raises(DeliveryError, match="HTTP 404") as info:
        send(
            plain,
            instant_message(event()),
            [event()],
            environ={"TEST_HOOK_URL": f"{receiver.base}/status/404"},
        )
    assert info.value.permanent  # a wrong URL does not heal by retrying


def test_headers_env_named_but_unset_fails_before_sending(receiver):
    with pytest.raises(DeliveryError, match="environment variable TEST_HOOK_HEADERS is unset"):
        send(HOOK, instant_message(event()), [event()], environ={"TEST_HOOK_URL": f"{receiver.base}/hook"})
    assert receiver.requests == []


def test_unset_env_var_is_named():
    with pytest.raises(
        DeliveryError, match="channel team-slack: environment variable TEST_SLACK_URL is unset"
    ):
        send(SLACK, instant_message(event()), [event()], environ={})


def test_bad_headers_env_is_named_not_quoted(receiver):
    env = {"TEST_HOOK_URL": f"{receiver.base}/hook", "TEST_HOOK_HEADERS": "Authorization: Bearer s3cret"}
    with pytest.raises(DeliveryError, match="TEST_HOOK_HEADERS must hold a JSON object") as info:
        send(HOOK, instant_message(event()), [event()], environ=env)
    assert "s3cret" not in str(info.value)
    assert receiver.requests == []


def test_refused_connection_and_timeout(receiver):
    port = free_port()
    with pytest.raises(
        DeliveryError, match="channel team-slack: POST to the URL in TEST_SLACK_URL: ConnectError"
    ):
        send(
            SLACK,
            instant_message(event()),
            [event()],
            environ={"TEST_SLACK_URL": f"http://127.0.0.1:{port}/x"},
        )
    with pytest.raises(DeliveryError, match="timed out"):
        send(
            SLACK,
            instant_message(event()),
            [event()],
            environ={"TEST_SLACK_URL": f"{receiver.base}/slow"},
            timeout=0.5,
        )


def test_url_env_must_hold_a_web_url():
    with pytest.raises(DeliveryError, match="TEST_SLACK_URL does not hold an http"):
        send(SLACK, instant_message(event()), [event()], environ={"TEST_SLACK_URL": "file:///etc/passwd"})


# -- log and configuration -----------------------------------------------------------------------


def test_log_channel_logs_and_leaves_stdout_alone(capsys, caplog):
    with caplog.at_level(logging.INFO, logger="newsmon.alerts"):
        receipt = send(ChannelConfig(id="log", type="log"), instant_message(event()), [event()])
    assert receipt == "logged"
    assert capsys.readouterr().out == ""  # stdout carries e.g. `newsmon run --json`
    logged = [r.getMessage() for r in caplog.records if r.name == "newsmon.alerts"]
    assert any("[newsmon] Riabkov watch: Moscow signals pause" in m for m in logged)
    assert any("Sergei **Riabkov** noted" in m and "https://outlet.example/news/a1" in m for m in logged)


@pytest.mark.parametrize(
    "raw, problem",
    [
        ({"id": "m", "type": "email"}, "needs 'to'"),
        ({"id": "m", "type": "email", "to": ["not-an-address"]}, "not email addresses"),
        ({"id": "s", "type": "slack"}, "needs 'url_env'"),
        (
            {"id": "s", "type": "slack", "url_env": "https://hooks.slack.com/services/T/B/X"},
            "NAME of an environment",
        ),
        ({"id": "l", "type": "log", "url_env": "X"}, "not log"),
        ({"id": "w", "type": "webhook", "url_env": "X", "url": "https://x"}, "Extra inputs"),
        ({"id": "p", "type": "pager"}, "type"),
    ],
)
def test_channel_config_validation(raw, problem):
    with pytest.raises(ValidationError, match=problem):
        ChannelConfig.model_validate(raw)


def test_an_unexpected_channel_error_is_a_failed_try_not_a_crash(monkeypatch):
    import newsmon.alerts.delivery as delivery

    def boom(*args, **kwargs):
        raise UnicodeEncodeError("latin-1", "ü", 0, 1, "ordinal not in range")

    monkeypatch.setattr(delivery, "send", boom)
    ok, note, attempts = delivery._try(
        ChannelConfig(id="log", type="log"),
        instant_message(event()),
        [event()],
        delivery.DeliveryRun.start(None, lambda s: None),
    )
    assert not ok and attempts == 1 and "UnicodeEncodeError" in note
