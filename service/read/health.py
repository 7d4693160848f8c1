"""Whether the pipeline behind the API is healthy: pure rules over what was last measured,
and the problems in Dutch, as the dashboard and /readyz show them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Any

from service.domain.formats import count

# A lag that grew without ever shrinking for this long means too few or stuck workers.
GROWING_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Pipeline:
    """The pipeline as last measured; None where it could not be measured."""

    workers: int | None = None  # members of the worker group
    materialisers: int | None = None  # members of the materialiser group
    events_behind: int | None = None  # input events the workers have not reflected
    lag_growing: bool = False
    store_behind: int | None = None  # changelog records the store does not have yet
    quarantined_rows: int | None = None  # changelog records the store refused
    dead_letters: int | None = None  # records in the dead-letter topic

    def problems(self) -> list[str]:
        """What an operator must look at, one Dutch sentence each; empty when all is well."""
        found = []
        if self.workers == 0:
            found.append("Verwerking staat stil: er draait geen worker")
        if self.lag_growing and self.events_behind:
            found.append(
                f"Achterstand groeit: {count(self.events_behind)} gebeurtenissen nog niet verwerkt"
            )
        if self.materialisers == 0 and self.store_behind:
            found.append(
                f"Opslag staat stil: {count(self.store_behind)} wijzigingen niet opgeslagen"
            )
        if self.quarantined_rows:
            found.append(
                f"{count(self.quarantined_rows)} rijen in quarantaine: de opslag weigerde ze"
            )
        return found

    def public(self) -> dict[str, Any]:
        return {**asdict(self), "problems": self.problems()}


def lag_growing(samples: Sequence[tuple[float, int]], now: float) -> bool:
    """Whether the lag grew over the last GROWING_SECONDS without ever shrinking: the
    workers do not keep up. `samples` are (time, events behind), oldest first."""
    recent = [(at, behind) for at, behind in samples if at >= now - GROWING_SECONDS]
    if len(recent) < 3 or recent[-1][0] - recent[0][0] < 0.8 * GROWING_SECONDS:
        return False
    return all(b >= a for (_, a), (_, b) in pairwise(recent)) and recent[-1][1] > recent[0][1]
