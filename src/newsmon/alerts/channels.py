"""Delivery channels for alert messages: the run log, email over SMTP, Slack and generic webhooks.

`send` makes exactly one attempt and returns a short receipt or raises DeliveryError; retries,
backoff and the record of attempts belong to the caller. Secrets (webhook URLs, which carry their
token in the path, auth headers, the SMTP password) come from the environment only and are kept
out of every error message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.policy
import json
import logging
import re
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from newsmon import clock
from newsmon.alerts.messages import SUBJECT_PREFIX, Message, slack_payload
from newsmon.connections import deadline_transport, total_deadline
from newsmon.errors import NewsmonError
from newsmon.redaction import for_log, redact_text
from newsmon.settings import SmtpSettings, environment, load_settings

logger = logging.getLogger("newsmon.alerts")

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")
_ERROR_BODY_CHARS = 200


class DeliveryError(NewsmonError):
    """One delivery attempt failed; the message names the channel and the cause, never a secret.

    `permanent` is a hint for the caller's retry policy: True when repeating the same attempt
    soon cannot help (a missing variable, a 4xx answer, a 5xx SMTP reply).
    """

    def __init__(self, channel_id: str, cause: str, *, permanent: bool = False):
        super().__init__(f"channel {channel_id}: {cause}")
        self.channel_id = channel_id
        self.cause = cause
        self.permanent = permanent


class ChannelConfig(BaseModel):
    """A delivery channel as written in config/alerts.yaml; secrets are named, never written."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    type: Literal["log", "email", "slack", "webhook"]
    to: list[str] = Field(default_factory=list)
    url_env: str | None = None
    headers_env: str | None = None
    subject_prefix: str = SUBJECT_PREFIX

    @field_validator("url_env", "headers_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        # Catches a URL or token pasted into the file, where it would be committed; the message
        # deliberately does not repeat the value.
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError(
                "must be the NAME of an environment variable (e.g. NEWSMON_SLACK_URL), "
                "not the secret itself: secrets stay out of config files"
            )
        return value

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if not _ADDRESS.match(a)]
        if bad:
            raise ValueError(f"not email addresses: {bad}")
        return value

    @model_validator(mode="after")
    def _fits_type(self) -> ChannelConfig:
        if self.type == "email" and not self.to:
            raise ValueError("an email channel needs 'to': a list of recipient addresses")
        if self.type != "email" and self.to:
            raise ValueError(f"'to' is for email channels, not {self.type}")
        if self.type in ("slack", "webhook") and not self.url_env:
            raise ValueError(
                f"a {self.type} channel needs 'url_env': the environment variable holding the URL"
            )
        if self.type in ("log", "email") and (self.url_env or self.headers_env):
            raise ValueError(
                f"'url_env' and 'headers_env' are for slack and webhook channels, not {self.type}"
            )
        return self


def smtp_settings_from_env(environ: Mapping[str, str] | None = None) -> SmtpSettings | None:
    """SMTP settings from NEWSMON_SMTP_* (of `environ`, else the process); None without a host."""
    return load_settings(environ).smtp()


def send(
    channel: ChannelConfig,
    message: Message,
    events: list[dict[str, Any]],
    *,
    smtp: SmtpSettings | None = None,
    environ: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    user_agent: str = "newsmon/0.1",
) -> str:
    """Deliver `message` once over `channel`; return a short receipt or raise DeliveryError."""
    env = environment() if environ is None else environ
    message = _with_prefix(message, channel.subject_prefix)
    if channel.type == "log":
        return _send_log(message)
    if channel.type == "email":
        return _send_email(channel, message, smtp)
    body = slack_payload(message, events) if channel.type == "slack" else message.payload
    return _post_json(channel, body, env, timeout=timeout, user_agent=user_agent)


def _with_prefix(message: Message, prefix: str) -> Message:
    # Messages are built with the default prefix; a channel may brand its subjects differently.
    if prefix == SUBJECT_PREFIX or not message.subject.startswith(SUBJECT_PREFIX):
        return message
    rest = message.subject[len(SUBJECT_PREFIX) :].lstrip()
    subject = f"{prefix.strip()} {rest}".strip()
    return dataclasses.replace(message, subject=subject)


# -- log -----------------------------------------------------------------------------------------


def _send_log(message: Message) -> str:
    # The run's log only (stderr for the CLI, the task log in Airflow): stdout belongs to the
    # commands' own output, such as the single JSON object of `newsmon run --json`.
    # Subjects and texts quote page titles: control characters are escaped, lines kept.
    text = "\n".join(for_log(line) for line in message.text.split("\n"))
    logger.info("alert: %s\n%s", for_log(message.subject), text)
    return "logged"


# -- email ---------------------------------------------------------------------------------------


def _email(channel: ChannelConfig, message: Message, smtp: SmtpSettings) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = smtp.from_addr
    mail["To"] = ", ".join(channel.to)
    mail["Date"] = format_datetime(clock.now())
    # An explicit domain: make_msgid would otherwise ask DNS for this host's FQDN.
    mail["Message-ID"] = make_msgid(domain=smtp.from_addr.rpartition("@")[2] or "localhost")
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to the monitor
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    # Bodies are encoded above with the standard 78-column policy. Headers are written with a long
    # line limit because the stdlib folds a subject starting with "[" badly ("Subject:" alone on
    # the first line, read back with a leading space); subjects are capped at 200 characters.
    mail.policy = email.policy.SMTP.clone(max_line_length=998)
    return mail


def _send_email(channel: ChannelConfig, message: Message, smtp: SmtpSettings | None) -> str:
    if smtp is None:
        raise DeliveryError(
            channel.id,
            "no SMTP settings (set NEWSMON_SMTP_HOST, or the SMTP connection in Airflow)",
            permanent=True,
        )
    mail = _email(channel, message, smtp)
    where = f"SMTP {smtp.host}:{smtp.port}"
    _refuse_login_in_clear(channel, smtp, where)
    try:
        refused = _converse(smtp, mail)
    except (smtplib.SMTPException, OSError) as exc:
        raise _smtp_failure(channel.id, where, exc, smtp) from None
    accepted = [a for a in channel.to if a not in refused]
    receipt = f"smtp 250 to {', '.join(accepted)}"
    if refused:
        # Some recipients got it: raising would make the caller resend to them too.
        logger.warning("channel %s: %s refused %s", channel.id, where, _refusals(refused))
        receipt += f"; refused {_refusals(refused)}"
    return receipt


def _refuse_login_in_clear(channel: ChannelConfig, smtp: SmtpSettings, where: str) -> None:
    if smtp.username and not (smtp.ssl or smtp.starttls) and not smtp.allow_plaintext_login:
        # Refused before connecting: without TLS the password would cross the network in clear.
        raise DeliveryError(
            channel.id,
            f"{where}: refusing to send the SMTP password without TLS; set NEWSMON_SMTP_STARTTLS=1 or "
            "NEWSMON_SMTP_SSL=1 (or NEWSMON_SMTP_ALLOW_PLAINTEXT_LOGIN=1 for a trusted relay on this host)",
            permanent=True,
        )


def _converse(smtp: SmtpSettings, mail: EmailMessage) -> dict[str, tuple[int, bytes]]:
    """One SMTP session (connect, TLS, login, send); the recipients the server refused."""
    client: smtplib.SMTP | None = None
    try:
        if smtp.ssl:
            client = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.starttls:
            # Fails when the server does not offer STARTTLS: never fall back to plain text.
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        refused = client.send_message(mail)
        # The server has taken the mail: a failed goodbye must not become an error and a resend.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.quit()
        return refused
    finally:
        if client is not None:
            client.close()  # after a failure: no QUIT, which could wait out another timeout


def _smtp_failure(
    channel_id: str, where: str, exc: smtplib.SMTPException | OSError, smtp: SmtpSettings
) -> DeliveryError:
    """The DeliveryError for a failed SMTP session; the password is redacted from server replies."""
    secrets = [smtp.password]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return DeliveryError(
            channel_id, f"{where}: every recipient refused: {_refusals(exc.recipients)}", permanent=True
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = (
            exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        return DeliveryError(
            channel_id,
            f"{where}: server replied {exc.smtp_code} {redact_text(_one_line(reply), secrets)}",
            permanent=exc.smtp_code >= 500,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(channel_id, f"{where}: {redact_text(str(exc), secrets)}", permanent=True)
    if isinstance(exc, smtplib.SMTPException):  # includes a disconnect mid-conversation
        return DeliveryError(channel_id, f"{where}: {type(exc).__name__}: {redact_text(str(exc), secrets)}")
    if isinstance(exc, ssl.SSLError):
        return DeliveryError(channel_id, f"{where}: TLS failed: {exc.reason or exc}")
    if isinstance(exc, TimeoutError):
        return DeliveryError(channel_id, f"{where}: timed out after {smtp.timeout:g}s")
    return DeliveryError(channel_id, f"{where}: connection failed: {exc.strerror or exc}")


def _refusals(recipients: Mapping[str, tuple[int, bytes]]) -> str:
    return ", ".join(f"{address} ({code})" for address, (code, _) in recipients.items())


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- Slack and webhooks --------------------------------------------------------------------------
#
# Deliberately no network guard (fetching.check_destination) here: webhook receivers are often
# internal services, and the URL is set by the operator in the environment, not taken from feed
# content, so the SSRF concern behind the guard does not apply.


def _env_value(channel: ChannelConfig, name: str, env: Mapping[str, str]) -> str:
    value = (env.get(name) or "").strip()
    if not value:
        raise DeliveryError(channel.id, f"environment variable {name} is unset or empty", permanent=True)
    return value


def _extra_headers(channel: ChannelConfig, env: Mapping[str, str]) -> dict[str, str]:
    if not channel.headers_env:
        return {}
    raw = _env_value(channel, channel.headers_env, env)
    try:
        headers = json.loads(raw)
    except json.JSONDecodeError:
        headers = None
    # The message never quotes the value: it is likely to hold a token.
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise DeliveryError(
            channel.id,
            f"environment variable {channel.headers_env} must hold a JSON object of header names to strings",
            permanent=True,
        )
    return headers


def _secret_parts(url: str, headers: dict[str, str]) -> list[str]:
    """What of the request a receiver may echo back: the URL and its path segments and query
    values (a webhook's token), the password, and header values and their words ("Bearer x")."""
    parts = urlsplit(url)
    secrets = [url, parts.path if len(parts.path) > 1 else "", parts.query, parts.password or ""]
    secrets += [segment for segment in parts.path.split("/") if len(segment) >= 8]
    secrets += [value for _, _, value in (pair.partition("=") for pair in parts.query.split("&"))]
    for value in headers.values():
        secrets += [value, *value.split()]
    return [s for s in secrets if len(s) >= 4]


def _post_json(
    channel: ChannelConfig, body: dict[str, Any], env: Mapping[str, str], *, timeout: float, user_agent: str
) -> str:
    assert channel.url_env  # guaranteed by ChannelConfig for slack and webhook
    url = _env_value(channel, channel.url_env, env)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError(channel.id, f"{channel.url_env} does not hold an http(s) URL", permanent=True)
    extra = _extra_headers(channel, env)
    secrets = _secret_parts(url, extra)
    headers = {"User-Agent": user_agent, "Content-Type": "application/json", **extra}
    # default=str: an event carrying a datetime still serialises instead of failing delivery.
    content = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
    where = f"POST to the URL in {channel.url_env}"
    try:
        # `timeout` is the whole attempt's: connecting, sending, the answer's headers and whatever
        # of its body is read, however slowly the receiver trickles them.
        with (
            total_deadline(timeout),
            httpx.Client(
                transport=deadline_transport(), timeout=httpx.Timeout(timeout), follow_redirects=False
            ) as client,
            client.stream("POST", url, content=content, headers=headers) as response,
        ):
            status = response.status_code
            snippet = b""
            if status >= 300:
                for chunk in response.iter_bytes():
                    snippet += chunk
                    if len(snippet) >= _ERROR_BODY_CHARS:
                        break
    except httpx.TimeoutException as exc:
        cause = f"{where}: timed out after {timeout:g}s ({type(exc).__name__})"
        raise DeliveryError(channel.id, cause) from None
    except httpx.HTTPError as exc:
        cause = f"{where}: {type(exc).__name__}: {redact_text(str(exc), secrets)}"
        raise DeliveryError(channel.id, cause) from None
    if status >= 300:
        text = _one_line(snippet.decode("utf-8", "replace"))[:_ERROR_BODY_CHARS]
        cause = f"{where}: HTTP {status}" + (f": {redact_text(text, secrets)}" if text else "")
        # 4xx means the request itself is wrong (bad token, bad payload), except these two.
        raise DeliveryError(channel.id, cause, permanent=400 <= status < 500 and status not in (408, 429))
    return f"HTTP {status}"
