"""GET /v1/live and its Server-Sent Events stream: the stream processors' running aggregates."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from sse_starlette.sse import EventSourceResponse

from events.periods import Scope, check_period, current_period
from service.domain.counting import CellKey
from service.http.deps import Parts
from service.http.ports import LiveSource
from service.http.problems import Problem
from service.read.live import Row

router = APIRouter(tags=["live"])


@router.get("/v1/live", summary="Running aggregates from the stream processors")
async def get_live(
    parts: Parts,
    scope: Annotated[Scope, Query()] = "year",
    period: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    wijk: str | None = None,
) -> dict[str, Any]:
    period = _period(scope, period)
    rows = parts.live.aggregates.rows(scope, period, kind, category, wijk)
    return {
        "scope": scope,
        "period": period,
        "as_of": _as_of(parts.live),
        "rows": [row.public() for row in rows],
    }


@router.get("/v1/live/stream", summary="Server-Sent Events with the changed rows")
async def live_stream(
    request: Request,
    parts: Parts,
    scope: Annotated[Scope, Query()] = "year",
    period: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    wijk: str | None = None,
) -> EventSourceResponse:
    period = _period(scope, period)
    live = parts.live
    subscription = live.subscribe()
    wanted = _cell_filter(scope, period, kind, category, wijk)

    async def events() -> AsyncIterator[dict[str, str]]:
        try:
            # A fresh API has not read the changelog yet: a snapshot now would be zeros.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(live.caught_up.wait(), timeout=10)
            snapshot = live.aggregates.rows(scope, period, kind, category, wijk)
            yield _sse("snapshot", scope, period, snapshot, _as_of(live))
            while not await request.is_disconnected():
                changed = await subscription.changes(wait_seconds=5)
                rows = [live.aggregates.row(w) for w in sorted(changed, key=_order) if wanted(w)]
                if rows:
                    yield _sse("rows", scope, period, rows, _as_of(live))
        finally:
            live.unsubscribe(subscription)

    return EventSourceResponse(events(), ping=15)


def _period(scope: str, period: str | None) -> str:
    """The requested period in the scope's form, or the current one; Problem 400 if malformed."""
    if period is None:
        return current_period(scope)
    try:
        return check_period(scope, period)
    except ValueError as exc:
        raise Problem(400, "Bad Request", f"period: {exc}") from None


def _cell_filter(
    scope: str, period: str, kind: str | None, category: str | None, wijk: str | None
) -> Callable[[CellKey], bool]:
    def wanted(where: CellKey) -> bool:
        return (
            where.scope == scope
            and where.period == period
            and (kind is None or where.kind == kind)
            and (category is None or where.category == category)
            and (wijk is None or where.wijk == wijk)
        )

    return wanted


def _as_of(live: LiveSource) -> dict[str, Any]:
    return {"time": datetime.now(UTC).isoformat(), **live.lag()}


def _order(where: CellKey) -> tuple[str, str, str]:
    return (where.kind, where.category, where.wijk)


def _sse(
    name: str, scope: str, period: str, rows: list[Row], as_of: dict[str, Any]
) -> dict[str, str]:
    body = {"scope": scope, "period": period, "as_of": as_of, "rows": [r.public() for r in rows]}
    return {"event": name, "data": orjson.dumps(body).decode()}
