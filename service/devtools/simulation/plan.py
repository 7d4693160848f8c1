"""The simulation itself: every incident planned, revised, withdrawn and delivered in order."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from events.kinds import (
    CAMERA,
    CASE,
    CASE_STATUS,
    DAMAGE,
    DOMESTIC,
    ENFORCEMENT,
    PLACE_KINDS,
    RESTRAINING,
    WITHDRAWAL,
)
from events.registry import Registries
from service.devtools.simulation.faults import duplicates, perturbed, poison
from service.devtools.simulation.figures import YearFigures, figures_for
from service.devtools.simulation.home import (
    CaseDraft,
    ExtraCase,
    domestic_violence,
    restraining_orders,
    woonoverlast_cases,
)
from service.devtools.simulation.messages import Message, Role, cloud_event, random_id, stamp
from service.devtools.simulation.options import Options
from service.devtools.simulation.traffic import PLANNERS, Draft, Extra

# The subject of an incident starts with its kind's prefix, e.g. HH-7-2022-00001.
_SUBJECT_PREFIX = {
    ENFORCEMENT: "HH",
    CAMERA: "CAM",
    DAMAGE: "JW",
    DOMESTIC: "HG",
    RESTRAINING: "HV",
    CASE: "ZAAK",
}
# Section 5.1's incident kinds, planned after the place kinds, and their planners.
HOME_PLANNERS = {DOMESTIC: domestic_violence, RESTRAINING: restraining_orders}


@dataclass(frozen=True, slots=True)
class Simulation:
    options: Options
    figures: tuple[YearFigures, ...]
    messages: list[Message]

    def roles(self) -> Counter[Role]:
        return Counter(m.role for m in self.messages)

    def counted_per_kind(self) -> Counter[str]:
        """Counted incidents and cases per kind (a case's statuses are part of the case)."""
        return Counter(
            m.kind for m in self.messages if m.role is Role.COUNTED and m.kind != CASE_STATUS
        )


def simulate(options: Options, registries: Registries) -> Simulation:
    """Every message of the simulation, ordered by arrival."""
    plan = _Plan(options, registries)
    figures = tuple(figures_for(y) for y in range(options.first_year, options.last_year + 1))
    for year in figures:
        # In the order of PLACE_KINDS: the duplicates' stream is drawn message by message, and
        # messages that arrive at the same moment keep the order they were planned in.
        for kind, planner in (*((k, PLANNERS[k]) for k in PLACE_KINDS), *HOME_PLANNERS.items()):
            rnd = plan.rng(kind, year.year)
            drafts, extra = planner(rnd, registries, year)
            plan.incidents(kind, year.year, drafts, extra, rnd)
        rnd = plan.rng(CASE, year.year)
        next_year = year.year < options.last_year
        cases, extra_case = woonoverlast_cases(rnd, registries, year, closes_next_year=next_year)
        plan.cases(year.year, cases, extra_case, rnd)
    messages = plan.with_duplicates_and_poison()
    messages.sort(key=lambda m: m.arrival)
    return Simulation(options, figures, messages)


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
        self, kind: str, year: int, drafts: list[Draft], extra: Extra, ids: random.Random
    ) -> None:
        """The messages of the planned incidents, revised and extended with withdrawn ones;
        `ids` is the stream the drafts were planned from, which goes on to draw their ids."""
        faults = self.rng("faults", kind, year)
        source = self.options.source(kind)
        withdrawn = round(self.options.withdrawals * len(drafts))
        for number, draft in enumerate(drafts + [extra(faults) for _ in range(withdrawn)], 1):
            subject = f"{_SUBJECT_PREFIX[kind]}-{self.options.seed}-{year}-{number:05d}"
            final_id = random_id(ids)  # drawn even for extras: the counted ids never shift
            is_withdrawn = number > len(drafts)
            versions: list[tuple[dict[str, Any], datetime]] = []
            if faults.random() < self.options.revisions:
                earlier = 1 if faults.random() < 0.8 else 2
                # Earlier revisions fall between the occurrence and the final recording.
                start = draft.occurred
                for step in range(1, earlier + 1):
                    moment = start + (draft.recorded - start) * step / (earlier + 1)
                    versions.append((perturbed(kind, draft.data, faults, self.registries), moment))
            versions.append((draft.data, draft.recorded))
            for revision, (data, moment) in enumerate(versions, 1):
                last = revision == len(versions)
                role = Role.WITHDRAWN if is_withdrawn else Role.COUNTED if last else Role.SUPERSEDED
                event_id = final_id if last and not is_withdrawn else random_id(faults)
                document = cloud_event(
                    kind, source, subject, event_id, moment, {"revision": revision, **data}
                )
                self._add(document, role, moment, faults)
            if is_withdrawn:
                moment = versions[-1][1] + timedelta(hours=faults.uniform(2, 24 * 14))
                reason = faults.choices(["dubbel", "onjuist", "overig"], [6, 3, 1])[0]
                data = {"revision": len(versions) + 1, "reason": reason}
                document = cloud_event(WITHDRAWAL, source, subject, random_id(faults), moment, data)
                self._add(document, Role.WITHDRAWAL, moment, faults)

    def cases(
        self, year: int, drafts: list[CaseDraft], extra: ExtraCase, ids: random.Random
    ) -> None:
        """The messages of the planned woonoverlast cases: each zaak (now and then first in
        the wrong wijk), each of its statuses (now and then first with the wrong moment), and
        extra cases that are withdrawn, statuses and all."""
        faults = self.rng("faults", CASE, year)
        source = self.options.source(CASE)
        withdrawn = round(self.options.withdrawals * len(drafts))
        for number, draft in enumerate(drafts + [extra(faults) for _ in range(withdrawn)], 1):
            subject = f"{_SUBJECT_PREFIX[CASE]}-{self.options.seed}-{year}-{number:05d}"
            final_id = random_id(ids)
            is_withdrawn = number > len(drafts)
            recorded = draft.registered + timedelta(minutes=faults.uniform(15, 120))
            zaak = [(draft.data, recorded)]
            if faults.random() < self.options.revisions:
                earlier = perturbed(CASE, draft.data, faults, self.registries)
                zaak.insert(0, (earlier, draft.registered + timedelta(minutes=5)))
            last_time = recorded
            for revision, (data, moment) in enumerate(zaak, 1):
                last = revision == len(zaak)
                role = Role.WITHDRAWN if is_withdrawn else Role.COUNTED if last else Role.SUPERSEDED
                event_id = final_id if last and not is_withdrawn else random_id(faults)
                document = cloud_event(
                    CASE, source, subject, event_id, moment, {"revision": revision, **data}
                )
                self._add(document, role, moment, faults)
            # Drawn before any fault: the counted statuses' ids never shift with the options.
            status_ids = [random_id(ids) for _ in draft.statuses]
            for n, (statustype, set_at, result) in enumerate(draft.statuses, 1):
                final: dict[str, Any] = {"status_id": f"{subject}-S{n}", "statustype": statustype}
                final["set_at"] = stamp(set_at)
                if result is not None:
                    final["resultaat"] = result
                versions = [final]
                if faults.random() < self.options.revisions:
                    shift = timedelta(hours=faults.uniform(-48, 48))
                    versions.insert(0, {**final, "set_at": stamp(set_at + shift)})
                # Recorded after the latest moment it names, each revision an hour after the last.
                known = max(datetime.fromisoformat(v["set_at"]) for v in versions)
                base = timedelta(minutes=faults.uniform(2, 30))
                for revision, data in enumerate(versions, 1):
                    last = revision == len(versions)
                    role = (
                        Role.WITHDRAWN
                        if is_withdrawn
                        else Role.COUNTED
                        if last
                        else Role.SUPERSEDED
                    )
                    moment = known + base + timedelta(hours=revision)
                    last_time = max(last_time, moment)
                    event_id = status_ids[n - 1] if last and not is_withdrawn else random_id(faults)
                    data = {"revision": revision, **data}
                    document = cloud_event(CASE_STATUS, source, subject, event_id, moment, data)
                    self._add(document, role, moment, faults)
            if is_withdrawn:
                moment = last_time + timedelta(hours=faults.uniform(2, 24 * 14))
                data = {"revision": len(zaak) + 1, "reason": "onjuist"}
                document = cloud_event(WITHDRAWAL, source, subject, random_id(faults), moment, data)
                self._add(document, Role.WITHDRAWAL, moment, faults)

    def _add(
        self, document: dict[str, Any], role: Role, moment: datetime, rnd: random.Random
    ) -> None:
        self.messages.append(Message(document, role, moment + _delivery_delay(rnd)))

    def with_duplicates_and_poison(self) -> list[Message]:
        out = self.messages + duplicates(
            self.messages, self.options.duplicates, self.rng("duplicates")
        )
        count = round(self.options.poison * len(out))
        return out + poison(self.messages, count, self.rng("poison"), self.options)


def _delivery_delay(rnd: random.Random) -> timedelta:
    """Most messages arrive within seconds; some devices upload hours or days later."""
    roll = rnd.random()
    if roll < 0.93:
        return timedelta(seconds=rnd.uniform(0.5, 90))
    if roll < 0.99:
        return timedelta(minutes=rnd.uniform(2, 240))
    return timedelta(hours=rnd.uniform(4, 72))
