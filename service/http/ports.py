"""What the API needs from the rest of the system, as small interfaces: the factory takes
implementations of these, the real ones from the composition root, fakes in unit tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from events.models import Event
from service.kafka.writer import Receipt
from service.read.live import LiveState
from storage.repository import TotalsRepository


class EventSink(Protocol):
    """Where accepted events go: all of a body durably, or KafkaUnavailable and none."""

    async def write(self, events: list[Event]) -> Receipt: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class ApiParts:
    """The API's collaborators. `background` runs for the app's lifetime (the live view's
    reader, topic creation); `kafka_ready` answers /readyz's Kafka check."""

    repository: TotalsRepository
    writer: EventSink
    live: LiveState  # the live view, or a fake filled by hand
    kafka_ready: Callable[[], Awaitable[bool]]
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=tuple)
