"""Runtime settings from the environment (see README, "Configuration")."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from newsmon.errors import ConfigError

DEFAULT_USER_AGENT = "newsmon/0.1 (+https://github.com/newsmon; arms-control news monitor)"


class Settings(BaseModel):
    es_url: str = "http://127.0.0.1:9200"
    es_username: str | None = None
    es_password: str | None = None
    es_api_key: str | None = None
    es_verify_certs: bool = True
    index_prefix: str = "newsmon-"
    config_dir: Path = Path("config")
    feeds_file: Path | None = None
    alerts_file: Path | None = None
    allow_private_networks: bool = False
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(20.0, gt=0)
    total_timeout: float = Field(120.0, gt=0)  # whole body of one feed or page
    max_feed_bytes: int = Field(5_000_000, gt=0)
    max_page_bytes: int = Field(3_000_000, gt=0)
    max_redirects: int = Field(5, ge=0)
    # Extraction is CPU-bound: one process per core by default. Page fetches are I/O-bound threads.
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    fetch_concurrency: int = Field(8, ge=1)
    max_batches: int = Field(4, ge=1)
    bulk_chunk: int = Field(200, ge=1)

    @property
    def feeds_path(self) -> Path:
        return self.feeds_file or self.config_dir / "feeds.yaml"

    @property
    def topics_path(self) -> Path:
        return self.config_dir / "topics.yaml"

    @property
    def alerts_path(self) -> Path:
        return self.alerts_file or self.config_dir / "alerts.yaml"


_ENV = {
    "NEWSMON_ES_URL": "es_url",
    "NEWSMON_ES_USERNAME": "es_username",
    "NEWSMON_ES_PASSWORD": "es_password",
    "NEWSMON_ES_API_KEY": "es_api_key",
    "NEWSMON_ES_VERIFY_CERTS": "es_verify_certs",
    "NEWSMON_INDEX_PREFIX": "index_prefix",
    "NEWSMON_CONFIG_DIR": "config_dir",
    "NEWSMON_FEEDS_FILE": "feeds_file",
    "NEWSMON_ALERTS_FILE": "alerts_file",
    "NEWSMON_ALLOW_PRIVATE_NETWORKS": "allow_private_networks",
    "NEWSMON_USER_AGENT": "user_agent",
    "NEWSMON_MAX_PAGE_BYTES": "max_page_bytes",
    "NEWSMON_MAX_FEED_BYTES": "max_feed_bytes",
    "NEWSMON_WORKERS": "workers",
    "NEWSMON_FETCH_CONCURRENCY": "fetch_concurrency",
    "NEWSMON_MAX_BATCHES": "max_batches",
}


def load_settings(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from NEWSMON_* variables, then explicit overrides (CLI flags, Airflow connection)."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for var, field in _ENV.items():
        raw = env.get(var)
        if raw is None or raw == "":
            continue
        if field == "allow_private_networks" or field == "es_verify_certs":
            values[field] = raw.strip().lower() in {"1", "true", "yes", "on"}
        else:
            values[field] = raw
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_var_for(err['loc'][0])}: {err['msg']}" for err in exc.errors() if err.get("loc")
        )
        raise ConfigError(f"invalid settings: {problems}") from None


def _var_for(field: object) -> str:
    for var, name in _ENV.items():
        if name == field:
            return var
    return str(field)
