"""Kibana saved objects: render the bundled NDJSON for an index prefix and import it.

The objects (data views for the articles alias, alert events, runs and feeds; saved searches;
visualizations and the "newsmon overview" dashboard) live in
``resources/kibana-saved-objects.ndjson`` with ``{{INDEX_PREFIX}}`` where the prefix goes, so a run
with ``NEWSMON_INDEX_PREFIX=test-`` gets data views on ``test-articles*`` whose ids don't collide
with the default ``newsmon-articles``.
"""

from __future__ import annotations

import json
import re
import time
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from newsmon.errors import NewsmonError

PLACEHOLDER = "{{INDEX_PREFIX}}"
DEFAULT_INDEX_PREFIX = "newsmon-"
# What Elasticsearch allows at the start of an index name, kept to characters that need no
# escaping inside a JSON string or a saved-object id.
_PREFIX_RE = re.compile(r"^(?:[a-z0-9][a-z0-9._-]*)?$")


class KibanaImportError(NewsmonError):
    """Kibana refused or failed the saved-object import; the message names the URL."""

    def __init__(self, url: str, reason: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(f"Kibana saved-object import to {url} failed: {reason}")
        self.url = url
        self.reason = reason
        self.errors = errors or []


def template_text() -> str:
    """The bundled NDJSON template, placeholder included."""
    return (resources.files("newsmon") / "resources" / "kibana-saved-objects.ndjson").read_text("utf-8")


def render_saved_objects(index_prefix: str, template: str | None = None) -> str:
    """The NDJSON with ``{{INDEX_PREFIX}}`` replaced; every line is checked to be a JSON object."""
    if not _PREFIX_RE.match(index_prefix):
        raise ValueError(
            f"index prefix {index_prefix!r} is not usable in index names: "
            "use lowercase letters, digits, '.', '_' or '-', not starting with '.', '_' or '-'"
        )
    text = (template_text() if template is None else template).replace(PLACEHOLDER, index_prefix)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"saved-objects NDJSON line {number} is not JSON: {exc}") from None
        if not isinstance(obj, dict) or "id" not in obj or "type" not in obj:
            raise ValueError(f"saved-objects NDJSON line {number} is not a saved object (id, type)")
    return text if text.endswith("\n") else text + "\n"


def import_saved_objects(
    kibana_url: str,
    ndjson_path: Path | None = None,
    *,
    username: str | None = None,
    password: str | None = None,
    space: str | None = None,
    index_prefix: str | None = None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Import saved objects into Kibana, overwriting objects with the same ids.

    Without ``ndjson_path`` the bundled objects are rendered for ``index_prefix`` (default:
    ``NEWSMON_INDEX_PREFIX``, then ``newsmon-``). A given file that still holds the placeholder is
    rendered too. Returns ``{"url", "success_count", "objects": [{"type", "id", "title"}],
    "warnings"}``; raises :class:`KibanaImportError` when the request fails or Kibana reports
    errors.
    """
    if index_prefix is None:
        from newsmon.settings import load_settings

        index_prefix = load_settings().index_prefix or DEFAULT_INDEX_PREFIX
    if ndjson_path is None:
        body, filename = render_saved_objects(index_prefix), "kibana-saved-objects.ndjson"
    else:
        raw = Path(ndjson_path).read_text("utf-8")
        body = render_saved_objects(index_prefix, raw) if PLACEHOLDER in raw else raw
        filename = Path(ndjson_path).name

    url = _api_url(kibana_url, space, "/api/saved_objects/_import")
    shown = _redact(url)
    auth = (username, password or "") if username else None
    try:
        response = httpx.post(
            url,
            params={"overwrite": "true"},
            headers={"kbn-xsrf": "true"},
            files={"file": (filename, body.encode("utf-8"), "application/ndjson")},
            auth=auth,
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise KibanaImportError(shown, f"{type(exc).__name__}: {exc}") from None

    if response.status_code >= 400:
        raise KibanaImportError(shown, f"HTTP {response.status_code}: {_message(response)}")
    try:
        result = response.json()
    except ValueError:
        raise KibanaImportError(shown, f"HTTP {response.status_code} with a non-JSON body") from None

    if not result.get("success"):
        errors = result.get("errors") or []
        detail = "; ".join(_describe(err) for err in errors) or "no errors listed"
        raise KibanaImportError(
            shown,
            f"{result.get('successCount', 0)} object(s) imported, {len(errors)} error(s): {detail}",
            errors,
        )
    return {
        "url": shown,
        "success_count": int(result.get("successCount", 0)),
        "objects": [
            {"type": r.get("type"), "id": r.get("id"), "title": (r.get("meta") or {}).get("title")}
            for r in result.get("successResults") or []
        ],
        "warnings": result.get("warnings") or [],
    }


def wait_for_kibana(
    url: str,
    timeout: float = 180.0,
    *,
    username: str | None = None,
    password: str | None = None,
    interval: float = 2.0,
) -> dict[str, Any]:
    """Poll ``/api/status`` until Kibana's overall level is ``available``; returns the status.

    Unauthenticated requests get a redacted status that still carries the overall level, so
    credentials are optional. Raises ``TimeoutError`` naming the URL and the last answer.
    """
    status_url = _api_url(url, None, "/api/status")
    auth = (username, password or "") if username else None
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while True:
        try:
            response = httpx.get(status_url, auth=auth, timeout=min(10.0, max(timeout, 0.1)))
            status: dict[str, Any] = response.json()  # AttributeError below when not an object
            overall = (status.get("status") or {}).get("overall") or {}
            level = overall.get("level") or overall.get("state")
            if response.status_code == 200 and level in ("available", "green"):
                return status
            last = f"HTTP {response.status_code}, level {level!r}"
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() + interval > deadline:
            raise TimeoutError(f"Kibana at {_redact(status_url)} not available after {timeout:.0f}s ({last})")
        time.sleep(interval)


def _api_url(base: str, space: str | None, path: str) -> str:
    base = base.rstrip("/")
    if space and space != "default":
        base = f"{base}/s/{space}"
    return base + path


def _redact(url: str) -> str:
    """The URL without any user:password part, for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason_phrase
    if isinstance(data, dict):
        return str(data.get("message") or data.get("error") or data)[:300]
    return str(data)[:300]


def _describe(err: dict[str, Any]) -> str:
    title = (err.get("meta") or {}).get("title") or err.get("title")
    error = err.get("error") or {}
    text = f"{err.get('type')}/{err.get('id')}"
    if title:
        text += f" ({title})"
    text += f": {error.get('type', 'error')}"
    refs = error.get("references")
    if refs:
        text += " " + ", ".join(f"{r.get('type')}/{r.get('id')}" for r in refs)
    if error.get("message"):
        text += f" - {error['message']}"
    return text
