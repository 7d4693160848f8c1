"""Figures: what every count in Wijkwacht is made of, with the arithmetic on it."""

from __future__ import annotations

from typing import NamedTuple


class Figures(NamedTuple):
    """A number of incidents, their amount and the part of it caused by illegal fireworks.

    The one value for counts everywhere: a contribution's change to a cell, a cell's total, a
    live row, a yearly total, a report's figure. Money is integer cents, never a float. A
    named tuple: built and hashed in C on the worker's hot path, and immutable, so one value
    may be shared by many cells.
    """

    count: int = 0  # type: ignore[assignment]  # shadows tuple.count, which nothing here uses
    amount_cents: int = 0
    illegal_fireworks_cents: int = 0

    # Arithmetic per field, not a tuple's concatenation.
    def __add__(self, other: Figures) -> Figures:  # type: ignore[override]
        return Figures(
            self.count + other.count,
            self.amount_cents + other.amount_cents,
            self.illegal_fireworks_cents + other.illegal_fireworks_cents,
        )

    def __sub__(self, other: Figures) -> Figures:
        return Figures(
            self.count - other.count,
            self.amount_cents - other.amount_cents,
            self.illegal_fireworks_cents - other.illegal_fireworks_cents,
        )

    def __neg__(self) -> Figures:
        return Figures(-self.count, -self.amount_cents, -self.illegal_fireworks_cents)

    def __bool__(self) -> bool:
        """False for zero figures (a tuple of three would always be true)."""
        return bool(self.count or self.amount_cents or self.illegal_fireworks_cents)


ZERO = Figures()
