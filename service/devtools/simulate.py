"""The field-system simulator: deterministic, realistic traffic reproducing the published figures.

Pure: no I/O. `simulate(options, registries)` returns every message in the order the field
systems would deliver it (by arrival time), each tagged with its role. Whatever the fault
options, the messages counted by CONTRACT.md §4 give exactly the year figures of `figures_for`:
a revised incident's last revision carries the planned values, a withdrawn incident is an
extra one beyond the target, duplicates are the same message again and poison is never valid.
"""

from __future__ import annotations

import enum
import math
import random
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Any

from events.periods import LOCAL
from events.registry import Camera, Registries

KINDS = ("handhavingsmelding", "cameraincident", "jaarwisselingsschade")
TYPE_OF = {kind: f"nl.wijkwacht.{kind}.v1" for kind in (*KINDS, "intrekking")}
URN = "urn:nld:gemeente-zoetermeer:systeem:"
FIELD_SYSTEMS = {
    "handhavingsmelding": "handhaving-app",
    "cameraincident": "camera-app",
    "jaarwisselingsschade": "schade-app",
}
FIRST_YEAR, LAST_YEAR = 2000, 2099
_HOURS = range(24)


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


class Role(enum.StrEnum):
    """Why a message is in the stream."""

    COUNTED = "counted"  # the last revision of an incident: what the totals are made of
    SUPERSEDED = "superseded"  # an earlier revision, replaced by a higher one
    WITHDRAWN = "withdrawn"  # a revision of an incident that is withdrawn later
    WITHDRAWAL = "withdrawal"
    DUPLICATE = "duplicate"  # the same message (same id) delivered again
    POISON = "poison"  # invalid on purpose; the service must refuse it


@dataclass(frozen=True, slots=True)
class Message:
    """One structured-mode CloudEvent as delivered, at `arrival`, with its role."""

    document: dict[str, Any]
    role: Role
    arrival: datetime

    @property
    def kind(self) -> str:
        return str(self.document.get("type", "")).removeprefix("nl.wijkwacht.").removesuffix(".v1")


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


@dataclass(frozen=True, slots=True)
class Simulation:
    options: Options
    figures: tuple[YearFigures, ...]
    messages: list[Message]

    def roles(self) -> Counter[Role]:
        return Counter(m.role for m in self.messages)

    def counted_per_kind(self) -> Counter[str]:
        return Counter(m.kind for m in self.messages if m.role is Role.COUNTED)


def simulate(options: Options, registries: Registries) -> Simulation:
    """Every message of the simulation, ordered by arrival."""
    plan = _Plan(options, registries)
    figures = tuple(figures_for(y) for y in range(options.first_year, options.last_year + 1))
    for year in figures:
        plan.incidents("handhavingsmelding", year.year, _enforcement_reports(plan, year))
        plan.incidents("cameraincident", year.year, _camera_incidents(plan, year.year))
        plan.incidents("jaarwisselingsschade", year.year, _damage_items(plan, year))
    messages = plan.with_duplicates_and_poison()
    messages.sort(key=lambda m: m.arrival)
    return Simulation(options, figures, messages)


# One incident as planned: its payload without revision, and when it was recorded.
@dataclass(slots=True)
class _Draft:
    data: dict[str, Any]
    recorded: datetime


Generator = Callable[[random.Random], _Draft]


def _occurred(draft: _Draft) -> datetime:
    """When the incident happened, or (unknown) two days before it was recorded."""
    if "occurred_at" in draft.data:
        return datetime.fromisoformat(draft.data["occurred_at"])
    return draft.recorded - timedelta(days=2)


class _Plan:
    """Collects the messages; every random choice comes from a stream of its own, named by
    seed and purpose, so that switching a fault on does not change the counted incidents."""

    def __init__(self, options: Options, registries: Registries) -> None:
        self.options = options
        self.registries = registries
        self.messages: list[Message] = []

    def rng(self, *purpose: object) -> random.Random:
        # Simulated traffic, not secrets: a seeded, reproducible generator is the point.
        return random.Random(":".join(str(p) for p in (self.options.seed, *purpose)))  # noqa: S311

    def incidents(
        self, kind: str, year: int, planned: tuple[list[_Draft], Generator, random.Random]
    ) -> None:
        """The messages of the planned incidents, revised and extended with withdrawn ones."""
        drafts, extra, ids = planned
        faults = self.rng("faults", kind, year)
        prefix = {"handhavingsmelding": "HH", "cameraincident": "CAM"}.get(kind, "JW")
        source = URN + self.options.field_systems[kind]
        withdrawn = round(self.options.withdrawals * len(drafts))
        for number, draft in enumerate(drafts + [extra(faults) for _ in range(withdrawn)], 1):
            subject = f"{prefix}-{self.options.seed}-{year}-{number:05d}"
            final_id = _uuid(ids)  # drawn even for extras: the counted ids never shift
            is_withdrawn = number > len(drafts)
            versions: list[tuple[dict[str, Any], datetime]] = []
            if faults.random() < self.options.revisions:
                earlier = 1 if faults.random() < 0.8 else 2
                # Earlier revisions fall between the occurrence and the final recording.
                start = _occurred(draft)
                for step in range(1, earlier + 1):
                    moment = start + (draft.recorded - start) * step / (earlier + 1)
                    versions.append((_perturbed(kind, draft.data, faults, self.registries), moment))
            versions.append((draft.data, draft.recorded))
            for revision, (data, moment) in enumerate(versions, 1):
                last = revision == len(versions)
                role = Role.WITHDRAWN if is_withdrawn else Role.COUNTED if last else Role.SUPERSEDED
                event_id = final_id if last and not is_withdrawn else _uuid(faults)
                document = _document(
                    kind, source, subject, event_id, moment, {"revision": revision, **data}
                )
                self._add(document, role, moment, faults)
            if is_withdrawn:
                moment = versions[-1][1] + timedelta(hours=faults.uniform(2, 24 * 14))
                reason = faults.choices(["dubbel", "onjuist", "overig"], [6, 3, 1])[0]
                data = {"revision": len(versions) + 1, "reason": reason}
                document = _document("intrekking", source, subject, _uuid(faults), moment, data)
                self._add(document, Role.WITHDRAWAL, moment, faults)

    def _add(
        self, document: dict[str, Any], role: Role, moment: datetime, rnd: random.Random
    ) -> None:
        self.messages.append(Message(document, role, moment + _delivery_delay(rnd)))

    def with_duplicates_and_poison(self) -> list[Message]:
        rnd = self.rng("duplicates")
        out = list(self.messages)
        for message in self.messages:
            if rnd.random() < self.options.duplicates:
                retry = timedelta(seconds=rnd.uniform(1, 900))
                out.append(Message(message.document, Role.DUPLICATE, message.arrival + retry))
        rnd = self.rng("poison")
        if self.messages and self.options.poison > 0:
            start = min(m.arrival for m in self.messages)
            span = (max(m.arrival for m in self.messages) - start).total_seconds()
            for number in range(round(self.options.poison * len(out))):
                moment = start + timedelta(seconds=rnd.uniform(0, span))
                document = _poison(number, moment, rnd, self.options)
                out.append(Message(document, Role.POISON, moment))
        return out


def _document(
    kind: str, source: str, subject: str, event_id: str, time: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": TYPE_OF[kind],
        "subject": subject,
        "time": _stamp(time),
        "datacontenttype": "application/json",
        "data": data,
    }


def _stamp(moment: datetime) -> str:
    return moment.astimezone(LOCAL).isoformat(timespec="seconds")


def _uuid(rnd: random.Random) -> str:
    return str(uuid.UUID(int=rnd.getrandbits(128), version=4))


def _delivery_delay(rnd: random.Random) -> timedelta:
    """Most messages arrive within seconds; some devices upload hours or days later."""
    roll = rnd.random()
    if roll < 0.93:
        return timedelta(seconds=rnd.uniform(0.5, 90))
    if roll < 0.99:
        return timedelta(minutes=rnd.uniform(2, 240))
    return timedelta(hours=rnd.uniform(4, 72))


def _local(day: date, hour: int, rnd: random.Random) -> datetime:
    return datetime(
        day.year, day.month, day.day, hour, rnd.randrange(60), rnd.randrange(60), tzinfo=LOCAL
    )


def _days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


def _weighted(codes: Sequence[str], weights: Mapping[str, float], default: float) -> list[float]:
    return [weights.get(code, default) for code in codes]


# --- enforcement reports --------------------------------------------------------------------

# Monday … Sunday: the team works fewer shifts at the weekend, least on Sunday.
_WEEKDAY = (1.08, 1.12, 1.10, 1.10, 1.04, 0.80, 0.58)
_DAY_HOURS = (
    0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.2, 1.4, 1.5, 1.5,
    1.4, 1.4, 1.5, 1.5, 1.4, 1.2, 1.0, 0.9, 0.8, 0.7, 0.5, 0.3,
)  # fmt: skip
_REPORT_CATEGORIES = {
    "afval": 22, "parkeren": 19, "fietsen": 8, "jeugdoverlast": 10, "woonoverlast": 6,
    "geluidsoverlast": 8, "horeca": 4, "evenementen": 3, "flora-fauna": 4, "ondermijning": 2,
    "scholen": 4, "overig": 10,
}  # fmt: skip
_SUMMER_CATEGORIES = {"jeugdoverlast", "geluidsoverlast", "evenementen", "horeca"}
_WIJKEN = {
    "buytenwegh-de-leyens": 12, "dorp": 5, "driemanspolder": 6, "meerzicht": 11, "noordhove": 7,
    "oosterheem": 13, "palenstein": 8, "rokkeveen": 10, "seghwaert": 10, "stadshart": 12,
    "bedrijventerreinen": 6,
}  # fmt: skip
_TEAMS = {"jeugdoverlast": "jeugdboa", "ondermijning": "ondermijning", "evenementen": "evenementen"}


def _season(day: date) -> float:
    """More reports in summer (peak mid-July) than in winter."""
    return 1.0 + 0.2 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 196) / 365.25)


def _enforcement_reports(
    plan: _Plan, figures: YearFigures
) -> tuple[list[_Draft], Generator, random.Random]:
    year = figures.year
    regs = plan.registries
    days = _days(year)
    day_weights = [_WEEKDAY[d.weekday()] * _season(d) for d in days]
    wijken = sorted(regs.wijk_codes())
    wijk_weights = _weighted(wijken, _WIJKEN, 5)
    categories = sorted(regs.category_codes("handhavingsmelding"))
    # Cumulative weights, computed once: `choices` would sum them again on every call.
    by_season = {
        summer: list(
            accumulate(
                _REPORT_CATEGORIES.get(c, 3) * (1.5 if summer and c in _SUMMER_CATEGORIES else 1)
                for c in categories
            )
        )
        for summer in (False, True)
    }
    wijk_cumulative = list(accumulate(wijk_weights))
    hour_cumulative = list(accumulate(_DAY_HOURS))
    teams = regs.team_codes()

    def report(rnd: random.Random, day: date) -> _Draft:
        summer = 5 <= day.month <= 9
        category = rnd.choices(categories, cum_weights=by_season[summer])[0]
        occurred = _local(day, rnd.choices(_HOURS, cum_weights=hour_cumulative)[0], rnd)
        data: dict[str, Any] = {
            "occurred_at": _stamp(occurred),
            "wijk": rnd.choices(wijken, cum_weights=wijk_cumulative)[0],
            "category": category,
        }
        team = _TEAMS.get(category, "wijkhandhaving")
        if team in teams and rnd.random() < 0.85:
            data["team"] = team
        return _Draft(data, occurred + timedelta(minutes=rnd.uniform(2, 180)))

    rnd = plan.rng("handhavingsmelding", year)
    chosen = sorted(rnd.choices(days, day_weights, k=figures.enforcement_reports))
    drafts = [report(rnd, day) for day in chosen]
    return drafts, lambda r: report(r, r.choices(days, day_weights)[0]), rnd


# --- camera incidents -----------------------------------------------------------------------

# Per active camera and day; busiest on Friday and Saturday nights and around New Year.
_CAMERA_RATE = {True: 0.5, False: 0.35}
_NIGHT_WEEKDAY = (0.8, 0.8, 0.85, 0.95, 1.4, 1.7, 1.1)
_NIGHT_HOURS = (
    1.6, 1.4, 1.1, 0.7, 0.3, 0.1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6,
    0.7, 0.7, 0.8, 0.9, 1.0, 1.0, 1.1, 1.2, 1.4, 1.5, 1.6, 1.7,
)  # fmt: skip
_CAMERA_CATEGORIES = {
    "geweld": 12, "vernieling": 22, "overlast": 30, "drugs": 10, "diefstal": 8, "verkeer": 10,
    "overig": 8,
}  # fmt: skip


def _camera_incidents(plan: _Plan, year: int) -> tuple[list[_Draft], Generator, random.Random]:
    regs = plan.registries
    slots: list[tuple[Camera, date]] = []
    weights: list[float] = []
    expected = 0.0
    for camera in sorted(regs.cameras, key=lambda c: c.id):
        for day in _days(year):
            if camera.active_on(day):
                new_year = (day.month, day.day) in ((12, 31), (1, 1))
                slots.append((camera, day))
                weights.append(_NIGHT_WEEKDAY[day.weekday()] * (4 if new_year else 1))
                expected += _CAMERA_RATE[camera.fixed]
    categories = sorted(regs.category_codes("cameraincident"))
    category_weights = _weighted(categories, _CAMERA_CATEGORIES, 5)

    def incident(rnd: random.Random, camera: Camera, day: date) -> _Draft:
        occurred = _local(day, rnd.choices(_HOURS, _NIGHT_HOURS)[0], rnd)
        data: dict[str, Any] = {
            "occurred_at": _stamp(occurred),
            "camera": camera.id,
            "category": rnd.choices(categories, category_weights)[0],
        }
        if rnd.random() < 0.5:
            data["wijk"] = camera.wijk
        return _Draft(data, occurred + timedelta(minutes=rnd.uniform(1, 30)))

    rnd = plan.rng("cameraincident", year)
    if not slots:
        return [], lambda r: _Draft({}, datetime.now(LOCAL)), rnd  # never called: no incidents
    chosen = sorted(rnd.choices(range(len(slots)), weights, k=round(expected)))
    drafts = [incident(rnd, *slots[n]) for n in chosen]
    return drafts, lambda r: incident(r, *r.choices(slots, weights)[0]), rnd


# --- New Year damage ------------------------------------------------------------------------

# Shares of the damage; the published three largest stay the largest under any jitter below.
_DAMAGE_CATEGORIES = {
    "verharding": 0.27, "afvalbakken": 0.19, "scholen-kinderopvang": 0.14,
    "straatmeubilair": 0.08, "verkeersborden": 0.07, "openbare-verlichting": 0.06,
    "speelvoorzieningen": 0.06, "groen": 0.04, "gebouwen": 0.05, "overig": 0.04,
}  # fmt: skip
_FIREWORKS_PRONE = {"afvalbakken": 3.0, "verharding": 2.0, "openbare-verlichting": 1.5}
_DAMAGE_WIJKEN = {
    "buytenwegh-de-leyens": 14, "dorp": 4, "driemanspolder": 6, "meerzicht": 10, "noordhove": 7,
    "oosterheem": 16, "palenstein": 9, "rokkeveen": 9, "seghwaert": 12, "stadshart": 8,
    "bedrijventerreinen": 3,
}  # fmt: skip
_AVERAGE_ITEM_CENTS = 48_000


def _damage_items(
    plan: _Plan, figures: YearFigures
) -> tuple[list[_Draft], Generator, random.Random]:
    year = figures.year
    rnd = plan.rng("jaarwisselingsschade", year)
    regs = plan.registries
    categories = sorted(regs.category_codes("jaarwisselingsschade"))
    shares = [_DAMAGE_CATEGORIES.get(c, 0.03) * rnd.uniform(0.9, 1.1) for c in categories]
    budgets = _apportion(figures.damage_cents, shares)
    items = round(figures.damage_cents / (_AVERAGE_ITEM_CENTS * rnd.uniform(0.85, 1.15)))
    amounts: list[tuple[str, int]] = []
    for category, budget, share in zip(categories, budgets, shares, strict=True):
        count = min(budget, max(1, round(items * share / sum(shares))))
        amounts += [(category, cents) for cents in _split(budget, count, rnd)]
    flagged = _fireworks(amounts, figures.illegal_fireworks_cents, rnd)
    wijken = sorted(regs.wijk_codes())
    wijk_weights = _weighted(wijken, _DAMAGE_WIJKEN, 5)

    def item(r: random.Random, category: str, cents: int, illegal: bool | None) -> _Draft:
        data: dict[str, Any] = {
            "jaarwisseling": year,
            "wijk": r.choices(wijken, wijk_weights)[0],
            "category": category,
            "amount_cents": cents,
        }
        if illegal is not None:
            data["illegal_fireworks"] = illegal
        occurred = _new_year_moment(year, r)
        if r.random() < 0.05:  # not known when it happened: recorded at the inspection round
            return _Draft(data, _local(date(year + 1, 1, r.randint(2, 5)), r.randint(8, 16), r))
        data["occurred_at"] = _stamp(occurred)
        return _Draft(data, max(occurred, _inspection(year, r)) + timedelta(hours=r.uniform(1, 8)))

    drafts = [item(rnd, c, cents, illegal) for c, cents, illegal in flagged]

    def extra(r: random.Random) -> _Draft:
        category = r.choices(categories, shares)[0]
        return item(r, category, r.randint(5_000, 250_000), r.choice([True, False, None]))

    return drafts, extra, rnd


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights`, in integers that add up exactly."""
    exact = [total * w / sum(weights) for w in weights]
    parts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: parts[i] - exact[i])
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _split(total: int, count: int, rnd: random.Random) -> list[int]:
    """`count` positive amounts of skewed size (a few large items, many small) adding up to
    `total`."""
    weights = [rnd.lognormvariate(0, 0.9) for _ in range(count)]
    return [1 + part for part in _apportion(total - count, weights)]


def _fireworks(
    amounts: list[tuple[str, int]], target: int, rnd: random.Random
) -> list[tuple[str, int, bool | None]]:
    """Flag items as caused by illegal fireworks until they add up to exactly `target`: items
    are taken whole in a random order that favours bins and paving, and the item that would
    overshoot is split in two (its illegal part and the rest)."""
    order = sorted(
        range(len(amounts)),
        key=lambda i: rnd.random() ** (1 / _FIREWORKS_PRONE.get(amounts[i][0], 1.0)),
        reverse=True,
    )
    flagged: list[tuple[str, int, bool | None]] = []
    left = target
    for i in order:
        category, cents = amounts[i]
        if left >= cents:
            flagged.append((category, cents, True))
            left -= cents
        elif left > 0:
            flagged += [(category, left, True), (category, cents - left, False)]
            left = 0
        else:
            flagged.append((category, cents, rnd.choices([False, None], [7, 3])[0]))
    rnd.shuffle(flagged)
    return flagged


def _new_year_moment(year: int, rnd: random.Random) -> datetime:
    """When a damage item happened: most on the night of 31 December, some in the weeks
    around it (bins blown up in advance, damage found on New Year's Day)."""
    roll = rnd.random()
    if roll < 0.75:
        eve = datetime(year, 12, 31, 20, tzinfo=LOCAL)
        return eve + timedelta(minutes=min(540.0, rnd.triangular(0, 540, 250)))
    if roll < 0.9:
        return _local(date(year, 12, rnd.randint(max(1, 31 - 14), 30)), rnd.randint(17, 23), rnd)
    return _local(date(year + 1, 1, rnd.randint(1, 6)), rnd.randint(8, 22), rnd)


def _inspection(year: int, rnd: random.Random) -> datetime:
    """The inspection rounds after New Year, when most damage is recorded."""
    return _local(date(year + 1, 1, rnd.randint(1, 4)), rnd.randint(8, 16), rnd)


# --- changes and faults ---------------------------------------------------------------------


def _perturbed(
    kind: str, data: dict[str, Any], rnd: random.Random, regs: Registries
) -> dict[str, Any]:
    """An earlier revision: the same incident with a first, later corrected value."""
    earlier = dict(data)
    if kind == "jaarwisselingsschade":
        earlier["amount_cents"] = max(1, round(data["amount_cents"] * rnd.uniform(0.5, 1.6)))
        if rnd.random() < 0.3:
            earlier["illegal_fireworks"] = rnd.choice([True, False])
        return earlier
    codes = sorted(regs.category_codes(kind) - {data["category"]}) or [data["category"]]
    earlier["category"] = rnd.choice(codes)
    if kind == "handhavingsmelding" and rnd.random() < 0.3:
        earlier["wijk"] = rnd.choice(sorted(regs.wijk_codes()))
    return earlier


def _poison(number: int, moment: datetime, rnd: random.Random, options: Options) -> dict[str, Any]:
    """An event that breaks one rule of the contract; its subject is never used by a real one."""
    subject = f"POISON-{options.seed}-{number:05d}"
    source = URN + options.field_systems["handhavingsmelding"]
    data: dict[str, Any] = {
        "revision": 1,
        "occurred_at": _stamp(moment),
        "wijk": "dorp",
        "category": "afval",
    }
    document = _document("handhavingsmelding", source, subject, _uuid(rnd), moment, data)
    fault = number % 8
    if fault == 0:
        data["wijk"] = "atlantis"
    elif fault == 1:
        data["category"] = "vuurwerk"
    elif fault == 2:
        data["revision"] = 0
    elif fault == 3:
        data["remark"] = "free text is not allowed"
    elif fault == 4:
        data["occurred_at"] = moment.strftime("%d-%m-%Y %H:%M")
    elif fault == 5:
        document["type"] = "nl.wijkwacht.onbekend.v1"
    elif fault == 6:
        del document["subject"]
    else:
        document["source"] = URN + options.field_systems["jaarwisselingsschade"]
        document["type"] = TYPE_OF["jaarwisselingsschade"]
        document["data"] = {
            "revision": 1,
            "jaarwisseling": moment.year,
            "wijk": "dorp",
            "category": "verharding",
            "amount_cents": -rnd.randint(1, 10_000),
        }
    return document
