"""The analysts' HTTP API beside the search page: who am I, alert rules (list, make, preview, change,
pause, delete, history), channels and schedules, saved searches, visits and exports.

Every route needs the identity the auth layer set (newsmon.web.identity): 401 without one. Every
state-changing request from a browser passes the cross-site check (403 otherwise), and rules are
changed only by users who may edit (403). Errors are JSON: `{"error": ..., "field": ...}` (the
field when one is at fault). The logic is in newsmon.alerts.owned and newsmon.web.analysts; the
routes translate HTTP to it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse

from newsmon import clock
from newsmon.alerts import owned
from newsmon.alerts.rules import LoadedAlerts, load_alerts
from newsmon.errors import (
    ConfigError,
    IndexMissing,
    NewsmonError,
    QueryRejected,
    QueryTooCostly,
    StoreError,
    StoreUnavailable,
)
from newsmon.query_budget import QueryBudget
from newsmon.settings import Settings
from newsmon.storage import Storage
from newsmon.web import analysts, export, page
from newsmon.web.identity import Identity, cross_site_problem, of_state

log = logging.getLogger(__name__)
EDIT_PERMISSION = "newsmon alerts"  # the custom view an Airflow operator grants for editing rules


class AppBackend(Protocol):
    settings: Settings | None

    def storage(self) -> Storage: ...

    def budget(self) -> QueryBudget: ...


class ApiProblem(Exception):
    def __init__(self, status: int, error: str, field: str | None = None):
        super().__init__(error)
        self.status, self.error, self.field = status, error, field


def problem(
    status: int, error: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"error": error}
    if field is not None:
        body["field"] = field
    return JSONResponse(body, status_code=status, headers=headers)


def reader(request: Request) -> Identity:
    """Anyone the auth layer let in; a state-changing browser request only from this server's page."""
    identity = of_state(request.state)
    if identity is None:
        raise ApiProblem(401, "no user on this request: sign in")
    refused = cross_site_problem(request.method, request.headers, identity)
    if refused:
        raise ApiProblem(403, refused)
    return identity


def editor(identity: Annotated[Identity, Depends(reader)]) -> Identity:
    """Someone who may create, change and delete alert rules."""
    if not identity.can_edit:
        raise ApiProblem(
            403, f"{identity.user} may not create or change alert rules: an operator grants it "
            f"(the {EDIT_PERMISSION!r} permission)",
        )  # fmt: skip
    return identity


def opened(request: Request) -> Iterator[Storage]:
    """The app's storage, with Elasticsearch's errors as newsmon's (a dependency, so that what a
    route raises passes through it)."""
    store = request.app.state.newsmon_backend.storage()
    with store.translated(store.names.articles):
        yield store


Reader = Annotated[Identity, Depends(reader)]
Editor = Annotated[Identity, Depends(editor)]
Store = Annotated[Storage, Depends(opened)]


def router(backend: AppBackend) -> APIRouter:  # noqa: C901 (one short function per route)
    api = APIRouter(prefix="/api")

    def alerts_config() -> LoadedAlerts:
        backend.storage()  # settings are made with the storage, at the first request
        assert backend.settings is not None
        return load_alerts(backend.settings.alerts_path)

    @api.get("/me", tags=["identity"])
    def me(who: Reader, store: Store) -> dict[str, Any]:
        """The user, whether they may edit rules, the CSRF token for state-changing browser requests
        (header X-CSRF-Token) and their previous visit."""
        previous = analysts.previous_visit(store, who.user)
        return {
            "user": who.user,
            "can_edit": who.can_edit,
            "csrf_token": who.csrf_token,
            "previous_visit": previous,
        }

    @api.post("/visits", tags=["identity"])
    def visit(who: Reader, store: Store) -> dict[str, Any]:
        """Record this visit; returns the previous one (what is newer is new to the user)."""
        return {"previous_visit": analysts.record_visit(store, who.user)}

    @api.get("/channels", tags=["alerts"])
    def channels(who: Reader) -> list[dict[str, str]]:
        """The channels the operator defined in alerts.yaml: id and type only."""
        return owned.channels_of(alerts_config())

    @api.get("/schedules", tags=["alerts"])
    def schedules(who: Reader) -> list[dict[str, str]]:
        """Digest schedule presets (cron in UTC)."""
        return owned.schedules()

    @api.get("/rules", tags=["alerts"])
    def rules(who: Reader, store: Store) -> dict[str, Any]:
        """Every rule: made on the page (editable by editors) and from configuration (read-only)."""
        return {"rules": owned.list_rules(store, who.can_edit)}

    @api.post("/rules/preview", tags=["alerts"])
    def preview(who: Reader, store: Store, body: owned.PreviewIn) -> dict[str, Any]:
        """What a rule of this query and filters would have sent over the last `since` days: total,
        stories per day, the newest 10 stories (copies of a story left out)."""
        return owned.preview(store, body, backend.budget())

    @api.post("/rules", status_code=201, tags=["alerts"])
    def create_rule(who: Editor, store: Store, body: owned.RuleIn) -> dict[str, Any]:
        """Make a rule, owned by the user; it matches new stories from the next monitoring pass."""
        return owned.create_rule(store, alerts_config(), body, who.user)

    @api.get("/rules/{rule_id}", tags=["alerts"])
    def get_rule(who: Reader, store: Store, rule_id: str) -> dict[str, Any]:
        return owned.get_rule(store, rule_id, who.can_edit)

    @api.put("/rules/{rule_id}", tags=["alerts"])
    def change_rule(who: Editor, store: Store, rule_id: str, body: owned.RuleChange) -> dict[str, Any]:
        """Change the fields given: `{"enabled": false}` pauses, `{"enabled": true}` resumes."""
        return owned.update_rule(store, alerts_config(), rule_id, body, who.user)

    @api.delete("/rules/{rule_id}", status_code=204, tags=["alerts"])
    def delete_rule(who: Editor, store: Store, rule_id: str) -> Response:
        owned.delete_rule(store, rule_id, who.user)
        return Response(status_code=204)

    @api.get("/rules/{rule_id}/history", tags=["alerts"])
    def rule_history(
        who: Reader, store: Store, rule_id: str, size: Annotated[int, Query(ge=1, le=500)] = 50
    ) -> dict[str, Any]:
        """What the rule sent, newest first: one row per story and channel, with its status."""
        return {"events": owned.history(store, rule_id, size)}

    @api.get("/saved-searches", tags=["searches"])
    def searches(who: Reader, store: Store) -> dict[str, Any]:
        """The user's own saved searches, newest first."""
        return {"searches": analysts.saved_searches(store, who.user)}

    @api.post("/saved-searches", status_code=201, tags=["searches"])
    def save_search(who: Reader, store: Store, body: analysts.SavedSearchIn) -> dict[str, Any]:
        return analysts.save_search(store, who.user, body)

    @api.delete("/saved-searches/{search_id}", status_code=204, tags=["searches"])
    def delete_search(who: Reader, store: Store, search_id: str) -> Response:
        """Delete one of the user's own searches (404 for anybody else's)."""
        analysts.delete_search(store, who.user, search_id)
        return Response(status_code=204)

    @api.get("/export", tags=["searches"], response_class=StreamingResponse)
    def export_results(
        request: Request,
        who: Reader,
        store: Store,
        q: Annotated[str, Query(description="Lucene query-string syntax; empty: every story")] = "",
        format: Annotated[Literal["csv", "json"], Query(description="csv or json")] = "csv",
        topic: Annotated[list[str], Query(description="topic id (repeatable: all of them)")] = [],  # noqa: B006
        entity: Annotated[list[str], Query(description="entity name (repeatable)")] = [],  # noqa: B006
        outlet: Annotated[list[str], Query(description="outlet domain (repeatable: any of them)")] = [],  # noqa: B006
        language: Annotated[list[str], Query(description="language code (repeatable: any of them)")] = [],  # noqa: B006
        since: Annotated[str | None, Query(description="published within, e.g. 30d")] = None,
        date_from: Annotated[str | None, Query(description="published on or after, YYYY-MM-DD")] = None,
        date_to: Annotated[str | None, Query(description="published on or before, YYYY-MM-DD")] = None,
        include_duplicates: Annotated[bool, Query(description="also the copies of a story")] = False,
    ) -> Response:
        """The search page's results (same query and filter parameters as its URL) as a CSV or
        JSON file, newest first, with the columns title, outlet, published, language, topics, url,
        cluster_size; at most NEWSMON_EXPORT_MAX rows (header X-Newsmon-Capped when cut)."""
        filters, problems = page.parse_filters(request.query_params)
        if problems:
            raise ApiProblem(422, problems[0], "since" if "within" in problems[0] else "date")
        assert backend.settings is not None
        plan = export.plan(store, filters, backend.settings.export_max, backend.budget())
        rows = export.rows(store, plan)
        body: Iterator[bytes] = export.csv_lines(rows) if format == "csv" else export.json_chunks(rows, plan)
        stamp = clock.now().strftime("%Y%m%d-%H%M%S")
        headers = {
            "Content-Disposition": f'attachment; filename="newsmon-export-{stamp}.{format}"',
            "Cache-Control": "no-store", "X-Newsmon-Total": str(plan.total), "X-Newsmon-Cap": str(plan.cap),
        }  # fmt: skip
        if plan.capped:
            headers["X-Newsmon-Capped"] = str(plan.cap)
        media = "text/csv; charset=utf-8" if format == "csv" else "application/json"
        return StreamingResponse(body, media_type=media, headers=headers)

    return api


def install(app: FastAPI, backend: AppBackend) -> None:
    """Add the API's routes and its JSON errors to the app."""
    app.state.newsmon_backend = backend
    app.include_router(router(backend))

    def settings_url() -> str:
        return backend.settings.es_url_shown if backend.settings else "the configured URL"

    async def on_problem(request: Request, exc: Exception) -> Response:
        return _response(exc, settings_url)

    for kind in (ApiProblem, NewsmonError):
        app.add_exception_handler(kind, on_problem)

    async def on_invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        if first.get("type") == "extra_forbidden":
            message = "not a field of this request"
        field = ".".join(loc) or "body"
        body = {"error": f"{field}: {message}", "field": field, "detail": _plain(errors)}
        return JSONResponse(body, status_code=422)

    app.add_exception_handler(RequestValidationError, on_invalid_request)


def _plain(errors: Any) -> Any:
    """Validation errors as JSON can hold them (pydantic puts exceptions in `ctx`)."""
    return [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in errors]


def _response(exc: Exception, es_url: Callable[[], str]) -> Response:  # noqa: C901 (a table of errors)
    if isinstance(exc, ApiProblem):
        headers = {"WWW-Authenticate": 'Bearer realm="newsmon"'} if exc.status == 401 else None
        return problem(exc.status, exc.error, exc.field, headers)
    if isinstance(exc, owned.Invalid):
        return problem(422, str(exc), exc.field)
    if isinstance(exc, owned.NotFound):
        return problem(404, str(exc))
    if isinstance(exc, owned.ReadOnly | owned.Conflict):
        return problem(409, str(exc))
    if isinstance(exc, QueryTooCostly):
        return problem(504 if exc.timed_out else 400, str(exc), "q")
    if isinstance(exc, QueryRejected):
        return problem(400, f"Elasticsearch cannot use this query: {exc.reason}", "q")
    if isinstance(exc, IndexMissing):
        return problem(404, "not set up yet: run `newsmon setup`")
    if isinstance(exc, StoreUnavailable):
        log.warning("Elasticsearch at %s unavailable: %s", es_url(), type(exc).__name__)
        return problem(503, f"Elasticsearch at {es_url()} is unreachable")
    if isinstance(exc, StoreError):
        return problem(502, f"Elasticsearch answered {exc.status}")
    if isinstance(exc, ConfigError):
        return problem(500, str(exc))
    return problem(400, str(exc))


MAX_BODY = 256 * 1024  # a rule or a saved search is a few KB; a query is at most 10,000 characters


class BodyLimit:
    """ASGI middleware: a request body past MAX_BODY bytes is refused with 413 before the app reads
    it into memory (by its Content-Length, or while it arrives when it has none)."""

    def __init__(self, app: Any, limit: int = MAX_BODY):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await problem(413, f"request body larger than {self.limit} bytes")(scope, receive, send)
            return
        seen = 0

        async def bounded() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                return {"type": "http.disconnect"}
            return message

        await self.app(scope, bounded, send)
