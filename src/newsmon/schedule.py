"""The DAG's schedule, read at parse time: so this module stays tiny (yaml only, no pydantic)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_SCHEDULE = "*/15 * * * *"


def feeds_schedule(config_dir: str | os.PathLike[str] | None = None) -> str:
    """`schedule:` of feeds.yaml, or every 15 minutes. Never raises: a broken file is reported at run time."""
    env_file = os.environ.get("NEWSMON_FEEDS_FILE")
    base = Path(config_dir or os.environ.get("NEWSMON_CONFIG_DIR") or "config")
    path = Path(env_file) if env_file else base / "feeds.yaml"
    try:
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except Exception:
        return DEFAULT_SCHEDULE
    value = data.get("schedule") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value.strip() else DEFAULT_SCHEDULE
