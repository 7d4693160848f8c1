"""The exceptions and error records of the events package."""

from __future__ import annotations

from dataclasses import dataclass


class EventsError(Exception):
    """Base of every exception raised by `events`."""


class RegistryError(EventsError):
    """A registry file is missing or malformed."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One reason an event is refused: the field (dotted path) and why, in plain words."""

    field: str
    message: str


class InvalidEvent(EventsError):
    """An event failed validation; `errors` names each field and reason."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
