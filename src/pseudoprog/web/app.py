"""The FastAPI application of ``pseudoprog serve``: pages, the API under ``/api/v1``, and
what every response shares (security headers, the access log, errors).

Every route but the login, ``/health`` and the static files needs an authenticated user:
pages redirect to the login, the API answers 401. The access log records method, route
template (``/lesions/{lesion_id}``, never the ids or query strings), status and time, so no
patient data reaches the logs.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pseudoprog.store import Database, upgrade
from pseudoprog.web.auth import AddressThrottle, CsrfError, ForbiddenError, NotAuthenticatedError

__all__ = ["create_app"]

log = logging.getLogger("pseudoprog.web")

_HERE = Path(__file__).parent
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _route_template(scope: Scope) -> str:
    for route in scope["app"].router.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", "?"))
    return "(no route)"


_HEADERS = [
    (b"content-security-policy", _CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
_NO_STORE = (b"cache-control", b"no-store")
_REPLACED = {name for name, _ in _HEADERS} | {_NO_STORE[0]}


class SecurityHeaders:
    """Security headers on every response (``Cache-Control: no-store`` on all but the static
    files) and the access log line: method, route template, status and time.

    A plain ASGI middleware: it adds the headers to the response's start message as it
    passes, without buffering the response or starting tasks.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        static = scope["path"].startswith("/static/")
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0].lower() not in _REPLACED]
                headers += _HEADERS if static else [*_HEADERS, _NO_STORE]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "%s %s %d %.1f ms",
                    scope["method"],
                    _route_template(scope),
                    status,
                    (time.perf_counter() - start) * 1000,
                )


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def create_app(database: Database | str, *, secure_cookies: bool = False) -> FastAPI:
    """The application on ``database`` (a :class:`~pseudoprog.store.Database` or a URL).

    The schema is brought up to date first (Alembic migrations packaged with pseudoprog).
    ``secure_cookies`` marks the session cookie Secure (serve over HTTPS behind a proxy).
    """
    db = Database.open(database) if isinstance(database, str) else database
    upgrade(db)
    app = FastAPI(
        title="pseudoprog",
        summary="Pseudoprogression versus progression: the clinic's longitudinal record.",
        version="1",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.database = db
    app.state.secure_cookies = secure_cookies
    app.state.login_throttle = AddressThrottle()
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(NotAuthenticatedError)
    async def not_authenticated(request: Request, _exc: NotAuthenticatedError) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": "not authenticated: get a token from POST /api/v1/token"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path if request.method == "GET" else "/"
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(ForbiddenError)
    async def forbidden(request: Request, exc: ForbiddenError) -> Response:
        return _error(request, 403, str(exc))

    @app.exception_handler(CsrfError)
    async def csrf_failed(request: Request, _exc: CsrfError) -> Response:
        return _error(
            request, 403, "the form's security token is missing or old; reload the page and retry"
        )

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, _exc: StaleDataError) -> Response:
        return _error(
            request, 409, "this row was changed by someone else meanwhile; reload it and retry"
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"field": ".".join(str(x) for x in e.get("loc", ())[1:]), "problem": e.get("msg")}
            for e in exc.errors()
        ]
        if _is_api(request):
            return JSONResponse({"detail": "invalid request", "problems": problems}, 422)
        return _error(request, 422, "; ".join(f"{p['field']}: {p['problem']}" for p in problems))

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")

    from pseudoprog.web import api, cohort, interop, pages, users

    # The routers' routes are added as they are (their paths are complete), so that
    # ``app.routes`` lists every route: the access log and the route-walking test read it.
    routers = (api.router, api.schema_router, interop.router, pages.router, cohort.router)
    for router in (*routers, users.router):
        app.router.routes.extend(router.routes)
    return app


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    from pseudoprog.web.pages import error_page

    return error_page(request, status, message)
