"""Byte format of the worker's state table and so of its changelog: incident records and
aggregate cells. The one module that reads or writes these bytes; the worker, the live view
and the materialiser all go through it.

Both live in one table so that their changelog writes share one partition and so keep their
order: after a crash the changelog holds a prefix of the writes, never a middle piece.

Keys (fields joined by U+001F):
- incident or case: `i`, source, subject;
- cell: `c`, input partition, kind, category, wijk, scope, period, and a case's housing type
  where it has one.
Values are compact JSON: a cell `[count, amount_cents, illegal_fireworks_cents, stamp]`; an
incident `{"r": revision, "id": event id, "k": kind, "c": contribution or null, "o": stamp}`;
a woonoverlast case `{"z": zaak or null, "s": statuses, "o": stamp}` (service/domain/cases).
An incident's stamp is the offset in its lane of the last record that changed it; a cell's
holds one offset per lane (`{"handhaving-app": 7, "camera-app": 3}`): see
service/domain/counting.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from events.periods import Periods
from service.domain.cases import Case, Opening, Status
from service.domain.cases import Withdrawal as CaseWithdrawal
from service.domain.counting import Cell, CellKey, Contribution, Incident, Stamp
from service.domain.figures import Figures

SEP = "\x1f"
INCIDENT = b"i"
CELL = b"c"


def incident_key(source: str, subject: str) -> bytes:
    return (f"i{SEP}{source}{SEP}{subject}").encode()


def parse_incident_key(raw: bytes) -> tuple[str, str]:
    """(source, subject) of an incident's key."""
    _, source, subject = raw.decode().split(SEP)
    return source, subject


def is_cell(key: bytes) -> bool:
    return key.startswith(CELL)


def is_incident(key: bytes) -> bool:
    return key.startswith(INCIDENT)


def cell_key(partition: int, key: CellKey) -> bytes:
    """Aggregates are kept per input partition (each partition's worker owns its cells) and
    summed when read."""
    fields = ["c", str(partition), key.kind, key.category, key.wijk, key.scope, key.period]
    if key.housing:
        fields.append(key.housing)
    return SEP.join(fields).encode()


def parse_cell_key(raw: bytes) -> tuple[int, CellKey]:
    _, partition, *where = raw.decode().split(SEP)
    if not 5 <= len(where) <= 6:
        raise ValueError(f"not a cell key: {raw!r}")
    return int(partition), CellKey(*where)


def compact_json(value: Any) -> bytes:
    """JSON of a value that is kept for long (a state value lives as long as its key): orjson
    3.13 hands back bytes holding a 4 KiB buffer however short the JSON, which made the
    worker's memory grow by 4 KiB per state entry. A copy is exactly as long as its content."""
    return memoryview(orjson.dumps(value)).tobytes()


def decode_stamp(value: Any) -> Stamp:
    if type(value) is not dict:
        raise ValueError(f"not a stamp: {value!r}")
    for offset in value.values():  # a loop, not all(…): this runs for every cell read
        if type(offset) is not int:
            raise ValueError(f"not a stamp: {value!r}")
    return value


def encode_cell(cell: Cell) -> bytes:
    return compact_json([*cell.figures, cell.stamp])


def decode_cell(raw: bytes) -> Cell:
    count, amount, fireworks, stamp = orjson.loads(raw)
    return Cell(Figures(count, amount, fireworks), decode_stamp(stamp))


def encode_incident(incident: Incident) -> bytes:
    c = incident.contribution
    contribution: list[Any] | None = None
    if c is not None:
        p = c.periods
        contribution = [c.category, c.wijk, p.year, p.month, p.week, p.day]
        contribution += [c.amount_cents, c.illegal_fireworks_cents]
    return compact_json(
        {
            "r": incident.revision,
            "id": incident.event_id,
            "k": incident.kind,
            "c": contribution,
            "o": incident.offset,
        }
    )


def decode_incident(raw: bytes) -> Incident:
    return _incident(orjson.loads(raw))


def _incident(doc: dict[str, Any]) -> Incident:
    contribution = None
    if doc["c"] is not None:
        category, wijk, year, month, week, day, amount, fireworks = doc["c"]
        contribution = Contribution(
            doc["k"], category, wijk, Periods(year, month, week, day), amount, fireworks
        )
    return Incident(doc["r"], doc["id"], doc["k"], contribution, doc["o"])


def incident_offset(raw: bytes) -> int:
    """The offset in its lane an incident record was written at, without decoding the rest."""
    offset: int = orjson.loads(raw)["o"]
    return offset


def lane_of_incident(key: bytes) -> str:
    """The lane (field system) of an incident's key: the only input that changes it."""
    source, _ = parse_incident_key(key)
    return source.rsplit(":systeem:", 1)[-1]


def encode_case(case: Case) -> bytes:
    zaak: list[Any] | None = None
    if isinstance(case.zaak, Opening):
        z = case.zaak
        zaak = ["o", z.event_id, z.revision, z.registered_at.isoformat(), z.wijk, z.housing]
        zaak.append(z.category)
    elif isinstance(case.zaak, CaseWithdrawal):
        zaak = ["w", case.zaak.event_id, case.zaak.revision]
    statuses = [
        [s.status_id, s.event_id, s.revision, s.set_at.isoformat(), s.statustype, s.final, s.result]
        for s in case.statuses.values()
    ]
    return compact_json({"z": zaak, "s": statuses, "o": case.offset})


def decode_case(doc: dict[str, Any]) -> Case:
    zaak: Opening | CaseWithdrawal | None = None
    z = doc["z"]
    if z is not None and z[0] == "o":
        _, event_id, revision, registered_at, wijk, housing, category = z
        zaak = Opening(
            event_id, revision, datetime.fromisoformat(registered_at), wijk, housing, category
        )
    elif z is not None:
        zaak = CaseWithdrawal(z[1], z[2])
    statuses = {}
    for status_id, event_id, revision, set_at, statustype, final, result in doc["s"]:
        statuses[status_id] = Status(
            event_id, revision, status_id, datetime.fromisoformat(set_at), statustype, final, result
        )
    return Case(zaak, statuses, doc["o"])


def decode_state(raw: bytes) -> Incident | Case:
    """The state of an incident's key: an incident, or a woonoverlast case."""
    doc = orjson.loads(raw)
    return decode_case(doc) if "z" in doc else _incident(doc)


def encode_state(state: Incident | Case) -> bytes:
    return encode_case(state) if isinstance(state, Case) else encode_incident(state)
