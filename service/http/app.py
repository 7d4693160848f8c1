"""The HTTP API (FastAPI), built by `build_api` from settings; no module-level app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

import orjson
from fastapi import FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from sse_starlette.sse import EventSourceResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from events.periods import current_period
from events.registry import Registries
from service.domain.counting import CellKey
from service.domain.figures import Figures
from service.http import metrics
from service.http.intake import field_system_for, parse_body, validate_events
from service.http.metrics import kind_label
from service.http.problems import Problem
from service.kafka.errors import KafkaUnavailable
from service.kafka.retry import kafka_answers
from service.kafka.topics import ensure_topics
from service.kafka.writer import EventWriter
from service.read.live import LiveView, Row
from service.read.yearly import Key, YearTotals, compare, year_totals
from service.settings import Settings
from storage.engine import make_engine
from storage.errors import StorageError
from storage.migrate import upgrade
from storage.repository import GROUPS, SqlTotalsRepository, TotalsRepository, YearClosed

log = logging.getLogger(__name__)
Scope = Literal["day", "week", "month", "year"]
STATIC = FilePath(__file__).resolve().parent / "static"  # the dashboard: HTML, JS, CSS


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


class ClosingOut(BaseModel):
    closed_at: datetime
    closed_by: str


class TotalsOut(BaseModel):
    year: int
    group_by: list[str]
    rows: list[TotalRowOut] = Field(
        description="The year's totals; for a closed year, as published when it was closed"
    )
    closed: ClosingOut | None = Field(description="When and by whom the year was closed")
    adjustments: list[TotalRowOut] = Field(
        description="Closed years only: what changed after closing (late events, revisions, "
        "withdrawals), as differences; never included in rows"
    )


class FiguresOut(BaseModel):
    count: int
    amount_cents: int
    illegal_fireworks_cents: int


class ChangeOut(BaseModel):
    count: float | None
    amount_cents: float | None
    illegal_fireworks_cents: float | None


class CompareRowOut(BaseModel):
    kind: str | None
    category: str | None
    wijk: str | None
    year: FiguresOut
    base: FiguresOut
    difference: FiguresOut
    change_percent: ChangeOut = Field(description="null where the base year has 0")


class CompareOut(BaseModel):
    year: int
    base: int
    group_by: list[str]
    rows: list[CompareRowOut]
    closed: dict[str, ClosingOut | None]
    adjustments: dict[str, list[TotalRowOut]]


def build_api(
    settings: Settings,
    registries: Registries,
    repository: TotalsRepository | None = None,
    *,
    migrate: bool = True,
) -> FastAPI:
    repository = repository or SqlTotalsRepository(make_engine(settings.store_url))
    writer = EventWriter(settings)
    live = LiveView(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await asyncio.to_thread(upgrade, settings.store_url)
        # Kafka may come later than the API: check the topics in the background; meanwhile
        # /readyz and 503s say that it is missing.
        topics = asyncio.create_task(_ensure_topics_quietly(settings))
        reader = asyncio.create_task(live.run())
        yield
        topics.cancel()
        reader.cancel()
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
        documents: list[Any] = []
        try:
            field_system = field_system_for(authorization, settings.field_system_keys)
            body = await _read_body(request, settings.max_body_bytes)
            documents = parse_body(body, request.headers.get("content-type", ""))
            kinds = [kind_label(d) for d in documents]
            for kind in kinds:
                metrics.EVENTS_RECEIVED.labels(kind).inc()
            events = validate_events(documents, registries, field_system)
            try:
                receipt = await writer.write(events)
            except KafkaUnavailable as exc:
                raise Problem(503, "Service Unavailable", str(exc)) from exc
        except Problem as problem:
            metrics.REQUESTS_REJECTED.labels(
                metrics.REJECTION_REASONS.get(problem.status, "other")
            ).inc()
            for error in problem.errors or []:
                kind = kind_label(documents[error["index"]])
                metrics.EVENTS_REJECTED.labels(kind, metrics.field_label(error["field"])).inc()
            raise
        seen: set[tuple[str, str]] = set()
        for kind, event in zip(kinds, events, strict=True):
            if (event.source, event.id) in seen:
                metrics.EVENTS_DUPLICATE.labels(kind).inc()
            else:
                seen.add((event.source, event.id))
                metrics.EVENTS_ACCEPTED.labels(kind).inc()
        return Accepted(accepted=receipt.accepted, duplicates=receipt.duplicates, ids=receipt.ids)

    def read_year(year: int, group_by: str, **where: str | None) -> YearTotals:
        groups = [g for g in group_by.split(",") if g]
        unknown = [g for g in groups if g not in GROUPS]
        if unknown:
            raise Problem(
                400,
                "Bad Request",
                f"group_by: cannot group by {', '.join(unknown)}; use any of {', '.join(GROUPS)}",
            )
        try:
            return year_totals(repository, year, groups, **where)
        except StorageError as exc:
            raise Problem(503, "Service Unavailable", "the store is unavailable") from exc

    @app.get("/v1/totals", response_model=TotalsOut, summary="Yearly totals from the store")
    def get_totals(
        year: Annotated[int, Query(ge=2000, le=2100)],
        group_by: Annotated[str, Query(pattern=r"^(|[a-z,]+)$")] = "kind,category,wijk",
        kind: str | None = None,
        category: str | None = None,
        wijk: str | None = None,
    ) -> TotalsOut:
        totals = read_year(year, group_by, kind=kind, category=category, wijk=wijk)
        return TotalsOut(
            year=year,
            group_by=list(totals.group_by),
            rows=_rows_out(totals.rows),
            closed=_closing_out(totals),
            adjustments=_rows_out(totals.adjustments),
        )

    @app.get(
        "/v1/totals/compare",
        response_model=CompareOut,
        summary="Two years side by side, with the difference and the percentage change",
    )
    def get_compare(
        year: Annotated[int, Query(ge=2000, le=2100)],
        base: Annotated[int, Query(ge=2000, le=2100)],
        group_by: Annotated[str, Query(pattern=r"^(|[a-z,]+)$")] = "kind,category,wijk",
        kind: str | None = None,
        category: str | None = None,
        wijk: str | None = None,
    ) -> CompareOut:
        where = {"kind": kind, "category": category, "wijk": wijk}
        this, before = read_year(year, group_by, **where), read_year(base, group_by, **where)
        return CompareOut(
            year=year,
            base=base,
            group_by=list(this.group_by),
            rows=[
                CompareRowOut(
                    kind=c.key[0],
                    category=c.key[1],
                    wijk=c.key[2],
                    year=_figures_out(c.year),
                    base=_figures_out(c.base),
                    difference=_figures_out(c.difference),
                    change_percent=ChangeOut(
                        count=c.change_percent("count"),
                        amount_cents=c.change_percent("amount_cents"),
                        illegal_fireworks_cents=c.change_percent("illegal_fireworks_cents"),
                    ),
                )
                for c in compare(this, before)
            ],
            closed={str(t.year): _closing_out(t) for t in (this, before)},
            adjustments={str(t.year): _rows_out(t.adjustments) for t in (this, before)},
        )

    @app.post(
        "/v1/years/{year}/close",
        response_model=ClosingOut,
        status_code=201,
        summary="Close a year (operators only): freeze its totals as published",
        responses={409: {"description": "The year is closed already"}},
    )
    def close(
        year: Annotated[int, Path(ge=2000, le=2100)],
        authorization: Annotated[str | None, Header()] = None,
    ) -> ClosingOut:
        operator = field_system_for(authorization, settings.operator_keys)
        try:
            closing = repository.close_year(year, by=operator)
        except YearClosed as exc:
            raise Problem(409, "Conflict", str(exc)) from exc
        except StorageError as exc:
            raise Problem(503, "Service Unavailable", "the store is unavailable") from exc
        log.info("year %d closed by %s", year, operator)
        return ClosingOut(closed_at=closing.closed_at, closed_by=closing.closed_by)

    @app.get("/v1/live", summary="Running aggregates from the stream processors")
    async def get_live(
        scope: Annotated[Scope, Query()] = "year",
        period: str | None = None,
        kind: str | None = None,
        category: str | None = None,
        wijk: str | None = None,
    ) -> dict[str, Any]:
        period = _period(scope, period)
        rows = live.aggregates.rows(scope, period, kind, category, wijk)
        return {
            "scope": scope,
            "period": period,
            "as_of": _as_of(live),
            "rows": [_live_row(row) for row in rows],
        }

    @app.get("/v1/live/stream", summary="Server-Sent Events with the changed rows")
    async def live_stream(
        request: Request,
        scope: Annotated[Scope, Query()] = "year",
        period: str | None = None,
        kind: str | None = None,
        category: str | None = None,
        wijk: str | None = None,
    ) -> EventSourceResponse:
        period = _period(scope, period)
        subscription = live.subscribe()

        def wanted(where: CellKey) -> bool:
            return (
                where.scope == scope
                and where.period == period
                and (kind is None or where.kind == kind)
                and (category is None or where.category == category)
                and (wijk is None or where.wijk == wijk)
            )

        async def events() -> AsyncIterator[dict[str, str]]:
            try:
                # A fresh API has not read the changelog yet: a snapshot now would be zeros.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(live.caught_up.wait(), timeout=10)
                snapshot = live.aggregates.rows(scope, period, kind, category, wijk)
                yield _sse("snapshot", scope, period, snapshot, _as_of(live))
                while not await request.is_disconnected():
                    changed = await subscription.changes(wait_seconds=5)
                    rows = [
                        live.aggregates.row(w) for w in sorted(changed, key=_order) if wanted(w)
                    ]
                    if rows:
                        yield _sse("rows", scope, period, rows, _as_of(live))
            finally:
                live.unsubscribe(subscription)

        return EventSourceResponse(events(), ping=15)

    @app.get("/v1/registries", summary="Wijken, categories per kind, cameras and teams")
    def get_registries() -> dict[str, Any]:
        return registries.model_dump(mode="json")

    @app.get("/metrics", summary="Prometheus metrics of this API process")
    def get_metrics() -> Response:
        lag = live.lag()
        for partition, behind in (lag.get("partitions") or {}).items():
            metrics.CONSUMER_LAG.labels(partition).set(behind)
        if live.dead_letters is not None:
            metrics.DEAD_LETTERS.set(live.dead_letters)
        metrics.SSE_CLIENTS.set(live.subscriber_count)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", summary="The process lives")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="Broker and store reachable")
    async def readyz() -> Response:
        checks = {
            "store": await asyncio.to_thread(_store_ok, repository),
            "kafka": await kafka_answers(settings.bootstrap),
        }
        ready = all(checks.values())
        body = {"status": "ready" if ready else "unavailable", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


async def _ensure_topics_quietly(settings: Settings) -> None:
    try:
        await asyncio.wait_for(ensure_topics(settings), timeout=30)
    except Exception as exc:
        log.warning("could not check the topics at start-up: %s", exc)


def _period(scope: str, period: str | None) -> str:
    """The requested period in the scope's form, or the current one; Problem 400 if malformed."""
    if period is None:
        return current_period(scope)
    if not re.fullmatch(_PERIOD_FORMS[scope], period):
        raise Problem(
            400,
            "Bad Request",
            f"period: {period!r} is not a {scope} like {_PERIOD_EXAMPLES[scope]}",
        )
    return period


_PERIOD_FORMS = {
    "year": r"\d{4}",
    "month": r"\d{4}-(0[1-9]|1[0-2])",
    "week": r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])",
    "day": r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])",
}
_PERIOD_EXAMPLES = {"year": "2022", "month": "2022-12", "week": "2022-W52", "day": "2022-12-31"}


def _as_of(live: LiveView) -> dict[str, Any]:
    return {"time": datetime.now(UTC).isoformat(), **live.lag()}


def _order(where: CellKey) -> tuple[str, str, str]:
    return (where.kind, where.category, where.wijk)


def _live_row(row: Row) -> dict[str, Any]:
    return row.public()


def _sse(
    name: str, scope: str, period: str, rows: list[Row], as_of: dict[str, Any]
) -> dict[str, str]:
    body = {"scope": scope, "period": period, "as_of": as_of, "rows": [_live_row(r) for r in rows]}
    return {"event": name, "data": orjson.dumps(body).decode()}


def _rows_out(rows: dict[Key, Figures]) -> list[TotalRowOut]:
    return [
        TotalRowOut(kind=k[0], category=k[1], wijk=k[2], **_figures_out(f).model_dump())
        for k, f in rows.items()
    ]


def _figures_out(figures: Figures) -> FiguresOut:
    return FiguresOut(
        count=figures.count,
        amount_cents=figures.amount_cents,
        illegal_fireworks_cents=figures.illegal_fireworks_cents,
    )


def _closing_out(totals: YearTotals) -> ClosingOut | None:
    if totals.closing is None:
        return None
    return ClosingOut(closed_at=totals.closing.closed_at, closed_by=totals.closing.closed_by)


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
