"""The HTTP API (FastAPI), built by `build_api` from settings; no module-level app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from events.registry import Registries
from service.ingest import EventWriter, field_system_for, parse_body, validate_events
from service.problems import Problem
from service.settings import Settings
from service.topics import ensure_topics
from storage.engine import make_engine
from storage.errors import StorageError
from storage.migrate import upgrade
from storage.repository import GROUPS, SqlTotalsRepository, TotalsRepository

log = logging.getLogger(__name__)


class Accepted(BaseModel):
    accepted: int
    duplicates: int
    ids: list[str]


class TotalRowOut(BaseModel):
    kind: str | None
    category: str | None
    wijk: str | None
    count: int
    amount_cents: int
    illegal_fireworks_cents: int


class TotalsOut(BaseModel):
    year: int
    group_by: list[str]
    rows: list[TotalRowOut]


def build_api(
    settings: Settings,
    registries: Registries,
    repository: TotalsRepository | None = None,
    *,
    migrate: bool = True,
) -> FastAPI:
    repository = repository or SqlTotalsRepository(make_engine(settings.store_url))
    writer = EventWriter(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await asyncio.to_thread(upgrade, settings.store_url)
        # Kafka may come later than the API: check the topics in the background; meanwhile
        # /readyz and 503s say that it is missing.
        topics = asyncio.create_task(_ensure_topics_quietly(settings))
        yield
        topics.cancel()
        await writer.close()

    app = FastAPI(
        title="Wijkwacht",
        version="1",
        summary="Incident ingestion for the municipality's public-safety programme",
        lifespan=lifespan,
    )

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
        return Problem(exc.status_code, str(exc.detail), str(exc.detail)).response(request.url.path)

    @app.post(
        "/v1/events",
        status_code=202,
        response_model=Accepted,
        summary="Submit one event or a batch of events",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/cloudevents+json": {"schema": {"type": "object"}},
                    "application/cloudevents-batch+json": {
                        "schema": {"type": "array", "items": {"type": "object"}, "maxItems": 1000}
                    },
                },
            }
        },
    )
    async def post_events(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Accepted:
        field_system = field_system_for(authorization, settings.field_system_keys)
        body = await _read_body(request, settings.max_body_bytes)
        documents, _ = parse_body(body, request.headers.get("content-type", ""))
        events = validate_events(documents, registries, field_system)
        receipt = await writer.write(events)
        return Accepted(accepted=receipt.accepted, duplicates=receipt.duplicates, ids=receipt.ids)

    @app.get("/v1/totals", response_model=TotalsOut, summary="Yearly totals from the store")
    def get_totals(
        year: Annotated[int, Query(ge=2000, le=2100)],
        group_by: Annotated[str, Query(pattern=r"^(|[a-z,]+)$")] = "kind,category,wijk",
        kind: str | None = None,
        category: str | None = None,
        wijk: str | None = None,
    ) -> TotalsOut:
        groups = [g for g in group_by.split(",") if g]
        unknown = [g for g in groups if g not in GROUPS]
        if unknown:
            raise Problem(
                400,
                "Bad Request",
                f"group_by: cannot group by {', '.join(unknown)}; use any of {', '.join(GROUPS)}",
            )
        try:
            rows = repository.totals(
                year=year, group_by=groups, kind=kind, category=category, wijk=wijk
            )
        except StorageError as exc:
            raise Problem(503, "Service Unavailable", "the store is unavailable") from exc
        return TotalsOut(
            year=year,
            group_by=[g for g in GROUPS if g in groups],
            rows=[_row_out(row) for row in rows],
        )

    @app.get("/v1/registries", summary="Wijken, categories per kind, cameras and teams")
    def get_registries() -> dict[str, Any]:
        return registries.model_dump(mode="json")

    @app.get("/healthz", summary="The process lives")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="Broker and store reachable")
    async def readyz() -> Response:
        checks = {
            "store": await asyncio.to_thread(_store_ok, repository),
            "kafka": await _kafka_ok(settings),
        }
        ready = all(checks.values())
        body = {"status": "ready" if ready else "unavailable", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    return app


async def _ensure_topics_quietly(settings: Settings) -> None:
    try:
        await asyncio.wait_for(ensure_topics(settings), timeout=30)
    except Exception as exc:
        log.warning("could not check the topics at start-up: %s", exc)


def _row_out(row: Any) -> TotalRowOut:
    return TotalRowOut(
        kind=row.kind,
        category=row.category,
        wijk=row.wijk,
        count=row.count,
        amount_cents=row.amount_cents,
        illegal_fireworks_cents=row.illegal_fireworks_cents,
    )


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(413, "Content Too Large", f"the body may be at most {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, "Content Too Large", f"the body may be at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _store_ok(repository: TotalsRepository) -> bool:
    try:
        repository.ping()
    except StorageError:
        return False
    return True


async def _kafka_ok(settings: Settings) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, request_timeout_ms=3000)
    try:
        await asyncio.wait_for(admin.start(), timeout=3)
        await asyncio.wait_for(admin.list_topics(), timeout=3)
    except Exception:
        return False
    finally:
        await admin.close()
    return True
