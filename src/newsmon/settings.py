"""Every `NEWSMON_*` variable, read and validated here and nowhere else (doc/operations.md, "Environment variables").

`load_settings()` reads the environment once into a typed `Settings`; a bad value is a ConfigError
that names the variable. Passwords, API keys and the Elasticsearch URL (which may carry
credentials) are secret types: they show as `**********` in a repr, a log line or a summary, and
code asks for their value only where it connects. Other environment variables that the
configuration names (`${VAR}` in feeds.yaml, `url_env` of an alert channel) are read through
`environment()`, so this module stays the only one that touches `os.environ`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from newsmon.errors import ConfigError
from newsmon.redaction import redact_url

ENV_PREFIX = "NEWSMON_"
DEFAULT_USER_AGENT = "newsmon/0.1 (+https://github.com/newsmon; arms-control news monitor)"
DEFAULT_SCHEDULE = "*/15 * * * *"

# The mapping the settings are read from: os.environ unless a caller (a test) passes its own.
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("newsmon_environ", default=None)


def environment() -> Mapping[str, str]:
    """The process environment, for variables the configuration names (`${VAR}`, `url_env`)."""
    return _ENVIRON.get() or os.environ


@dataclass(frozen=True)
class SmtpSettings:
    """Mail for alert channels: from NEWSMON_SMTP_* or the Airflow connection `newsmon_smtp`."""

    host: str
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # keep it out of logs
    from_addr: str = "newsmon@localhost"
    starttls: bool = False
    ssl: bool = False
    timeout: float = 10.0
    allow_plaintext_login: bool = False  # log in without STARTTLS or SSL (a trusted local relay)


class _MappingEnv(EnvSettingsSource):
    """The environment source, reading a given mapping when a caller passed one."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        given = _ENVIRON.get()
        if given is None:
            return super()._load_env_vars()
        return {k.lower(): v for k, v in given.items() if v != ""}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="ignore", validate_default=True
    )

    # Elasticsearch. The URL may carry credentials, hence a secret; `es_url_shown` is for messages.
    es_url: SecretStr = SecretStr("http://127.0.0.1:9200")
    es_username: str | None = None
    es_password: SecretStr | None = None
    es_api_key: SecretStr | None = None
    es_verify_certs: bool = True
    index_prefix: str = "newsmon-"
    bulk_chunk: int = Field(200, ge=1)
    # Rollover of the articles alias (news_maintenance): a new write index once the current one is
    # this old or its primary shards hold this much. Elasticsearch time and byte units.
    rollover_max_age: str = Field("30d", pattern=r"^\d+(d|h|m|s|ms)$")
    rollover_max_size: str = Field("25gb", pattern=r"^\d+(b|kb|mb|gb|tb)$")
    # Retention (news_maintenance's `prune`): whole articles indices whose newest article is older
    # than this, and what refers only to them, are removed. Unset keeps everything.
    retention: str | None = None
    # Snapshots the daily backup keeps (the oldest beyond this many are deleted).
    backup_keep: int = Field(14, ge=1)

    # Configuration files.
    config_dir: Path = Path("config")
    feeds_file: Path | None = None
    alerts_file: Path | None = None

    # Fetching.
    allow_private_networks: bool = False
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(20.0, gt=0)
    # One deadline for a whole request: connection, headers, body and every redirect hop.
    total_timeout: float = Field(120.0, gt=0)
    # One page's extraction (wall clock); past it the worker process is killed and replaced, the
    # page recorded as failed and not fetched again before a later retry time.
    extract_timeout: float = Field(30.0, gt=0)
    # One outside document's parse (a feed body, an OPML file): past it the parsing process is
    # killed and the document fails with "... took longer than N s to parse".
    parse_timeout: float = Field(20.0, gt=0)
    # Fetches ignore HTTP(S)_PROXY from the environment; this names the one proxy to use, if any.
    # A secret because a proxy URL may carry credentials.
    http_proxy: SecretStr | None = None
    max_feed_bytes: int = Field(5_000_000, gt=0)
    max_page_bytes: int = Field(3_000_000, gt=0)
    # PDF documents linked from feeds: their own byte cap (reports are larger than pages) and at most
    # this many pages read (the rest noted); their extraction has the budget of a page's.
    pdf_max_bytes: int = Field(20_000_000, gt=0)
    pdf_max_pages: int = Field(50, ge=1)
    max_redirects: int = Field(5, ge=0)
    # Extraction is CPU-bound: one process per core by default. Page fetches are I/O-bound threads.
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    fetch_concurrency: int = Field(8, ge=1)
    max_batches: int = Field(4, ge=1)

    # Feed polling: the adaptive interval lies between the DAG schedule and this ceiling.
    feed_max_interval: int = Field(86_400, ge=60)  # seconds
    feed_min_interval: int | None = Field(None, ge=60)  # seconds; default: the feeds.yaml schedule
    feed_gone_after_days: float = Field(7.0, gt=0)  # failing this long -> health `gone`
    # Sitemap sources: child sitemaps of an index (and of its child indexes) read per poll, at most.
    sitemap_max_children: int = Field(20, ge=1, le=1000)
    # Page sources: links remembered as seen per source (the state document stays small).
    page_seen_max: int = Field(500, ge=10, le=100_000)
    # Article pages: per-host politeness.
    host_concurrency: int = Field(2, ge=1)
    host_min_gap: float = Field(0.1, ge=0)  # seconds between the starts of two requests to one host

    # Story clusters: how far back near copies are looked for.
    dedupe_window_days: int = Field(30, ge=1)

    # Alert delivery.
    alert_retry_delays: Annotated[list[float], NoDecode] = Field(default_factory=lambda: [1.0, 2.0, 4.0])
    smtp_host: str | None = None
    smtp_port: int | None = Field(None, gt=0, lt=65536)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "newsmon@localhost"
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    # Sending the SMTP password without TLS needs saying so (a trusted relay on the same host).
    smtp_allow_plaintext_login: bool = False

    # Kibana (`newsmon kibana import`) and the link to it in the Airflow UI.
    kibana_url: str = "http://127.0.0.1:5601"
    kibana_username: str | None = None
    kibana_password: SecretStr | None = None
    kibana_space: str | None = None
    kibana_public_url: str = "http://localhost:5601"

    # `newsmon web` standalone: the host names it answers (besides the loopback names) and the token
    # it requires (any bind beyond loopback needs one). Searches of the page and its API run with a
    # query budget; this is the time one may take (Elasticsearch's `timeout`, and the client's).
    web_token: SecretStr | None = None
    web_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    search_timeout: float = Field(10.0, gt=0, le=300)
    # Inside Airflow with its simple auth manager (which grants a plugin's views to every role): the
    # lowest role that may create and change alert rules on the search page.
    airflow_edit_role: Literal["viewer", "user", "op", "admin"] = "user"
    # Rows one export of the search page (CSV or JSON) holds at most; a larger result set is cut
    # there and the answer says so.
    export_max: int = Field(10_000, ge=1, le=1_000_000)

    # Alert delivery bounds: one deadline per attempt (connection, headers, body), the failures in a
    # row after which a channel is skipped for the rest of the run, and the messages one rule sends
    # per run (the rest go into one summary message).
    alert_deadline: float = Field(20.0, gt=0, le=600)
    alert_breaker_failures: int = Field(3, ge=1)
    alert_cap_per_rule: int = Field(10, ge=1)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit values (CLI flags, the Airflow connection), then the environment; no .env file
        # and no secrets directory, so nothing is read from where an operator would not look.
        return init_settings, _MappingEnv(settings_cls)

    @field_validator("alert_retry_delays", mode="before")
    @classmethod
    def _delays(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return [float(x) for x in value.split(",") if x.strip()]
            except ValueError:
                raise ValueError(f"expected seconds separated by commas, e.g. 1,2,4; got {value!r}") from None
        return value

    @field_validator("retention")
    @classmethod
    def _retention(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)  # a ValueError is reported naming the variable
        return value.strip() if value is not None else None

    @field_validator("web_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            hosts = [h.strip().lower() for h in value.split(",") if h.strip()]
            for host in hosts:
                if "/" in host or "@" in host or " " in host:
                    raise ValueError(
                        f"expected host names separated by commas, e.g. news.example.org; got {host!r}"
                    )
            return hosts
        return value

    @field_validator("web_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 16:
            raise ValueError("the token must be at least 16 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("es_url")
    @classmethod
    def _es_url(cls, value: SecretStr) -> SecretStr:
        for url in value.get_secret_value().split(","):
            if not url.strip().startswith(("http://", "https://")):
                raise ValueError("expected http(s) URLs, comma-separated for several nodes")
        return value

    @field_validator("http_proxy")
    @classmethod
    def _proxy(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("http://", "https://")):
            raise ValueError("expected an http(s) proxy URL, e.g. http://proxy.internal:3128")
        return value

    @model_validator(mode="after")
    def _smtp(self) -> Settings:
        if self.smtp_ssl and self.smtp_starttls:
            raise ValueError(
                "NEWSMON_SMTP_SSL and NEWSMON_SMTP_STARTTLS: choose one (SSL is TLS from the start)"
            )
        if bool(self.smtp_username) != bool(self.smtp_password):
            raise ValueError("NEWSMON_SMTP_USERNAME and NEWSMON_SMTP_PASSWORD: set both or neither")
        return self

    def __repr_args__(self) -> Any:
        # Secret fields already show as stars; a plain URL field (kibana_url) may still carry a
        # user and password, so no repr, log line or summary ever prints them.
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if isinstance(value, str) and "://" in value else value

    @property
    def retention_period(self) -> timedelta | None:
        """NEWSMON_RETENTION as a time span; None keeps everything."""
        return parse_duration(self.retention) if self.retention else None

    @property
    def feeds_path(self) -> Path:
        return self.feeds_file or self.config_dir / "feeds.yaml"

    @property
    def topics_path(self) -> Path:
        return self.config_dir / "topics.yaml"

    @property
    def alerts_path(self) -> Path:
        return self.alerts_file or self.config_dir / "alerts.yaml"

    @property
    def es_url_shown(self) -> str:
        """The Elasticsearch URL(s) without credentials, for messages."""
        return ",".join(redact_url(u.strip()) for u in self.es_url.get_secret_value().split(","))

    def smtp(self) -> SmtpSettings | None:
        """Mail settings for the CLI; None when NEWSMON_SMTP_HOST is unset.

        Without NEWSMON_SMTP_PORT the port follows the transport: 465 for SSL, 587 for STARTTLS, else 25.
        """
        if not self.smtp_host or not self.smtp_host.strip():
            return None
        port = self.smtp_port or (465 if self.smtp_ssl else 587 if self.smtp_starttls else 25)
        return SmtpSettings(
            host=self.smtp_host.strip(),
            port=port,
            username=self.smtp_username or None,
            password=self.smtp_password.get_secret_value() if self.smtp_password else None,
            from_addr=self.smtp_from,
            starttls=self.smtp_starttls,
            ssl=self.smtp_ssl,
            allow_plaintext_login=self.smtp_allow_plaintext_login,
        )


_DURATION_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1),
                   "m": timedelta(minutes=1), "s": timedelta(seconds=1)}  # fmt: skip


def parse_duration(value: str) -> timedelta:
    """`180d`, `26w`, `12h`, `30m`, `45s` as a time span; a ValueError saying what is expected."""
    match = re.fullmatch(r"\s*(\d+)\s*([wdhms])\s*", value)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"expected a duration such as 180d, 26w or 12h (w, d, h, m, s), got {value!r}")
    return int(match.group(1)) * _DURATION_UNITS[match.group(2)]


@contextmanager
def _reading(environ: Mapping[str, str] | None) -> Iterator[None]:
    token = _ENVIRON.set(environ)
    try:
        yield
    finally:
        _ENVIRON.reset(token)


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from NEWSMON_* variables, then explicit overrides (CLI flags, Airflow connection).

    `environ` replaces the process environment (tests, benchmarks). Overrides that are None are
    ignored, so a CLI flag left unset keeps the variable's value.
    """
    # Any: the values are checked by Settings' validation, which reports them as ConfigError.
    given: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    with _reading(environ):
        try:
            return Settings(**given)
        except ValidationError as exc:
            problems = "; ".join(
                f"{variable_for(err['loc'][0]) if err.get('loc') else 'settings'}: "
                f"{err['msg'].removeprefix('Value error, ')}"
                for err in exc.errors()
            )
            raise ConfigError(f"invalid settings: {problems}") from None


def variable_for(field_name: object) -> str:
    """The environment variable of a Settings field: `workers` -> `NEWSMON_WORKERS`."""
    return f"{ENV_PREFIX}{str(field_name).upper()}"


def workers_from_environment() -> bool:
    """Whether NEWSMON_WORKERS is set (Airflow tasks default to one worker otherwise)."""
    return bool(environment().get(f"{ENV_PREFIX}WORKERS"))


def max_batches_from_environment() -> bool:
    """Whether NEWSMON_MAX_BATCHES is set (Airflow's prepare deals one batch per worker slot otherwise)."""
    return bool(environment().get(f"{ENV_PREFIX}MAX_BATCHES"))


def feeds_schedule() -> str:
    """`schedule:` of the feeds file, read when the DAG is parsed; every 15 minutes when it cannot be read.

    Cheap and never raises (yaml only, no validation): a broken file is reported by the run instead.
    """
    try:
        path = load_settings().feeds_path
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except Exception:
        return DEFAULT_SCHEDULE
    value = data.get("schedule") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value.strip() else DEFAULT_SCHEDULE
