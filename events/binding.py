"""CloudEvents on Kafka: read binary (`ce_*` headers) and structured mode, write binary mode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from events.errors import FieldError, InvalidEvent
from events.fields import JSON_CONTENT_TYPE
from events.limits import STATIC_WINDOW, TimeWindow
from events.models import Event, parse_event
from events.registry import Registries

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
# The HTTP binding's batched mode: a JSON array of structured events, at most MAX_BATCH.
BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"
MAX_BATCH = 1000
_ATTRIBUTES = ("specversion", "id", "source", "type", "subject", "time")

Headers = Sequence[tuple[str, bytes]]


def to_kafka(event: Event) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of an event in binary content mode."""
    ce = event.to_cloudevent()
    headers = [(f"ce_{name}", str(ce[name]).encode()) for name in _ATTRIBUTES]
    headers.append(("content-type", JSON_CONTENT_TYPE.encode()))
    return event.incident_key.encode(), orjson.dumps(ce["data"]), headers


def from_kafka(
    value: bytes | None,
    headers: Headers,
    registries: Registries,
    window: TimeWindow = STATIC_WINDOW,
) -> Event:
    """Decode and validate a record in either content mode; InvalidEvent says why not. The
    worker keeps the static `window`, so that a replay decides every record as before."""
    header_map = {name.lower(): raw for name, raw in headers or ()}
    content_type = _text(header_map.get("content-type", b""), "content-type").split(";")[0]
    if value is None:
        raise InvalidEvent([FieldError("value", "record has no value")])
    document = _json(value, "value" if content_type == STRUCTURED_CONTENT_TYPE else "data")
    if content_type.strip() == STRUCTURED_CONTENT_TYPE:
        return parse_event(document, registries, window)
    if "ce_specversion" not in header_map:
        raise InvalidEvent(
            [
                FieldError(
                    "headers",
                    "neither binary mode (ce_* headers) nor structured mode "
                    f"(content-type {STRUCTURED_CONTENT_TYPE})",
                )
            ]
        )
    envelope = _attributes(header_map)
    if content_type:
        envelope["datacontenttype"] = content_type
    envelope["data"] = document
    return parse_event(envelope, registries, window)


def _attributes(header_map: dict[str, bytes]) -> dict[str, Any]:
    """The `ce_*` headers as text, by attribute name."""
    try:
        # One comprehension without a call per header: this runs for every record.
        return {name[3:]: raw.decode() for name, raw in header_map.items() if name[:3] == "ce_"}
    except UnicodeDecodeError:  # name the header that is not text
        return {name[3:]: _text(raw, name) for name, raw in header_map.items() if name[:3] == "ce_"}


def _text(raw: bytes, field: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidEvent([FieldError(field, "is not valid UTF-8")]) from None


def _json(raw: bytes, field: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidEvent([FieldError(field, f"is not valid JSON: {exc}")]) from None
