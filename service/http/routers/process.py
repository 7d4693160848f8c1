"""The process's own endpoints: registries, liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.http import metrics
from service.http.deps import Parts, RegistriesDep
from storage.errors import StorageError
from storage.repository import TotalsRepository

router = APIRouter()


@router.get("/v1/registries", summary="Wijken, categories per kind, cameras and teams")
def get_registries(registries: RegistriesDep) -> dict[str, Any]:
    return registries.model_dump(mode="json")


@router.get("/metrics", summary="Prometheus metrics of this API process")
def get_metrics(parts: Parts) -> Response:
    live = parts.live
    for partition, behind in (live.lag().get("partitions") or {}).items():
        metrics.CONSUMER_LAG.labels(partition).set(behind)
    if live.dead_letters is not None:
        metrics.DEAD_LETTERS.set(live.dead_letters)
    metrics.SSE_CLIENTS.set(live.subscriber_count)
    metrics.CHANGELOG_UNDECODABLE.set(live.undecodable)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz", summary="The process lives")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Broker and store reachable")
async def readyz(parts: Parts) -> Response:
    checks = {
        "store": await asyncio.to_thread(_store_ok, parts.repository),
        "kafka": await parts.kafka_ready(),
    }
    ready = all(checks.values())
    body = {"status": "ready" if ready else "unavailable", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


def _store_ok(repository: TotalsRepository) -> bool:
    try:
        repository.ping()
    except StorageError:
        return False
    return True
