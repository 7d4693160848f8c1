"""Valid events of every type, to start tests from."""

from __future__ import annotations

import uuid
from typing import Any

HANDHAVING = "urn:nld:gemeente-zoetermeer:systeem:handhaving-app"
CAMERA = "urn:nld:gemeente-zoetermeer:systeem:camera-app"
SCHADE = "urn:nld:gemeente-zoetermeer:systeem:schade-app"


def envelope(
    type_: str, source: str, subject: str, data: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    event = {
        "specversion": "1.0",
        "id": extra.pop("id", str(uuid.uuid4())),
        "source": source,
        "type": type_,
        "subject": subject,
        "time": extra.pop("time", "2022-06-01T10:00:00+02:00"),
        "datacontenttype": "application/json",
        "data": data,
    }
    event.update(extra)
    return event


def report(subject: str = "HH-1", *, revision: int = 1, **data: Any) -> dict[str, Any]:
    payload = {
        "revision": revision,
        "occurred_at": "2022-06-01T09:55:00+02:00",
        "wijk": "dorp",
        "category": "afval",
    }
    payload.update(data)
    return envelope("nl.wijkwacht.handhavingsmelding.v1", HANDHAVING, subject, payload)


def camera_incident(subject: str = "CAM-1", *, revision: int = 1, **data: Any) -> dict[str, Any]:
    payload = {
        "revision": revision,
        "occurred_at": "2022-06-01T23:10:00+02:00",
        "camera": "stadshart",
        "category": "vernieling",
    }
    payload.update(data)
    return envelope("nl.wijkwacht.cameraincident.v1", CAMERA, subject, payload)


def damage(subject: str = "JW-1", *, revision: int = 1, **data: Any) -> dict[str, Any]:
    payload = {
        "revision": revision,
        "jaarwisseling": 2022,
        "wijk": "seghwaert",
        "category": "verharding",
        "amount_cents": 125_000,
        "illegal_fireworks": True,
        "occurred_at": "2023-01-01T00:40:00+01:00",
    }
    payload.update(data)
    return envelope(
        "nl.wijkwacht.jaarwisselingsschade.v1",
        SCHADE,
        subject,
        payload,
        time="2023-01-02T09:00:00+01:00",
    )


def withdrawal(
    subject: str, *, revision: int, source: str = HANDHAVING, reason: str = "dubbel"
) -> dict[str, Any]:
    return envelope(
        "nl.wijkwacht.intrekking.v1", source, subject, {"revision": revision, "reason": reason}
    )


ZAKEN = "urn:nld:gemeente-zoetermeer:systeem:zaken-app"  # the municipality's zaaksysteem
VEILIGHEIDSHUIS = "urn:nld:gemeente-zoetermeer:systeem:veiligheidshuis-app"


def case_opening(subject: str = "ZAAK-1", *, revision: int = 1, **data: Any) -> dict[str, Any]:
    payload = {
        "revision": revision,
        "registered_at": "2022-03-01T10:00:00+01:00",
        "wijk": "buytenwegh-de-leyens",
        "housing": "corporatie",
        "category": "geluid",
    }
    payload.update(data)
    return envelope("nl.wijkwacht.woonoverlast.v1", ZAKEN, subject, payload)


def case_status(
    subject: str = "ZAAK-1",
    status_id: str = "S-1",
    statustype: str = "intake",
    *,
    revision: int = 1,
    **data: Any,
) -> dict[str, Any]:
    payload = {
        "revision": revision,
        "status_id": status_id,
        "statustype": statustype,
        "set_at": "2022-03-01T10:00:00+01:00",
    }
    if statustype == "afgerond":
        payload["resultaat"] = "opgelost"
    payload.update(data)
    return envelope("nl.wijkwacht.woonoverlaststatus.v1", ZAKEN, subject, payload)


def domestic_violence(subject: str = "HG-1", *, revision: int = 1, **data: Any) -> dict[str, Any]:
    payload = {
        "revision": revision,
        "registered_at": "2022-05-01T22:00:00+02:00",
        "wijk": "meerzicht",
        "organisation": "politie",
    }
    payload.update(data)
    return envelope("nl.wijkwacht.huiselijkgeweld.v1", VEILIGHEIDSHUIS, subject, payload)


def restraining_order(subject: str = "HV-1", *, revision: int = 1, **data: Any) -> dict[str, Any]:
    payload = {"revision": revision, "imposed_at": "2022-05-02T15:00:00+02:00", "wijk": "meerzicht"}
    payload.update(data)
    return envelope("nl.wijkwacht.huisverbod.v1", VEILIGHEIDSHUIS, subject, payload)
