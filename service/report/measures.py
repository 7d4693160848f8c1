"""A figure of the report year beside the base year's (`Measure`), shared by every section."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Measure:
    """One figure of the report year, beside the base year's when comparing (else None)."""

    value: int
    base: int | None = None
    difference: int | None = None
    change_percent: float | None = None


def measure(value: int, base: int | None) -> Measure:
    """`value` beside `base` (None: not comparing), with the difference and the change in
    percent (None where the base is 0)."""
    if base is None:
        return Measure(value)
    change = None if base == 0 else round((value - base) * 100 / base, 1)
    return Measure(value, base, value - base, change)
