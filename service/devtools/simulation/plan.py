"""The simulation itself: every incident planned, revised, withdrawn and delivered in order."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from events.kinds import CAMERA, DAMAGE, ENFORCEMENT, PLACE_KINDS, WITHDRAWAL
from events.registry import Registries
from service.devtools.simulation.faults import duplicates, perturbed, poison
from service.devtools.simulation.figures import YearFigures, figures_for
from service.devtools.simulation.messages import Message, Role, cloud_event, random_id
from service.devtools.simulation.options import Options
from service.devtools.simulation.traffic import PLANNERS, Draft, Extra

# The subject of an incident starts with its kind's prefix, e.g. HH-7-2022-00001.
_SUBJECT_PREFIX = {ENFORCEMENT: "HH", CAMERA: "CAM", DAMAGE: "JW"}


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
        # In the order of PLACE_KINDS: the duplicates' stream is drawn message by message, and
        # messages that arrive at the same moment keep the order they were planned in.
        for kind in PLACE_KINDS:
            rnd = plan.rng(kind, year.year)
            drafts, extra = PLANNERS[kind](rnd, registries, year)
            plan.incidents(kind, year.year, drafts, extra, rnd)
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
