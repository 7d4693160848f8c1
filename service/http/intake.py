"""Intake over HTTP: authenticate a field system, parse a body of events, validate them."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request

from events.binding import BATCH_CONTENT_TYPE, MAX_BATCH, STRUCTURED_CONTENT_TYPE
from events.errors import InvalidEvent
from events.kinds import counted_kind
from events.limits import STATIC_WINDOW, TimeWindow
from events.models import CameraIncident, Event, Withdrawal, parse_event
from events.registry import Registries
from service.http import metrics
from service.http.problems import Problem
from service.settings.credentials import Authority

log = logging.getLogger(__name__)

MAX_DEPTH = 32
T = TypeVar("T")


def signed_in(
    authorization: str | None,
    find: Callable[[str], T | None],
    credential: str = "field-system",
    client: str | None = None,
) -> T:
    """Whose key (a field system's, or an operator's: `credential`) is presented as
    `Bearer <key>`, as `find` knows it; Problem 401 otherwise. A failed sign-in is logged,
    with where it came from and never the key, and counted."""
    scheme, _, presented = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        failed_sign_in(credential, "missing", client)
        raise Problem(
            401,
            "Unauthorized",
            "send an API key as 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    found = find(presented.strip())
    if found is None:
        failed_sign_in(credential, "unknown", client)
        raise Problem(
            401, "Unauthorized", "unknown API key", headers={"WWW-Authenticate": "Bearer"}
        )
    return found


def plain_keys(keys: dict[str, str]) -> Callable[[str], str | None]:
    """Look a key up among plainly configured ones (key → name)."""

    def find(presented: str) -> str | None:
        found = None
        for key, name in keys.items():
            # Compare with every key, in constant time, so timing tells nothing of the keys.
            if hmac.compare_digest(key.encode(), presented.encode()):
                found = name
        return found

    return find


def failed_sign_in(credential: str, reason: str, client: str | None) -> None:
    metrics.SIGN_IN_FAILURES.labels(credential, reason).inc()
    what = credential if credential == "token" else f"{credential} key"
    log.warning("sign-in failed: %s %s from %s", reason, what, client or "unknown")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with Problem 413 as soon as it is known to pass `limit` bytes."""
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


def parse_body(body: bytes, content_type: str) -> list[Any]:
    """The events of a body (one, or a batch); Problem 400/413/415 when unusable."""
    media = content_type.split(";")[0].strip().lower()
    if media not in (STRUCTURED_CONTENT_TYPE, BATCH_CONTENT_TYPE):
        raise Problem(
            415,
            "Unsupported Media Type",
            f"send {STRUCTURED_CONTENT_TYPE} (one event) or {BATCH_CONTENT_TYPE} (a JSON array)",
        )
    try:
        text = body.decode("utf-8")
        document = json.loads(
            text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants
        )
    except UnicodeDecodeError as exc:
        raise Problem(400, "Bad Request", f"body is not valid UTF-8 (byte {exc.start})") from None
    except RecursionError:
        raise Problem(400, "Bad Request", "body is nested too deeply") from None
    except ValueError as exc:
        raise Problem(400, "Bad Request", f"body is not valid JSON: {exc}") from None
    if _depth(document) > MAX_DEPTH:
        raise Problem(400, "Bad Request", f"body is nested deeper than {MAX_DEPTH} levels")
    if media == STRUCTURED_CONTENT_TYPE:
        return [document]
    if not isinstance(document, list):
        raise Problem(400, "Bad Request", "a batch must be a JSON array of events")
    if not document:
        raise Problem(400, "Bad Request", "a batch must hold at least one event")
    if len(document) > MAX_BATCH:
        raise Problem(
            413,
            "Content Too Large",
            f"a batch holds at most {MAX_BATCH} events, not {len(document)}",
        )
    return document


def validate_events(
    documents: list[Any],
    registries: Registries,
    authority: Authority,
    window: TimeWindow = STATIC_WINDOW,
) -> list[Event]:
    """Every event valid, its times in `window` (the router passes the clock-relative one of
    the settings), from the key's field system and within its authority (kinds, cameras); or
    Problem 422/403 naming each fault."""
    events: list[Event] = []
    errors: list[dict[str, Any]] = []
    for index, document in enumerate(documents):
        try:
            events.append(parse_event(document, registries, window))
        except InvalidEvent as exc:
            event_id = document.get("id") if isinstance(document, dict) else None
            event_id = event_id if isinstance(event_id, str) else None
            errors.extend(
                {"index": index, "id": event_id, "field": e.field, "message": e.message}
                for e in exc.errors
            )
    if errors:
        raise Problem(
            422,
            "Unprocessable Content",
            f"{len({e['index'] for e in errors})} of {len(documents)} events are invalid; "
            "nothing was written",
            errors=errors,
        )
    field_system = authority.name
    foreign = [i for i, e in enumerate(events) if e.field_system != field_system]
    if foreign:
        raise Problem(
            403,
            "Forbidden",
            f"events {foreign} have a source of another field system than "
            f"{field_system!r}, whose key was used; nothing was written",
        )
    beyond = [
        {"index": i, "id": e.id, "field": field, "message": message}
        for i, e in enumerate(events)
        for field, message in _beyond_authority(e, authority)
    ]
    if beyond:
        raise Problem(
            403,
            "Forbidden",
            f"{len({b['index'] for b in beyond})} events are beyond what {field_system!r} may "
            "report; nothing was written",
            errors=beyond,
        )
    return events


def _beyond_authority(event: Event, authority: Authority) -> list[tuple[str, str]]:
    data = event.data
    if isinstance(data, Withdrawal):  # a system may withdraw its own incidents, any kind
        return []
    faults = []
    kind = counted_kind(data.kind)
    if authority.kinds is not None and kind not in authority.kinds:
        faults.append(("type", f"{authority.name} may not report {kind}"))
    if (
        isinstance(data, CameraIncident)
        and authority.cameras is not None
        and data.camera not in authority.cameras
    ):
        faults.append(("data.camera", f"{authority.name} may not report camera {data.camera!r}"))
    return faults


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r} in an object")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _depth(value: Any) -> int:
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest
