"""POST /v1/events: field systems submit one event or a batch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool

from service.http import metrics
from service.http.auth import Authenticator, Caller, provider_token
from service.http.deps import Keys, Limiter, Parts, RegistriesDep, SettingsDep
from service.http.intake import parse_body, read_body, signed_in, validate_events
from service.http.metrics import kind_label
from service.http.openapi import FIELD_SYSTEM_KEY, event_bodies
from service.http.problems import UNAUTHORIZED, Problem, answers
from service.http.schemas import Accepted
from service.kafka.errors import KafkaUnavailable
from service.kafka.writer import first_sightings
from service.settings.credentials import Authority

router = APIRouter(tags=["events"])
T = TypeVar("T")
OFF_THE_LOOP_BYTES = 64 * 1024  # about 60 events


@router.post(
    "/v1/events",
    status_code=202,
    response_model=Accepted,
    summary="Submit one event or a batch of events",
    responses=answers(
        (
            400,
            "The body is not UTF-8 JSON, has a key twice in one object, is nested deeper "
            "than 32 levels, or a batch is not a non-empty array",
        ),
        UNAUTHORIZED,
        (
            403,
            "An event's `source` names another field system than the key's, or it is beyond "
            "what the system may report (kinds, cameras), or the key is no field system's",
        ),
        (413, "The body exceeds WIJKWACHT_MAX_BODY_BYTES, or a batch holds more than 1,000 events"),
        (415, "Another content type"),
        (
            422,
            "An event is invalid: by its schema, or by a rule no JSON Schema can state "
            "(registry codes, times within the window of the server's clock, a camera active "
            "on the day); `errors` names each fault, and nothing is written",
        ),
        (
            429,
            "The field system sends more than its rate limit; nothing is written",
            {"Retry-After": "Seconds to wait before sending again"},
        ),
        (
            503,
            "Kafka is unavailable or did not acknowledge; nothing is written, and sending "
            "the same body again is safe",
        ),
    ),
    openapi_extra={"requestBody": event_bodies(), "security": [{FIELD_SYSTEM_KEY: []}]},
)
async def post_events(
    request: Request,
    settings: SettingsDep,
    registries: RegistriesDep,
    parts: Parts,
    limiter: Limiter,
    keys: Keys,
    # Documented as the security scheme, not as a parameter.
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Accepted:
    documents: list[Any] = []
    try:
        client = request.client.host if request.client else None
        auth: Authenticator = request.app.state.auth

        def find(key: str) -> Authority | Caller | None:
            return keys.find(key) or auth.of_key(key)

        found: Authority | Caller
        if token := provider_token(auth, authorization):  # a person's or an application's
            found = await run_in_threadpool(auth.of_token, token, client)
        else:
            # (mypy joins the union to `object` when it solves signed_in's type variable)
            found = cast(Authority | Caller, signed_in(authorization, find, "field-system", client))
        if not isinstance(found, Authority):  # a reader's, an operator's, a provider's token
            raise Problem(
                403, "Forbidden", f"{found.name!r} may not send events: field systems only"
            )
        authority, field_system = found, found.name
        if wait := limiter.retry_after(field_system):
            raise Problem(
                429,
                "Too Many Requests",
                f"{field_system!r} sends more than its rate limit; send again in {wait} s "
                "(batches of up to 1,000 events count as one request)",
                headers={"Retry-After": str(wait)},
            )
        body = await read_body(request, settings.max_body_bytes)
        documents = await _off_the_loop(
            len(body), parse_body, body, request.headers.get("content-type", "")
        )
        kinds = [kind_label(d) for d in documents]
        for kind in kinds:
            metrics.EVENTS_RECEIVED.labels(kind).inc()
        events = await _off_the_loop(
            len(body), validate_events, documents, registries, authority, settings.event_window()
        )
        try:
            receipt = await parts.writer.write(events)
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
    for kind, first in zip(kinds, first_sightings(events), strict=True):
        (metrics.EVENTS_ACCEPTED if first else metrics.EVENTS_DUPLICATE).labels(kind).inc()
    return Accepted(accepted=receipt.accepted, duplicates=receipt.duplicates, ids=receipt.ids)


async def _off_the_loop(size: int, work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` for a body of `size` bytes: in a thread when the body is large, so that
    parsing and validating a full batch (tens of milliseconds) never stalls other requests
    and the live streams; on the loop when it is small, where a thread would cost more."""
    if size < OFF_THE_LOOP_BYTES:
        return work(*args)
    return await asyncio.to_thread(work, *args)
