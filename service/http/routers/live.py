"""GET /v1/live and its Server-Sent Events stream: the stream processors' running aggregates."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from sse_starlette.sse import EventSourceResponse

from events.kinds import SENSITIVE_CELL_KINDS
from events.periods import ANY_PERIOD_PATTERN, Scope, check_period, current_period
from service.domain.counting import CellKey
from service.domain.disclosure import hidden
from service.http.auth import OPERATOR, READER, Caller, requires
from service.http.deps import CategoryFilter, KindFilter, Parts, SettingsDep, WijkFilter
from service.http.limits import StreamCounts
from service.http.openapi import READERS
from service.http.problems import BAD_QUERY, FORBIDDEN_ROLE, UNAUTHORIZED, Problem, answers
from service.read.live import LiveState, Row

router = APIRouter(tags=["live"])
READ = Depends(requires(READER))
SEND_TIMEOUT = 10.0
SSE_EVENT = {  # one event of the stream
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"enum": ["snapshot", "rows"]},
        "data": {"type": "string", "description": "JSON: a body of GET /v1/live"},
    },
}


@dataclass(frozen=True, slots=True)
class LiveQuery:
    """Which live cells a request asks for: one scope and period, optionally filtered."""

    scope: str
    period: str
    kind: str | None
    category: str | None
    wijk: str | None
    # Readers get no small numbers of the sensitive kinds (None: an operator, who sees all).
    threshold: int | None = None

    def rows(self, live: LiveState) -> list[Row]:
        rows = live.aggregates.rows(self.scope, self.period, self.kind, self.category, self.wijk)
        if self.threshold is None:
            return rows
        hide: set[CellKey] = set()
        for kind in SENSITIVE_CELL_KINDS:
            of_kind = {r.where: (r.figures.count,) for r in rows if r.where.kind == kind}
            hide |= hidden(of_kind, self.threshold)
        return [r for r in rows if r.where not in hide]

    def wants(self, where: CellKey) -> bool:
        """Whether a changed cell goes to the stream: the sensitive kinds reach operators'
        streams only (readers read them, suppressed, from GET /v1/live)."""
        return (
            (self.threshold is None or where.kind not in SENSITIVE_CELL_KINDS)
            and where.scope == self.scope
            and where.period == self.period
            and (self.kind is None or where.kind == self.kind)
            and (self.category is None or where.category == self.category)
            and (self.wijk is None or where.wijk == self.wijk)
        )


def _live_query(
    scope: Annotated[
        Scope, Query(description="the scope of the current period, when `period` is omitted")
    ] = "year",
    period: Annotated[
        str | None,
        Query(
            description="a period in the form of `scope`: a year, month, ISO week or day "
            "(2022, 2022-12, 2022-W52, 2022-12-31); another form is refused with 400. "
            "Default: the current period of `scope`",
            # Documented only: a malformed period gets _period's 400, which says the form.
            json_schema_extra={"pattern": ANY_PERIOD_PATTERN},
        ),
    ] = None,
    kind: KindFilter = None,
    category: CategoryFilter = None,
    wijk: WijkFilter = None,
    *,
    settings: SettingsDep,
    caller: Annotated[Caller, READ],
) -> LiveQuery:
    threshold = None if OPERATOR in caller.roles else settings.open_data_threshold
    return LiveQuery(*period_of(scope, period), kind, category, wijk, threshold)


Selected = Annotated[LiveQuery, Depends(_live_query)]


@router.get(
    "/v1/live",
    summary="Running aggregates from the stream processors (readers)",
    responses=answers(BAD_QUERY, UNAUTHORIZED, FORBIDDEN_ROLE),
    dependencies=[READ],
    openapi_extra={"security": READERS},
)
async def get_live(parts: Parts, query: Selected) -> dict[str, Any]:
    return {
        "scope": query.scope,
        "period": query.period,
        "as_of": _as_of(parts.live),
        "rows": [row.public() for row in query.rows(parts.live)],
    }


@router.get(
    "/v1/live/stream",
    summary="Server-Sent Events with the changed rows (readers)",
    openapi_extra={"security": READERS},
    description="First a `snapshot` event, then `rows` with the changed rows within a second "
    "of a change; each has the body of GET /v1/live. The stream does not end by itself.",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": SSE_EVENT}}},
        **answers(
            BAD_QUERY,
            UNAUTHORIZED,
            FORBIDDEN_ROLE,
            (
                503,
                "This API serves its maximum of live streams, or this credential has its "
                "maximum open (WIJKWACHT_SSE_MAX_SUBSCRIBERS, _SSE_MAX_PER_CREDENTIAL)",
                {"Retry-After": "Seconds to wait before trying again"},
            ),
        ),
    },
)
async def live_stream(
    request: Request,
    parts: Parts,
    settings: SettingsDep,
    query: Selected,
    caller: Annotated[Caller, READ],
) -> EventSourceResponse:
    live = parts.live
    if live.subscriber_count >= settings.sse_max_subscribers:
        raise Problem(
            503,
            "Service Unavailable",
            f"this API serves {settings.sse_max_subscribers} live streams at most; try later",
            headers={"Retry-After": "10"},
        )
    streams: StreamCounts = request.app.state.streams
    if not streams.open(caller.name):
        raise Problem(
            503,
            "Service Unavailable",
            f"{caller.name!r} has {streams.per_credential} live streams open already; close "
            "one, or give each screen a key of its own",
            headers={"Retry-After": "10"},
        )
    subscription = live.subscribe()

    async def events() -> AsyncIterator[dict[str, str]]:
        try:
            # A fresh API has not read the changelog yet: a snapshot now would be zeros.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(live.caught_up.wait(), timeout=10)
            snapshot = [r for r in query.rows(live) if query.wants(r.where)]
            yield _sse("snapshot", query, snapshot, _as_of(live))
            while not await request.is_disconnected():
                changed = await subscription.changes(wait_seconds=5)
                wanted = sorted(filter(query.wants, changed), key=_order)
                rows = [live.aggregates.row(where) for where in wanted]
                if rows:
                    yield _sse("rows", query, rows, _as_of(live))
        finally:
            live.unsubscribe(subscription)
            streams.close(caller.name)

    # A reader that takes no data for SEND_TIMEOUT seconds is let go: it would hold its
    # place among the subscribers for ever.
    return EventSourceResponse(events(), ping=15, send_timeout=SEND_TIMEOUT)


def period_of(scope: str, period: str | None) -> tuple[str, str]:
    """The scope and period asked for: the period given, which must have the form of `scope`,
    or the current one of `scope`; Problem 400 naming the form otherwise."""
    if period is None:
        return scope, current_period(scope)
    try:
        return scope, check_period(scope, period)
    except ValueError as exc:
        raise Problem(400, "Bad Request", f"period: {exc}") from None


def _as_of(live: LiveState) -> dict[str, Any]:
    return {"time": datetime.now(UTC).isoformat(), **live.lag()}


def _order(where: CellKey) -> tuple[str, str, str]:
    return (where.kind, where.category, where.wijk)


def _sse(name: str, query: LiveQuery, rows: list[Row], as_of: dict[str, Any]) -> dict[str, str]:
    body = {
        "scope": query.scope,
        "period": query.period,
        "as_of": as_of,
        "rows": [r.public() for r in rows],
    }
    return {"event": name, "data": orjson.dumps(body).decode()}
