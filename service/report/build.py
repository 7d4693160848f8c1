"""The report's figures (`Report` and its parts), built from the store's yearly totals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from events.kinds import CAMERA, DAMAGE, DOMESTIC, ENFORCEMENT, PLACE_KINDS, RESTRAINING
from events.registry import Camera, Registries
from service.domain.figures import Figures
from service.read.yearly import Key, YearTotals, compare, year_totals
from service.report.home import HomeSafety, build_home
from service.report.measures import Measure
from storage.repository import Closing, TotalsRepository

# Defined beside the figures, not in a renderer, because the table and the chart both show them.
KIND_LABELS = {
    ENFORCEMENT: "Enforcement reports",
    CAMERA: "Camera incidents",
    DAMAGE: "New Year damage items",
    DOMESTIC: "Domestic violence registered",
    RESTRAINING: "Temporary restraining orders",
}
# Here, not in a renderer, because the JSON document and the table both carry it.
CAMERA_NOTE = (
    "The store counts camera incidents per wijk, not per camera: each camera area is the wijk "
    "its cameras lie in (registry cameras.json), listed with those cameras."
)
TOP_CATEGORIES = 3
# The kinds counted per year in the trend: the incidents (cases have figures of their own).
TREND_KINDS = (*PLACE_KINDS, DOMESTIC, RESTRAINING)


class ReportError(Exception):
    """Base of the report's exceptions."""


class NoFigures(ReportError):
    """The store has no figures for a year that the report needs."""

    def __init__(self, year: int, available: Sequence[int]) -> None:
        self.year = year
        self.available = tuple(available)
        years = ", ".join(map(str, available)) or "none"
        super().__init__(f"the store has no figures for {year} (years with figures: {years})")


@dataclass(frozen=True, slots=True)
class Share:
    """A percentage; `difference` is in percentage points."""

    value: float | None
    base: float | None = None
    difference: float | None = None


@dataclass(frozen=True, slots=True)
class Adjustment:
    """What arrived for a closed year after it was closed, per kind, category and wijk."""

    kind: str
    category: str | None
    wijk: str | None
    figures: Figures


@dataclass(frozen=True, slots=True)
class YearStatus:
    year: int
    closing: Closing | None
    adjustments: tuple[Adjustment, ...]  # per kind, category and wijk
    adjustment_totals: tuple[Adjustment, ...]  # per kind


@dataclass(frozen=True, slots=True)
class YearChange:
    """Enforcement reports of one year and the change from the calendar year before."""

    year: int
    count: int
    change: int | None
    change_percent: float | None


@dataclass(frozen=True, slots=True)
class RankedCategory:
    rank: int
    category: str
    name: str
    amount_cents: Measure


@dataclass(frozen=True, slots=True)
class CameraArea:
    wijk: str
    name: str
    cameras: tuple[Camera, ...]
    count: Measure


@dataclass(frozen=True, slots=True)
class WijkFigures:
    wijk: str
    name: str
    counts: dict[str, Measure]  # per kind
    damage_cents: Measure


@dataclass(frozen=True, slots=True)
class TrendPoint:
    year: int
    closed: bool
    counts: dict[str, int]  # per kind
    damage_cents: int


@dataclass(frozen=True, slots=True)
class Report:
    status: YearStatus
    base_status: YearStatus | None
    counts: dict[str, Measure]  # per kind
    damage_cents: Measure
    illegal_fireworks_cents: Measure
    illegal_fireworks_share: Share
    top_damage_categories: tuple[RankedCategory, ...]
    camera_areas: tuple[CameraArea, ...]
    wijken: tuple[WijkFigures, ...]
    enforcement_by_year: tuple[YearChange, ...]
    trend: tuple[TrendPoint, ...]
    home: HomeSafety  # section 5.1: cases, domestic violence, restraining orders

    @property
    def year(self) -> int:
        return self.status.year

    @property
    def base_year(self) -> int | None:
        return None if self.base_status is None else self.base_status.year


def build_report(
    repository: TotalsRepository, registries: Registries, year: int, base: int | None = None
) -> Report:
    """The report of `year` (compared with `base` if given); NoFigures if either has none.

    Reads only through the `TotalsRepository` port and `service.read.yearly`, so a closed year
    shows its published figures with post-closing adjustments beside them, never added in.
    """
    available = repository.years()
    for wanted in (year, base):
        if wanted is not None and not _has_figures(repository, available, wanted):
            raise NoFigures(wanted, available)

    def grouped(*groups: str, kind: str | None = None) -> tuple[YearTotals, YearTotals | None]:
        current = year_totals(repository, year, groups, kind=kind)
        before = None if base is None else year_totals(repository, base, groups, kind=kind)
        return current, before

    per_kind = grouped("kind")
    per_category = grouped("kind", "category", kind=DAMAGE)
    per_wijk = grouped("kind", "wijk")
    counts = _measures(*per_kind, "count")
    amounts = _measures(*per_kind, "amount_cents")
    illegal = _measures(*per_kind, "illegal_fireworks_cents")
    comparing = base is not None
    damage = _pick(amounts, (DAMAGE, None, None), comparing)
    fireworks = _pick(illegal, (DAMAGE, None, None), comparing)
    trend = _trend(repository, [y for y in available if y <= year] or [year])
    return Report(
        status=_status(repository, per_kind[0]),
        base_status=None if per_kind[1] is None else _status(repository, per_kind[1]),
        counts={k: _pick(counts, (k, None, None), comparing) for k in PLACE_KINDS},
        damage_cents=damage,
        illegal_fireworks_cents=fireworks,
        illegal_fireworks_share=_share(damage, fireworks),
        top_damage_categories=_top_categories(per_category, registries),
        camera_areas=_camera_areas(per_wijk, registries, year, base),
        wijken=_wijken(per_wijk, registries),
        enforcement_by_year=_year_changes(trend),
        trend=tuple(trend),
        home=build_home(repository, registries, year, base),
    )


def _has_figures(repository: TotalsRepository, available: Sequence[int], year: int) -> bool:
    return year in available or repository.closing(year) is not None


def _measures(year: YearTotals, base: YearTotals | None, attribute: str) -> dict[Key, Measure]:
    if base is None:
        return {key: Measure(getattr(f, attribute)) for key, f in year.rows.items()}
    return {
        c.key: Measure(
            getattr(c.year, attribute),
            getattr(c.base, attribute),
            getattr(c.difference, attribute),
            c.change_percent(attribute),
        )
        for c in compare(year, base)
    }


def _pick(measures: dict[Key, Measure], key: Key, comparing: bool) -> Measure:
    return measures.get(key) or (Measure(0, 0, 0, None) if comparing else Measure(0))


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part * 100 / whole, 1)


def _share(damage: Measure, fireworks: Measure) -> Share:
    value = _percent(fireworks.value, damage.value)
    if damage.base is None or fireworks.base is None:
        return Share(value)
    base = _percent(fireworks.base, damage.base)
    difference = None if value is None or base is None else round(value - base, 1)
    return Share(value, base, difference)


def _status(repository: TotalsRepository, per_kind: YearTotals) -> YearStatus:
    year = per_kind.year
    detailed = year_totals(repository, year) if per_kind.closing is not None else per_kind
    return YearStatus(
        year,
        per_kind.closing,
        tuple(Adjustment(k or "", c, w, f) for (k, c, w), f in detailed.adjustments.items()),
        tuple(Adjustment(k or "", None, None, f) for (k, _, _), f in per_kind.adjustments.items()),
    )


def _top_categories(
    per_category: tuple[YearTotals, YearTotals | None], registries: Registries
) -> tuple[RankedCategory, ...]:
    amounts = _measures(*per_category, "amount_cents")
    names = {c.code: c.name for c in registries.categories.get(DAMAGE, ())}
    ranked = sorted(
        ((key, m) for key, m in amounts.items() if m.value > 0),
        key=lambda item: (-item[1].value, item[0][1] or ""),
    )
    return tuple(
        RankedCategory(rank, key[1] or "", names.get(key[1] or "", key[1] or ""), measure)
        for rank, (key, measure) in enumerate(ranked[:TOP_CATEGORIES], start=1)
    )


def _camera_areas(
    per_wijk: tuple[YearTotals, YearTotals | None],
    registries: Registries,
    year: int,
    base: int | None,
) -> tuple[CameraArea, ...]:
    counts = _measures(*per_wijk, "count")
    first, last = date(min(year, base or year), 1, 1), date(year, 12, 31)
    cameras: dict[str, list[Camera]] = {}
    for camera in registries.cameras:
        if camera.active_from <= last and (
            camera.active_until is None or camera.active_until >= first
        ):
            cameras.setdefault(camera.wijk, []).append(camera)
    wijken = sorted(set(cameras) | {w or "" for k, _, w in counts if k == CAMERA})
    names = _wijk_names(registries)
    return tuple(
        CameraArea(
            wijk,
            names.get(wijk, wijk),
            tuple(cameras.get(wijk, ())),
            _pick(counts, (CAMERA, None, wijk), base is not None),
        )
        for wijk in wijken
    )


def _wijken(
    per_wijk: tuple[YearTotals, YearTotals | None], registries: Registries
) -> tuple[WijkFigures, ...]:
    comparing = per_wijk[1] is not None
    counts = _measures(*per_wijk, "count")
    amounts = _measures(*per_wijk, "amount_cents")
    names = _wijk_names(registries)
    return tuple(
        WijkFigures(
            wijk,
            names.get(wijk, wijk),
            {k: _pick(counts, (k, None, wijk), comparing) for k in PLACE_KINDS},
            _pick(amounts, (DAMAGE, None, wijk), comparing),
        )
        for wijk in sorted({w or "" for _, _, w in counts})
    )


def _wijk_names(registries: Registries) -> dict[str, str]:
    return {w.code: w.name for w in registries.wijken}


def _trend(repository: TotalsRepository, years: Sequence[int]) -> list[TrendPoint]:
    points = []
    for year in years:
        totals = year_totals(repository, year, ("kind",))
        points.append(
            TrendPoint(
                year,
                totals.closing is not None,
                {k: totals.total(kind=k).count for k in TREND_KINDS},
                totals.total(kind=DAMAGE).amount_cents,
            )
        )
    return points


def _year_changes(trend: Sequence[TrendPoint]) -> tuple[YearChange, ...]:
    counts = {p.year: p.counts[ENFORCEMENT] for p in trend}
    changes = []
    for year, count in counts.items():
        before = counts.get(year - 1)
        change = None if before is None else count - before
        percent = None if before is None else _percent(count - before, before)
        changes.append(YearChange(year, count, change, percent))
    return tuple(changes)
