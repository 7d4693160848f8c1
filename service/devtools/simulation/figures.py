"""The year figures a simulation reproduces: published where the annual report gives them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class YearFigures:
    """What one reporting year must add up to; `modelled` names the figures that the annual
    report does not give, for which the simulator uses plausible values of its own."""

    year: int
    enforcement_reports: int
    damage_cents: int
    illegal_fireworks_cents: int
    modelled: tuple[str, ...] = ()

    @property
    def illegal_fireworks_share(self) -> float:
        return self.illegal_fireworks_cents / self.damage_cents


# Programme 5 Veiligheid, jaarverslag 2022. Damage is by the year of New Year's Eve. The report
# gives the 34 % illegal-fireworks share for 2022 only; 2021's 40 % is modelled.
_ENFORCEMENT = {2020: 7_158, 2021: 8_611, 2022: 8_989}
_DAMAGE = {2021: (11_633_100, 4_653_240), 2022: (6_985_400, 2_375_036)}
_PUBLISHED_SHARE = {2022}
# Years the report does not cover get plausible modelled figures.
_MODELLED_ENFORCEMENT = 8_000
_MODELLED_DAMAGE = (9_000_000, 3_150_000)


def figures_for(year: int) -> YearFigures:
    """The figures a default simulation of `year` reproduces."""
    reports = _ENFORCEMENT.get(year, _MODELLED_ENFORCEMENT)
    damage, illegal = _DAMAGE.get(year, _MODELLED_DAMAGE)
    modelled = [
        name
        for name, published in (
            ("enforcement reports", year in _ENFORCEMENT),
            ("damage", year in _DAMAGE),
            ("illegal-fireworks share", year in _PUBLISHED_SHARE),
        )
        if not published
    ]
    return YearFigures(year, reports, damage, illegal, tuple(modelled))
