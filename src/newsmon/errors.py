"""Errors that name the thing at fault; the CLI prints them without a traceback."""

from __future__ import annotations


class NewsmonError(Exception):
    """Base class of the errors newsmon reports to a person."""


class ConfigError(NewsmonError):
    """A configuration file or setting is wrong; the message names the file and key."""


class FetchError(NewsmonError):
    """A feed or page could not be fetched or is not what we can use."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class StoreUnavailable(NewsmonError):
    """Elasticsearch did not answer; the message names the URL tried."""
