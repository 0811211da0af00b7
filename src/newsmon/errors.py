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


class StoreReadOnly(StoreUnavailable):
    """Elasticsearch refuses writes: an index block (the flood-stage disk watermark's
    `index.blocks.read_only_allow_delete`, or a `write`/`read_only` block an operator set). Not a
    passing back-pressure: retrying at once cannot help, so the step stops; what was written stays.
    `index` is the index refused, `setting` the block's index setting."""

    def __init__(self, message: str, index: str, setting: str):
        self.index = index
        self.setting = setting
        super().__init__(message)


class StoreError(NewsmonError):
    """Elasticsearch refused a request: its HTTP status and error type, for a person to read."""

    def __init__(self, message: str, status: int, error: str):
        self.status = status
        self.error = error
        super().__init__(message)


class IndexMissing(StoreError):
    """The index (or alias) asked for does not exist: `newsmon setup` has not run."""

    def __init__(self, message: str, index: str):
        self.index = index
        super().__init__(message, 404, "index_not_found_exception")


class QueryRejected(StoreError):
    """Elasticsearch could not use a query (a Lucene parse error, usually). `reason` is its own
    words for why; `body` its whole answer, for a finer explanation."""

    def __init__(self, message: str, reason: str, body: object, error: str = "bad_request"):
        self.reason = reason
        self.body = body
        super().__init__(message, 400, error)


class QueryTooCostly(NewsmonError):
    """A search the query budget refuses (a leading wildcard, a regex, a short fuzzy term, ...) or
    that ran past its time limit; the message says which and what to do instead."""

    def __init__(self, message: str, timed_out: bool = False):
        self.timed_out = timed_out
        super().__init__(message)
