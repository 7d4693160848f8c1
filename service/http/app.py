"""The HTTP API's factory: settings, registries and collaborators in, a FastAPI app out.

No module-level app and no wiring here: the composition root (service/bootstrap.py) hands
the real collaborators, unit tests hand fakes (tests/unit/fakes.py).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from events.registry import Registries
from service.http.auth import Authenticator
from service.http.headers import SecurityHeaders
from service.http.keyring import KeyRing
from service.http.limits import RateLimiter, StreamCounts
from service.http.oidc import IdentityProvider
from service.http.openapi import install as install_openapi
from service.http.ports import ApiParts
from service.http.problems import Problem
from service.http.routers import (
    admin,
    cases,
    events,
    live,
    opendata,
    process,
    session,
    totals,
    trends,
)
from service.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"  # the dashboard: HTML, JS, CSS


def build_api(settings: Settings, registries: Registries, parts: ApiParts) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Kafka may come later than the API: the background work waits for it; meanwhile
        # /readyz and 503s say that it is missing.
        tasks = [asyncio.create_task(run()) for run in parts.background]
        yield
        for task in tasks:
            task.cancel()
        await parts.writer.close()

    # The interactive docs only in development; /openapi.json always (integrators generate
    # clients from it).
    docs = "/docs" if settings.env == "development" else None
    app = FastAPI(
        title="Wijkwacht",
        version="1",
        summary="Incident ingestion for the municipality's public-safety programme",
        lifespan=lifespan,
        docs_url=docs,
        redoc_url=None,
    )
    app.add_middleware(SecurityHeaders, exempt=(docs,) if docs else ())
    app.state.settings = settings
    app.state.registries = registries
    app.state.parts = parts
    app.state.keyring = KeyRing(settings)
    provider = IdentityProvider(settings) if settings.oidc_issuer is not None else None
    app.state.auth = Authenticator(settings, app.state.keyring, provider)
    app.state.streams = StreamCounts(settings.sse_max_per_credential)
    app.state.limiter = RateLimiter(
        settings.rate_limit, settings.rate_burst, settings.rate_limits_per_system
    )
    _answer_errors_as_problems(app)
    install_openapi(app)
    routers = (events, live, trends, cases, totals, opendata, session, process, admin)
    for router in (module.router for module in routers):
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _answer_errors_as_problems(app: FastAPI) -> None:
    """Every error answer is an RFC 9457 problem document."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return exc.response(request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"][1:]), "message": e["msg"]}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return Problem(400, "Bad Request", detail, errors=errors).response(request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        # Keep the exception's headers: a 405 must say which methods are allowed (`Allow`).
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette names only the first route of the path
            headers["Allow"] = ", ".join(_methods_of(app, request.url.path))
        problem = Problem(exc.status_code, str(exc.detail), str(exc.detail), headers=headers)
        return problem.response(request.url.path)


def _methods_of(app: FastAPI, path: str) -> list[str]:
    """Every method the OpenAPI document gives `path`: what `Allow` must list."""
    methods: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)
