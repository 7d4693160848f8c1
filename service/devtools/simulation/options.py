"""What a simulation is asked for: the years, the seed, the fault rates and the field systems."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from events.kinds import CAMERA, CASE, DAMAGE, DOMESTIC, ENFORCEMENT, KINDS, RESTRAINING

# The field system that reports each kind, and the CloudEvents `source` prefix they share: the
# police's and the Veiligheidshuis's registrations come through one system, the woonoverlast
# cases from the municipality's zaaksysteem.
FIELD_SYSTEMS = {
    ENFORCEMENT: "handhaving-app",
    CAMERA: "camera-app",
    DAMAGE: "schade-app",
    DOMESTIC: "veiligheidshuis-app",
    RESTRAINING: "veiligheidshuis-app",
    CASE: "zaken-app",
}
URN = "urn:nld:gemeente-zoetermeer:systeem:"
FIRST_YEAR, LAST_YEAR = 2000, 2099


@dataclass(frozen=True, slots=True)
class FaultRates:
    duplicates: float
    revisions: float
    withdrawals: float
    poison: float


# A little of each, as real field systems produce; none of it changes the counted figures.
DEFAULTS = FaultRates(duplicates=0.01, revisions=0.03, withdrawals=0.01, poison=0.0)


@dataclass(frozen=True, slots=True)
class Options:
    """What to simulate. Fractions are per incident (revisions, withdrawals as extra incidents)
    or per message (duplicates, poison)."""

    first_year: int
    last_year: int
    seed: int
    duplicates: float = DEFAULTS.duplicates
    revisions: float = DEFAULTS.revisions
    withdrawals: float = DEFAULTS.withdrawals
    poison: float = DEFAULTS.poison
    field_systems: Mapping[str, str] = field(default_factory=lambda: dict(FIELD_SYSTEMS))

    def __post_init__(self) -> None:
        if not FIRST_YEAR <= self.first_year <= self.last_year <= LAST_YEAR:
            raise ValueError(f"years must satisfy {FIRST_YEAR} <= first <= last <= {LAST_YEAR}")
        for name in ("duplicates", "revisions", "withdrawals", "poison"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if set(self.field_systems) != set(KINDS):
            raise ValueError(f"field_systems must name one field system for each of {KINDS}")

    def source(self, kind: str) -> str:
        """The CloudEvents `source` of the field system that reports `kind`."""
        return URN + self.field_systems[kind]
