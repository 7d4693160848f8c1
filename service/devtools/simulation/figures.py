"""The year figures a simulation reproduces: published where the annual report gives them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CaseTargets:
    """A year's woonoverlast cases: how many are registered, and of them how many are open on
    31 December per housing type, with the wijk that has the most of those (and how many)."""

    registered: int
    open_by_housing: dict[str, int]
    most_open_wijk: str
    most_open: int

    @property
    def open(self) -> int:
        return sum(self.open_by_housing.values())

    @property
    def closed(self) -> int:
        return self.registered - self.open


@dataclass(frozen=True, slots=True)
class YearFigures:
    """What one reporting year must add up to; `modelled` names the figures that the annual
    report does not give, for which the simulator uses plausible values of its own."""

    year: int
    enforcement_reports: int
    damage_cents: int
    illegal_fireworks_cents: int
    domestic_violence: int
    restraining_orders: int
    cases: CaseTargets
    modelled: tuple[str, ...] = ()

    @property
    def illegal_fireworks_share(self) -> float:
        return self.illegal_fireworks_cents / self.damage_cents


# Programme 5 Veiligheid, jaarverslag 2022. Damage is by the year of New Year's Eve. The report
# gives the 34 % illegal-fireworks share for 2022 only; 2021's 40 % is modelled.
_ENFORCEMENT = {2020: 7_158, 2021: 8_611, 2022: 8_989}
_DAMAGE = {2021: (11_633_100, 4_653_240), 2022: (6_985_400, 2_375_036)}
_PUBLISHED_SHARE = {2022}
# Section 5.1: domestic violence registered by the police, restraining orders imposed, and
# 2022's woonoverlast cases (170 registered, 96 closed, 74 open: 42 corporatie, 20 koop, 12
# particuliere huur; Buytenwegh-De Leyens the most, 25).
_DOMESTIC = {2021: 163, 2022: 254}
_RESTRAINING = {2021: 44, 2022: 59}
_CASES = {
    2022: CaseTargets(
        170, {"corporatie": 42, "koop": 20, "particuliere-huur": 12}, "buytenwegh-de-leyens", 25
    )
}
# Years the report does not cover get plausible modelled figures.
_MODELLED_ENFORCEMENT = 8_000
_MODELLED_DAMAGE = (9_000_000, 3_150_000)
_MODELLED_DOMESTIC = 160
_MODELLED_RESTRAINING = 40
_MODELLED_CASES = CaseTargets(
    140, {"corporatie": 30, "koop": 14, "particuliere-huur": 10}, "oosterheem", 12
)


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
            ("domestic violence", year in _DOMESTIC),
            ("restraining orders", year in _RESTRAINING),
            ("woonoverlast cases", year in _CASES),
        )
        if not published
    ]
    return YearFigures(
        year,
        reports,
        damage,
        illegal,
        _DOMESTIC.get(year, _MODELLED_DOMESTIC),
        _RESTRAINING.get(year, _MODELLED_RESTRAINING),
        _CASES.get(year, _MODELLED_CASES),
        tuple(modelled),
    )
