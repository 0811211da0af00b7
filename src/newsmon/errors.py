"""Errors that name the thing at fault; the CLI prints them without a traceback."""

from __future__ import annotations

from newsmon.redaction import redact_url, strip_credentials


class NewsmonError(Exception):
    """Base class of the errors newsmon reports to a person."""


class ConfigError(NewsmonError):
    """A configuration file or setting is wrong; the message names the file and key."""


class FetchError(NewsmonError):
    """A feed or page could not be fetched or is not what we can use."""

    def __init__(self, url: str, reason: str):
        # Both end up in logs, summaries and the feed state: never with a URL's user and password.
        self.url = redact_url(url)
        self.reason = strip_credentials(reason)
        super().__init__(f"{self.url}: {self.reason}")


class StoreUnavailable(NewsmonError):
    """Elasticsearch did not answer; the message names the URL tried."""
