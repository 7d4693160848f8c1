"""What the worker reads of an input record: its incident and the revision counting needs.

Two ways to the same result. A record the API sealed (events/seal.py) was validated at the
edge, so it is read straight from its headers and JSON value, without building pydantic models:
that is most of the worker's work per event otherwise (bench/RESULTS.md, issue 15). Every other
record, from a field system that produces to Kafka itself, is validated in full. A property
test (tests/unit/test_reading.py) shows that both give the same reading of every valid event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from events.binding import from_kafka
from events.home_safety import CaseOpening, CaseStatus
from events.kinds import (
    CAMERA,
    CASE,
    CASE_STATUS,
    DAMAGE,
    DOMESTIC,
    KINDS,
    RESTRAINING,
    RESTRAINING_CATEGORY,
    WITHDRAWAL,
    event_type,
)
from events.models import Withdrawal, camera_wijk
from events.periods import periods_of
from events.registry import Registries
from events.seal import Seal
from service.domain.cases import Opening, Status
from service.domain.counting import Contribution, Revision, revision_of

Headers = Sequence[tuple[str, bytes]]
_KINDS = {event_type(kind).encode(): kind for kind in (*KINDS, CASE_STATUS, WITHDRAWAL)}
# The field that holds an incident's moment, where it is not `occurred_at`.
_MOMENTS = {DOMESTIC: "registered_at", RESTRAINING: "imposed_at"}


class Reading(NamedTuple):
    """An input record as counting sees it: an incident's revision (or a withdrawal), or a
    change of a woonoverlast case."""

    source: str
    subject: str
    revision: Revision | Opening | Status

    @property
    def field_system(self) -> str:
        """The `<name>` at the end of `source`, as `Event.field_system` has it."""
        return self.source.rsplit(":systeem:", 1)[1]


class Reader:
    """Reads input records, sealed ones on the fast path when it holds the API's seal key."""

    def __init__(self, registries: Registries, seal: Seal | None = None) -> None:
        self._registries = registries
        self._seal = seal
        self._paths: Counter[str] = Counter()  # records read per path, since taken

    def read(self, value: bytes | None, headers: Headers) -> Reading:
        """The record's reading; InvalidEvent if it is not a valid event."""
        if self._seal is not None and value is not None:
            header_map = dict(headers)
            if self._seal.holds(header_map, value):
                try:
                    reading = read_sealed(header_map, value, self._registries)
                except Exception:  # the full validation says what is wrong
                    self._paths["sealed-unreadable"] += 1
                else:
                    self._paths["sealed"] += 1
                    return reading
        self._paths["validated"] += 1
        return read_validated(value, headers, self._registries)

    def take_paths(self) -> Counter[str]:
        """How many records took each path since the last call: `sealed` (the fast path),
        `validated` (in full) and `sealed-unreadable` (sealed, yet not as the API writes: a
        bug or a newer API; validated in full too, so also counted there)."""
        paths, self._paths = self._paths, Counter()
        return paths


def read_validated(value: bytes | None, headers: Headers, registries: Registries) -> Reading:
    """Validate the record in full, in either content mode."""
    event = from_kafka(value, headers, registries)
    data = event.data
    change: Revision | Opening | Status
    if isinstance(data, CaseOpening):
        change = Opening(
            event.id, data.revision, data.registered_at, data.wijk, data.housing, data.category
        )
    elif isinstance(data, CaseStatus):
        final = bool(registries.is_final(data.statustype))
        change = Status(
            event.id,
            data.revision,
            data.status_id,
            data.set_at,
            data.statustype,
            final,
            data.resultaat,
        )
    else:
        wijk = "" if isinstance(data, Withdrawal) else camera_wijk(event, registries)
        change = revision_of(event, wijk)
    return Reading(event.source, event.subject, change)


def read_sealed(headers: dict[str, bytes], value: bytes, registries: Registries) -> Reading:
    """Read a record the API validated and wrote in binary mode: no checks, only decoding.
    Raises (KeyError, ValueError, ...) on anything else, which then is validated in full."""
    kind = _KINDS[headers["ce_type"]]
    event_id = headers["ce_id"].decode()
    data = orjson.loads(value)
    source, subject = headers["ce_source"].decode(), headers["ce_subject"].decode()
    if kind == WITHDRAWAL:
        return Reading(source, subject, Revision(event_id, data["revision"], None, None))
    if kind in (CASE, CASE_STATUS):
        return Reading(source, subject, _case_change(kind, event_id, data, registries))
    amount = fireworks = 0
    category = data.get("category")
    if kind == DAMAGE:
        moment = datetime.fromisoformat(data.get("occurred_at") or headers["ce_time"].decode())
        periods = periods_of(moment, year=data["jaarwisseling"])
        amount = data["amount_cents"]
        fireworks = amount if data.get("illegal_fireworks") else 0
        wijk = data["wijk"]
    else:
        periods = periods_of(datetime.fromisoformat(data[_MOMENTS.get(kind, "occurred_at")]))
        wijk = data["wijk"] if kind != CAMERA else _camera_wijk(data, registries)
        if kind == DOMESTIC:
            category = data["organisation"]
        elif kind == RESTRAINING:
            category = RESTRAINING_CATEGORY
    contribution = Contribution(kind, category, wijk, periods, amount, fireworks)
    return Reading(source, subject, Revision(event_id, data["revision"], kind, contribution))


def _case_change(
    kind: str, event_id: str, data: dict[str, Any], registries: Registries
) -> Opening | Status:
    if kind == CASE:
        return Opening(
            event_id,
            data["revision"],
            datetime.fromisoformat(data["registered_at"]),
            data["wijk"],
            data["housing"],
            data["category"],
        )
    final = registries.is_final(data["statustype"])
    if final is None:
        raise ValueError(f"unknown statustype {data['statustype']!r}")
    return Status(
        event_id,
        data["revision"],
        data["status_id"],
        datetime.fromisoformat(data["set_at"]),
        data["statustype"],
        final,
        data.get("resultaat"),
    )


def _camera_wijk(data: dict[str, object], registries: Registries) -> str:
    camera = registries.camera(str(data["camera"]))
    if camera is not None:
        return camera.wijk
    wijk = data.get("wijk")
    return wijk if isinstance(wijk, str) else ""
