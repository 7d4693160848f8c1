"""The faults of real field systems: corrected revisions, duplicate deliveries and poison."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from events.kinds import CASE, DAMAGE, DOMESTIC, ENFORCEMENT, RESTRAINING, event_type
from events.registry import Registries
from service.devtools.simulation.messages import Message, Role, cloud_event, random_id, stamp
from service.devtools.simulation.options import Options


def perturbed(
    kind: str, data: dict[str, Any], rnd: random.Random, regs: Registries
) -> dict[str, Any]:
    """An earlier revision: the same incident with a first, later corrected value."""
    earlier = dict(data)
    if kind in (DOMESTIC, RESTRAINING, CASE):  # first entered in the wrong wijk
        earlier["wijk"] = rnd.choice(sorted(regs.wijk_codes() - {data["wijk"]}))
        return earlier
    if kind == DAMAGE:
        earlier["amount_cents"] = max(1, round(data["amount_cents"] * rnd.uniform(0.5, 1.6)))
        if rnd.random() < 0.3:
            earlier["illegal_fireworks"] = rnd.choice([True, False])
        return earlier
    codes = sorted(regs.category_codes(kind) - {data["category"]}) or [data["category"]]
    earlier["category"] = rnd.choice(codes)
    if kind == ENFORCEMENT and rnd.random() < 0.3:
        earlier["wijk"] = rnd.choice(sorted(regs.wijk_codes()))
    return earlier


def duplicates(messages: Sequence[Message], rate: float, rnd: random.Random) -> list[Message]:
    """About `rate` of the messages delivered again (same id), as a field system retries."""
    out: list[Message] = []
    for message in messages:
        if rnd.random() < rate:
            retry = timedelta(seconds=rnd.uniform(1, 900))
            out.append(Message(message.document, Role.DUPLICATE, message.arrival + retry))
    return out


def poison(
    messages: Sequence[Message], count: int, rnd: random.Random, options: Options
) -> list[Message]:
    """`count` invalid events, at random moments between the first and last of `messages`."""
    if not messages or not count:
        return []
    start = min(m.arrival for m in messages)
    span = (max(m.arrival for m in messages) - start).total_seconds()
    out: list[Message] = []
    for number in range(count):
        moment = start + timedelta(seconds=rnd.uniform(0, span))
        out.append(Message(_poisoned(number, moment, rnd, options), Role.POISON, moment))
    return out


def _poisoned(
    number: int, moment: datetime, rnd: random.Random, options: Options
) -> dict[str, Any]:
    """An event that breaks one rule of the contract; its subject is never used by a real one."""
    subject = f"POISON-{options.seed}-{number:05d}"
    data: dict[str, Any] = {
        "revision": 1,
        "occurred_at": stamp(moment),
        "wijk": "dorp",
        "category": "afval",
    }
    document = cloud_event(
        ENFORCEMENT, options.source(ENFORCEMENT), subject, random_id(rnd), moment, data
    )
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
        document["source"] = options.source(DAMAGE)
        document["type"] = event_type(DAMAGE)
        document["data"] = {
            "revision": 1,
            "jaarwisseling": moment.year,
            "wijk": "dorp",
            "category": "verharding",
            "amount_cents": -rnd.randint(1, 10_000),
        }
    return document
