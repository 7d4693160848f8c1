"""The process's own endpoints: registries, liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.http import metrics
from service.http.auth import READER, requires
from service.http.deps import Parts, RegistriesDep
from service.http.openapi import READERS
from service.http.ports import ApiParts
from service.http.problems import FORBIDDEN_ROLE, UNAUTHORIZED, answers
from service.read.health import Pipeline
from storage.errors import StorageError
from storage.repository import TotalsRepository

router = APIRouter()
READ = Depends(requires(READER))
READINESS = {
    "type": "object",
    "required": ["status", "checks", "pipeline"],
    "properties": {
        "status": {"enum": ["ready", "degraded", "unavailable"]},
        "checks": {
            "type": "object",
            "properties": {"store": {"type": "boolean"}, "kafka": {"type": "boolean"}},
        },
        "pipeline": {"type": "object"},
    },
}


@router.get(
    "/v1/registries",
    summary="Wijken, categories per kind, cameras and teams (readers)",
    responses=answers(UNAUTHORIZED, FORBIDDEN_ROLE),
    dependencies=[READ],
    openapi_extra={"security": READERS},
)
def get_registries(registries: RegistriesDep) -> dict[str, Any]:
    return registries.model_dump(mode="json")


@router.get(
    "/metrics",
    summary="Prometheus metrics of this API process (readers: give Prometheus a reader key)",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **answers(UNAUTHORIZED, FORBIDDEN_ROLE),
    },
    dependencies=[READ],
    openapi_extra={"security": READERS},
)
async def get_metrics(parts: Parts) -> Response:
    live = parts.live
    for partition, behind in (live.lag().get("partitions") or {}).items():
        metrics.CONSUMER_LAG.labels(partition).set(behind)
    pipeline = await _pipeline(parts)
    for gauge, value in (
        (metrics.DEAD_LETTERS, pipeline.dead_letters),
        (metrics.WORKERS, pipeline.workers),
        (metrics.MATERIALISERS, pipeline.materialisers),
        (metrics.STORE_LAG, pipeline.store_behind),
        (metrics.QUARANTINED, pipeline.quarantined_rows),
    ):
        if value is not None:
            gauge.set(value)
    metrics.LAG_GROWING.set(int(pipeline.lag_growing))
    metrics.SSE_CLIENTS.set(live.subscriber_count)
    metrics.CHANGELOG_UNDECODABLE.set(live.undecodable)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz", summary="The process lives")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Broker and store reachable (200, else 503), and the pipeline's health",
    description="`status` is `ready`, `degraded` (this process can serve, but `pipeline."
    "problems` names what an operator must look at: no worker, a growing lag, a store that "
    "stands still, quarantined rows) or `unavailable` (503).",
    responses={
        200: {"content": {"application/json": {"schema": READINESS}}},
        503: {
            "description": "Kafka or the store does not answer: `status` is `unavailable`",
            "content": {"application/json": {"schema": READINESS}},
        },
    },
)
async def readyz(parts: Parts) -> Response:
    checks = {
        "store": await asyncio.to_thread(_store_ok, parts.repository),
        "kafka": await parts.kafka_ready(),
    }
    pipeline = await _pipeline(parts) if checks["store"] else parts.live.pipeline()
    if not all(checks.values()):
        status = "unavailable"
    else:
        status = "degraded" if pipeline.problems() else "ready"
    body = {"status": status, "checks": checks, "pipeline": pipeline.public()}
    return JSONResponse(body, status_code=503 if status == "unavailable" else 200)


async def _pipeline(parts: ApiParts) -> Pipeline:
    """The live view's measurement, with the store's count of quarantined rows."""
    try:
        quarantined = await asyncio.to_thread(parts.repository.quarantined)
    except StorageError:
        return parts.live.pipeline()
    return replace(parts.live.pipeline(), quarantined_rows=quarantined)


def _store_ok(repository: TotalsRepository) -> bool:
    try:
        repository.ping()
    except StorageError:
        return False
    return True
