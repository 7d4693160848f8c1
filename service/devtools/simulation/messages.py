"""The simulator's output: structured-mode CloudEvents, each tagged with why it is in the stream."""

from __future__ import annotations

import enum
import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events.kinds import event_type
from events.periods import LOCAL


class Role(enum.StrEnum):
    """Why a message is in the stream."""

    COUNTED = "counted"  # the last revision of an incident: what the totals are made of
    SUPERSEDED = "superseded"  # an earlier revision, replaced by a higher one
    WITHDRAWN = "withdrawn"  # a revision of an incident that is withdrawn later
    WITHDRAWAL = "withdrawal"
    DUPLICATE = "duplicate"  # the same message (same id) delivered again
    POISON = "poison"  # invalid on purpose; the service must refuse it


@dataclass(frozen=True, slots=True)
class Message:
    """One structured-mode CloudEvent as delivered, at `arrival`, with its role."""

    document: dict[str, Any]
    role: Role
    arrival: datetime

    @property
    def kind(self) -> str:
        return str(self.document.get("type", "")).removeprefix("nl.wijkwacht.").removesuffix(".v1")


def cloud_event(
    kind: str, source: str, subject: str, event_id: str, time: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    """The CloudEvent of one revision (or withdrawal) of an incident."""
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": event_type(kind),
        "subject": subject,
        "time": stamp(time),
        "datacontenttype": "application/json",
        "data": data,
    }


def stamp(moment: datetime) -> str:
    """A moment as the contract writes it: local time with its offset, to the second."""
    return moment.astimezone(LOCAL).isoformat(timespec="seconds")


def random_id(rnd: random.Random) -> str:
    """A version-4 UUID drawn from `rnd`, so that the seed decides every id."""
    return str(uuid.UUID(int=rnd.getrandbits(128), version=4))
