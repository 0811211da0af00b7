"""The FastAPI application: the search page at `/`, `GET /api/search`, and the page's static files.

Every link the page makes is either relative (`?q=...`) or starts with the ASGI root path, so the
same app works at `/` under `newsmon web` and under `/newsmon/` when Airflow's API server mounts it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from newsmon.errors import (
    IndexMissing,
    NewsmonError,
    QueryRejected,
    QueryTooCostly,
    StoreError,
    StoreUnavailable,
)
from newsmon.query_budget import QueryBudget, for_visitors
from newsmon.redaction import redact_url
from newsmon.search import search
from newsmon.settings import Settings, load_settings
from newsmon.storage import Storage
from newsmon.web import api, chart, page

log = logging.getLogger(__name__)
MAX_API_SIZE = 100  # results per API request (the query budget's size cap)
HERE = Path(str(resources.files("newsmon.web")))


def redact(url: str) -> str:
    """An Elasticsearch URL (or comma-separated list) fit to show: without user and password."""
    return ", ".join(redact_url(one.strip()) for one in url.split(","))


def marked(fragment: str | None) -> Markup:
    """A highlight fragment with `**term**` markers (as `newsmon search` gets them) as <mark> HTML;
    everything else in it is escaped."""
    if not fragment:
        return Markup("")
    parts = fragment.split("**")
    out = []
    for i, text in enumerate(parts):
        text = re.sub(r"\s+", " ", text)  # fragments keep the body's line breaks
        out.append(f"<mark>{escape(text)}</mark>" if i % 2 and i < len(parts) - 1 else str(escape(text)))
    return Markup("".join(out))


def emphasise(snippet: str | None, text: str | None) -> Markup:
    """The evidence snippet with the matched text (tagging's `text`) in <mark>, the rest escaped."""
    if not snippet:
        return Markup("")
    at = snippet.lower().find(text.lower()) if text else -1
    if at < 0:
        return Markup(escape(snippet))
    end = at + len(text or "")
    return Markup(f"{escape(snippet[:at])}<mark>{escape(snippet[at:end])}</mark>{escape(snippet[end:])}")


def safe_href(url: str | None) -> str | None:
    """Only http(s) URLs become links; a stored URL is data, not trusted markup."""
    return url if url and urlsplit(url).scheme in ("http", "https") else None


class _AppStorage:
    """One storage (one Elasticsearch client) per app, made on first use (settings may come from the environment
    only when a request arrives, e.g. in Airflow's API server)."""

    def __init__(self, settings_factory: Callable[[], Settings]):
        self._factory = settings_factory
        self._lock = threading.Lock()
        self._storage: Storage | None = None
        self._names: dict[str, str] | None = None
        self.settings: Settings | None = None

    def storage(self) -> Storage:
        with self._lock:
            if self._storage is None:
                self.settings = self._factory()
                self._storage = Storage.from_settings(self.settings)
            return self._storage

    def topic_names(self) -> dict[str, str]:
        """Topic id -> display name from topics.yaml; ids alone when it cannot be read."""
        if self._names is None:
            try:
                from newsmon.tagging import load_taxonomy

                assert self.settings is not None
                self._names = {t.id: t.name for t in load_taxonomy(self.settings.topics_path).topics}
            except Exception as exc:  # the page works without names
                log.warning("topic names unavailable (%s); showing topic ids", exc)
                self._names = {}
        return self._names

    def budget(self) -> QueryBudget:
        """The query budget of the page and the API (NEWSMON_SEARCH_TIMEOUT per search)."""
        return for_visitors(self.settings.search_timeout if self.settings else 10.0)

    def close(self) -> None:
        if self._storage is not None:
            self._storage.close()


def create_app(
    settings_factory: Callable[[], Settings] = load_settings, dependencies: Sequence[Any] = ()
) -> FastAPI:
    """The search application. `settings_factory` is called once, at the first request;
    `dependencies` run before every route (the Airflow plugin's login check). The auth layer in
    front of it says who the user is (newsmon.web.identity); without one, the analysts' API answers
    401."""
    app = FastAPI(
        dependencies=list(dependencies),
        title="newsmon search",
        description=(
            "Search stored articles with Lucene query-string syntax; alert rules, saved searches, "
            "visits and exports of the analysts who use the search page. Every route but the page and "
            "/api/search needs a user (Airflow's login inside Airflow; standalone, the loopback user or "
            "NEWSMON_WEB_TOKEN). State-changing requests from a browser carry the header X-CSRF-Token "
            "from GET /api/me; API clients with `Authorization: Bearer` need no CSRF token."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    backend = _AppStorage(settings_factory)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["marked"] = marked
    templates.env.filters["safe_href"] = safe_href
    templates.env.filters["emphasise"] = emphasise
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.router.add_event_handler("shutdown", backend.close)
    app.add_middleware(api.BodyLimit)
    api.install(app, backend)  # the analysts' API: rules, saved searches, visits, export

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return templates.TemplateResponse(
            request, name, {"root": root, "static": f"{root}/static", **context}, status_code=status
        )

    def unavailable(request: Request, exc: Exception) -> HTMLResponse:
        url = backend.settings.es_url_shown if backend.settings else "the configured URL"
        log.warning("Elasticsearch at %s unavailable: %s", url, type(exc.__cause__ or exc).__name__)
        return render(request, "unavailable.html", status=503, es_url=url)

    @app.get("/", response_class=HTMLResponse)
    def search_page(request: Request) -> Response:
        filters, problems = page.parse_filters(request.query_params)
        try:
            storage = backend.storage()
        except NewsmonError as exc:  # bad settings: the message names the variable
            return render(request, "unavailable.html", status=500, es_url=None, problem=str(exc))
        names = backend.topic_names()
        try:
            try:
                result, query_error = _search(storage, filters, names, backend.budget())
            except IndexMissing:
                return render(request, "unavailable.html", status=404, es_url=redact(storage.url),
                              not_set_up=storage.articles.alias)  # fmt: skip
            if result is not None:
                _attach_copies(storage, result)
            alerts = page.recent_alerts(storage)
            feeds = page.feed_health(storage)
        except StoreUnavailable as exc:
            return unavailable(request, exc)
        except StoreError as exc:  # e.g. 401 from a secured cluster: say so, without a traceback
            return render(request, "unavailable.html", status=502, es_url=redact(storage.url),
                          problem=f"Elasticsearch answered {exc.status} ({exc.error}).")  # fmt: skip
        return render(
            request,
            "search.html",
            status=400 if query_error else 200,
            f=filters,
            problems=problems,
            query_error=query_error,
            result=result,
            **_chart_context(result, names),
            alerts=alerts,
            feeds=feeds,
            names=names,
            content_type_labels=page.CONTENT_TYPE_LABELS,
            page_sizes=page.PAGE_SIZES,
            export_max=backend.settings.export_max if backend.settings else None,
            state=page.client_state(filters, request.scope.get("root_path", "").rstrip("/"), names),
            last_page=_last_page(result.total, filters.size) if result else 1,
        )

    @app.get("/api/search")
    def api_search(
        q: str = Query(..., description="Lucene query-string syntax"),
        topic: str | None = Query(None, description="only articles with this topic id"),
        since: str | None = Query(None, description="only articles published within, e.g. 30d"),
        size: int = Query(10, ge=0, le=MAX_API_SIZE, description=f"at most {MAX_API_SIZE}"),
        include_duplicates: bool = Query(False, description="also return copies of a story"),
        content_type: Literal["html", "pdf"] | None = Query(
            None,
            description="only HTML articles (html; documents stored before PDFs were read count as html) "
            "or only PDF documents (pdf)",
        ),  # fmt: skip
    ) -> Response:
        """What `newsmon search QUERY --json` prints, for the same arguments."""
        return _api_search(backend, q, topic, since, size, include_duplicates, content_type)

    return app


def _api_search(
    backend: _AppStorage,
    q: str,
    topic: str | None,
    since: str | None,
    size: int,
    include_duplicates: bool,
    content_type: str | None = None,
) -> Response:
    try:
        storage = backend.storage()
        result = search(
            storage,
            q,
            topic=topic,
            since=since,
            size=size,
            include_duplicates=include_duplicates,
            budget=backend.budget(),
            content_type=content_type,
        )
    except QueryTooCostly as exc:
        return JSONResponse({"error": str(exc)}, status_code=504 if exc.timed_out else 400)
    except IndexMissing:
        return JSONResponse({"error": "no articles index yet: run `newsmon setup`"}, status_code=404)
    except StoreUnavailable:
        url = backend.settings.es_url_shown if backend.settings else "the configured URL"
        return JSONResponse({"error": f"Elasticsearch at {url} is unreachable"}, status_code=503)
    except StoreError as exc:
        return JSONResponse({"error": f"Elasticsearch answered {exc.status}"}, status_code=502)
    except NewsmonError as exc:  # the query or --since could not be read
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(result)


def _search(
    storage: Storage, filters: page.Filters, names: dict[str, str], budget: QueryBudget
) -> tuple[page.Result | None, dict[str, str] | None]:
    """The page's search: its result, or why it was refused (words and reason): by the query budget
    or by Elasticsearch."""
    try:
        return page.search_page(storage, filters, names, budget), None
    except QueryTooCostly as exc:
        return None, {"words": str(exc), "reason": "", "budget": "1"}
    except QueryRejected as exc:
        return None, {"words": page.explain_query_error(filters.q, exc.body), "reason": exc.reason}


def _attach_copies(storage: Storage, result: page.Result) -> None:
    """The copies of each story on the page that has some, for its "n copies" list."""
    leaders = [h["id"] for h in result.hits if (h.get("cluster_size") or 1) > 1 and not h["duplicate_of"]]
    result.copies = page.copies_of(storage, leaders)


def _chart_context(result: page.Result | None, names: dict[str, str]) -> dict[str, Any]:
    """The template's chart variables: stories per day (or week, month) by subtopic."""
    rows, unit = chart.regroup(result.per_day) if result else ([], "day")
    series = chart.series_of(rows, names)
    label = f"Stories per {unit} by subtopic, {rows[0][0]} to {rows[-1][0]}" if rows else ""
    return {
        "series": series,
        "chart_rows": rows,
        "chart_unit": unit,
        "chart_svg": chart.stacked_bars(rows, series, label),
        "chart_label": label,
    }


def _last_page(total: int, size: int) -> int:
    return max(1, min((total + size - 1) // size, page.MAX_WINDOW // size))
