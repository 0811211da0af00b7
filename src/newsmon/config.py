"""YAML configuration under config/, validated into typed objects.

Every error names the file, the key path and what was expected, so a typo in feeds.yaml reads as
`config/feeds.yaml: feeds[2].url: Field required` rather than a traceback.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from newsmon.errors import ConfigError
from newsmon.redaction import MASK, redact_url, strip_credentials
from newsmon.settings import environment

M = TypeVar("M", bound=BaseModel)

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_FEED_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


# The only variables a configuration file may name: anything else (NEWSMON_ES_PASSWORD, a cloud
# key) would be sent to whatever host the URL names.
EXPANDABLE_PREFIX = "NEWSMON_FEED_"


def expand_env(value: str, where: str) -> str:
    """Expand ${VAR} and ${VAR:-default} for variables named NEWSMON_FEED_*; another name, or an
    unset variable without default, is an error naming it and `where`."""

    def repl(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if not name.startswith(EXPANDABLE_PREFIX):
            raise ConfigError(
                f"{where}: ${{{name}}} is not allowed: only variables named {EXPANDABLE_PREFIX}* are "
                "expanded in configuration files"
            )
        found = environment().get(name)
        if found:
            return found
        if default is not None:
            return default
        raise ConfigError(f"{where}: environment variable {name} is not set")

    return _ENV_REF.sub(repl, value)


# libyaml's loader reads a 10,000-feed file about ten times faster than the pure-Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


def validation_problems(
    exc: ValidationError,
    path: Path,
    *,
    where: str = "",
    label: str = "",
    data: Any = None,
    named: tuple[str, str] | None = None,
) -> list[str]:
    """One line per problem: ``<file>: <key path> (<item> <id>): <message>``.

    The one formatter of validation errors for every config file. `where` prefixes the key path
    (`rules[2]`) and `label` follows it (`(rule nightly)`); with `named=(list_key, item)`, an error inside an element of
    `data[list_key]` that has an `id` names it, e.g. ``topics[3].terms[2].weight (topic
    arms_control.nuclear_testing)``.
    """
    items = data.get(named[0]) if named and isinstance(data, dict) else None
    lines = []
    for err in exc.errors():
        loc = err["loc"]
        key = _loc(loc) if loc else ""
        at = f"{where}.{key}" if where and key else (where or key or "(top level)")
        if label:
            at += f" {label}"
        if (
            named
            and len(loc) >= 2
            and loc[0] == named[0]
            and isinstance(loc[1], int)
            and isinstance(items, list)
        ):
            entry = items[loc[1]] if loc[1] < len(items) else None
            if isinstance(entry, dict) and entry.get("id"):
                at += f" ({named[1]} {entry['id']})"
        lines.append(f"{path}: {at}: {err['msg'].removeprefix('Value error, ')}")
    return lines


def validate(model: type[M], data: Any, path: Path, *, named: tuple[str, str] | None = None) -> M:
    """`data` validated as `model`; a ConfigError listing every problem otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(validation_problems(exc, path, data=data, named=named))) from None


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


SOURCE_TYPES = ("feed", "sitemap", "page")
# The settings that only one source type reads, and which one.
_ONLY_FOR = {"pattern": "page", "first_poll_max": "page", "max_age_days": "sitemap"}
REGEX_PREFIX = "re:"


def link_matcher(pattern: str) -> re.Pattern[str]:
    """A page source's `pattern` as one compiled regular expression searched in an absolute URL:
    `re:<regex>` as written, anything else a glob (`*`, `?`, `[...]`) that must match the whole URL.
    Raises ValueError naming what is wrong."""
    if pattern.startswith(REGEX_PREFIX):
        body = pattern[len(REGEX_PREFIX) :]
        if not body:
            raise ValueError("pattern 're:' has no regular expression after the prefix")
        try:
            return re.compile(body)
        except re.error as exc:
            raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from None
    if not pattern.strip():
        raise ValueError("pattern is empty")
    if not pattern.startswith(("http://", "https://", "*", "?", "[")):
        raise ValueError(
            f"pattern {pattern!r} is a glob on the absolute URL: start it with http(s):// or '*', "
            "e.g. '*/press/*', or write a regular expression as 're:/press/\\d+'"
        )
    return re.compile(fnmatch.translate(pattern))


class FeedConfig(BaseModel):
    """One source: a feed (RSS, RDF, Atom, JSON Feed), a sitemap or a listing page."""

    model_config = ConfigDict(extra="forbid")

    id: str
    url: str
    type: Literal["feed", "sitemap", "page"] = Field(
        "feed", description="feed (default), sitemap (news/plain sitemaps, indexes, gzip) or page"
    )
    # type: page -- which links of the page count, and how many the first poll takes.
    pattern: str | None = Field(None, description="glob on the absolute URL, or re:<regex>")
    first_poll_max: int = Field(10, ge=0, le=1000)
    # type: sitemap -- entries dated before this many days ago are left out (undated ones are kept).
    max_age_days: float = Field(2.0, gt=0, le=3650)
    name: str | None = None
    language: str | None = Field(None, description="hint used when a page declares none")
    enabled: bool = True
    max_entries: int = Field(100, ge=1, le=10_000)
    conditional: bool = Field(
        True, description="send ETag/Last-Modified validators; off for servers that lie"
    )
    robots: bool = Field(True, description="obey robots.txt for this feed's article pages")
    # What the URL may show of itself (no ${...} value, user, password or key) and the values that
    # ${...} put into it: secrets that stay in this process (see `shown_url` and `scrub`).
    _shown: str | None = PrivateAttr(None)
    _secrets: tuple[str, ...] = PrivateAttr(())

    def remember_template(self, template: str) -> None:
        """Before ${...} in the URL is expanded: the URL fit to show and the values to keep hidden."""
        self._shown = redact_url(_ENV_REF.sub(MASK, template))
        values = (environment().get(m.group(1)) or m.group(2) for m in _ENV_REF.finditer(template))
        self._secrets = tuple(v for v in values if v and len(v) >= 3)

    @property
    def shown_url(self) -> str:
        """The URL as pages, logs, the API and the stored feed state show it: no credentials."""
        return self._shown or redact_url(self.url)

    def scrub(self, text: str) -> str:
        """`text` (an error, a redirect target) without this feed's secrets or URL credentials."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            for form in {secret, quote(secret, safe=""), quote(secret, safe="/:@")}:
                text = text.replace(form, MASK)
        return strip_credentials(text)

    def scrub_url(self, url: str | None) -> str | None:
        return None if url is None else redact_url(self.scrub(url))

    @model_validator(mode="after")
    def _type_settings(self) -> FeedConfig:
        named = f"source {self.id!r} (type {self.type})"
        for key, owner in _ONLY_FOR.items():
            if key in self.model_fields_set and self.type != owner:
                raise ValueError(f"{named}: `{key}` applies only to type: {owner}")
        if self.type == "page":
            if not self.pattern:
                raise ValueError(
                    f"{named}: a page source needs a `pattern` saying which links count, "
                    "e.g. pattern: '*/press-releases/*'"
                )
            try:
                link_matcher(self.pattern)
            except ValueError as exc:
                raise ValueError(f"{named}: {exc}") from None
        return self

    def matcher(self) -> re.Pattern[str] | None:
        """The compiled `pattern` of a page source (validated when the file was read)."""
        return link_matcher(self.pattern) if self.pattern else None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _FEED_ID.match(value):
            raise ValueError(
                "must be lowercase letters, digits, '.', '_' or '-' (max 64), e.g. 'reuters-world'"
            )
        return value

    @field_validator("url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "${")):
            raise ValueError("must be an http:// or https:// URL")
        return value


class FeedsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schedule: str = "*/15 * * * *"
    feeds: list[FeedConfig]

    @field_validator("feeds")
    @classmethod
    def _unique_ids(cls, feeds: list[FeedConfig]) -> list[FeedConfig]:
        seen: set[str] = set()
        for feed in feeds:
            if feed.id in seen:
                raise ValueError(f"feed id {feed.id!r} appears twice")
            seen.add(feed.id)
        return feeds

    def enabled(self) -> list[FeedConfig]:
        return [f for f in self.feeds if f.enabled]

    def by_id(self) -> dict[str, FeedConfig]:
        return {f.id: f for f in self.feeds}


def feeds_dir(path: Path) -> Path:
    """The folder of extra feed files next to a feeds file: `config/feeds.d/` (OPML imports go there)."""
    return path.parent / "feeds.d"


def load_feeds(path: Path) -> FeedsConfig:
    """feeds.yaml plus every `feeds.d/*.yaml` next to it (each a mapping with a `feeds:` list)."""
    config = validate(FeedsConfig, read_yaml(path), path)
    _expand(config.feeds, path)
    extra = sorted(feeds_dir(path).glob("*.yaml")) if feeds_dir(path).is_dir() else []
    seen = {f.id: path for f in config.feeds}
    for other in extra:
        data = read_yaml(other)
        if data is None:
            continue
        part = validate(FeedsConfig, data, other)
        _expand(part.feeds, other)
        for feed in part.feeds:
            if feed.id in seen:
                raise ConfigError(f"{other}: feed id {feed.id!r} is already defined in {seen[feed.id]}")
            seen[feed.id] = other
        config.feeds.extend(part.feeds)
    return config


def _expand(feeds: list[FeedConfig], path: Path) -> None:
    for i, feed in enumerate(feeds):
        if "${" not in feed.url:
            continue
        feed.remember_template(feed.url)
        feed.url = expand_env(feed.url, f"{path}: feeds[{i}].url (feed {feed.id})")
        if not feed.url.startswith(("http://", "https://")):
            raise ConfigError(f"{path}: feeds[{i}].url: must be an http:// or https:// URL, got {feed.url!r}")
