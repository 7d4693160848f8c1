"""The field-system simulator: deterministic, realistic traffic reproducing the published figures.

Pure: no I/O. `simulate(options, registries)` returns every message in the order the field
systems would deliver it (by arrival time), each tagged with its role. Whatever the fault
options, the messages counted by docs/contract.md §4 give exactly the year figures of
`figures_for`: a revised incident's last revision carries the planned values, a withdrawn
incident is an extra one beyond the target, duplicates are the same message again and poison
is never valid.

The modules, by job: `figures` (what a year must add up to), `options` (what is asked for),
`messages` (what comes out), `traffic` (each kind's incidents), `faults` (revisions,
duplicates, poison) and `plan` (`simulate`, which puts them together).
"""

from __future__ import annotations

from service.devtools.simulation.figures import YearFigures, figures_for
from service.devtools.simulation.messages import Message, Role
from service.devtools.simulation.options import (
    DEFAULTS,
    FIELD_SYSTEMS,
    FIRST_YEAR,
    LAST_YEAR,
    FaultRates,
    Options,
)
from service.devtools.simulation.plan import Simulation, simulate

__all__ = [
    "DEFAULTS",
    "FIELD_SYSTEMS",
    "FIRST_YEAR",
    "LAST_YEAR",
    "FaultRates",
    "Message",
    "Options",
    "Role",
    "Simulation",
    "YearFigures",
    "figures_for",
    "simulate",
]
