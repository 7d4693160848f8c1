"""The field-system simulator: the published figures exactly, under every fault; valid and
deterministic events with a realistic rhythm; the senders' batching, retries and refusals."""

from __future__ import annotations

import functools
import json
import random
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from events.binding import from_kafka
from events.errors import InvalidEvent
from events.models import parse_event
from events.periods import LOCAL
from events.registry import load_registries
from service.cli import app
from service.devtools.senders import HttpSender, Pacer, SendError, kafka_record
from service.devtools.simulation import (
    FIELD_SYSTEMS,
    Message,
    Options,
    Role,
    Simulation,
    figures_for,
    simulate,
)
from service.devtools.simulation.traffic import _apportion, _fireworks, _split
from tests.reference import expected_cases, expected_totals

REGISTRIES = load_registries()
# What the reproduction end-to-end test sends: every fault switched on.
E2E = {"duplicates": 0.1, "revisions": 0.05, "withdrawals": 0.02, "poison": 0.01}


@pytest.fixture(scope="module")
def defaults() -> Simulation:
    return simulate(Options(2020, 2022, seed=1), REGISTRIES)


@pytest.fixture(scope="module")
def faulty() -> Simulation:
    return simulate(Options(2020, 2022, seed=7, **E2E), REGISTRIES)


def valid(simulation: Simulation) -> list[dict[str, Any]]:
    return [m.document for m in simulation.messages if m.role is not Role.POISON]


Totals = dict[tuple[str, ...], tuple[int, int, int]]
# Keeps each simulation alive beside its totals, so that its id cannot be reused.
_REFERENCE: dict[int, tuple[Simulation, Totals]] = {}


def reference(simulation: Simulation) -> Totals:
    """The reference count of a simulation's events, computed once per simulation."""
    if id(simulation) not in _REFERENCE:
        _REFERENCE[id(simulation)] = (simulation, expected_totals(valid(simulation)))
    return _REFERENCE[id(simulation)][1]


def yearly(simulation: Simulation) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(kind, year) → (count, amount_cents, illegal_fireworks_cents), by the reference count."""
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (kind, _category, _wijk, year), values in reference(simulation).items():
        row = totals[(kind, year)]
        for i, value in enumerate(values):
            row[i] += value
    return {key: (c, a, f) for key, (c, a, f) in totals.items()}


def damage_by_category(simulation: Simulation, year: str) -> list[str]:
    cents: Counter[str] = Counter()
    for (kind, category, _wijk, period), (_c, amount, _f) in reference(simulation).items():
        if kind == "jaarwisselingsschade" and period == year:
            cents[category] += amount
    return [category for category, _ in cents.most_common()]


@pytest.mark.parametrize("name", ["defaults", "faulty"])
def test_the_published_figures_come_out_exactly(name: str, request: pytest.FixtureRequest) -> None:
    simulation: Simulation = request.getfixturevalue(name)
    totals = yearly(simulation)
    reports = [totals[("handhavingsmelding", y)][0] for y in ("2020", "2021", "2022")]
    assert reports == [7_158, 8_611, 8_989]
    assert totals[("jaarwisselingsschade", "2021")][1] == 11_633_100
    count, damage, illegal = totals[("jaarwisselingsschade", "2022")]
    assert (damage, illegal) == (6_985_400, 2_375_036)
    assert round(100 * illegal / damage, 1) == 34.0
    for year in ("2021", "2022"):
        top = damage_by_category(simulation, year)[:3]
        assert top == ["verharding", "afvalbakken", "scholen-kinderopvang"]
    assert all(totals[("cameraincident", y)][0] > 300 for y in ("2020", "2021", "2022"))
    assert count > 50  # many items, not one lump sum


@pytest.mark.parametrize("name", ["defaults", "faulty"])
def test_section_5_1_comes_out_exactly(name: str, request: pytest.FixtureRequest) -> None:
    simulation: Simulation = request.getfixturevalue(name)
    totals = yearly(simulation)
    assert [totals[("huiselijkgeweld", y)][0] for y in ("2021", "2022")] == [163, 254]
    assert [totals[("huisverbod", y)][0] for y in ("2021", "2022")] == [44, 59]
    cases = expected_cases(valid(simulation), [2021, 2022])

    def summed(year: int, figure: str, **where: str) -> int:
        return sum(
            n
            for (y, f, wijk, housing), n in cases.items()
            if (y, f) == (year, figure)
            and where.get("wijk", wijk) == wijk
            and where.get("housing", housing) == housing
        )

    assert [summed(2022, f) for f in ("registered", "closed", "open", "stock")] == [170, 96, 74, 74]
    housing = ("corporatie", "koop", "particuliere-huur")
    assert [summed(2022, "open", housing=h) for h in housing] == [42, 20, 12]
    wijken = {wijk for (_, _, wijk, _) in cases}
    most = max(wijken, key=lambda w: summed(2022, "open", wijk=w))
    assert (most, summed(2022, "open", wijk=most)) == ("buytenwegh-de-leyens", 25)
    assert all(summed(2022, "open", wijk=w) < 25 for w in wijken - {most})
    # A life, not a lump: statuses, reopenings, and 2021's open cases closed in 2022.
    statuses = Counter(
        m.document["data"]["statustype"]
        for m in simulation.messages
        if m.role is Role.COUNTED and m.kind == "woonoverlaststatus"
    )
    assert statuses["heropend"] > 10 and statuses["afgerond"] > 300
    assert summed(2021, "open") > 0 and summed(2021, "stock") == summed(2021, "open")


def test_the_figures_in_the_plan_are_the_published_ones() -> None:
    assert figures_for(2022).illegal_fireworks_share == pytest.approx(0.34, abs=5e-7)
    assert figures_for(2022).modelled == ()
    assert "enforcement reports" not in figures_for(2020).modelled
    assert "damage" in figures_for(2020).modelled


def test_every_event_is_valid_and_every_poison_is_refused(faulty: Simulation) -> None:
    for document in valid(faulty):
        parse_event(document, REGISTRIES)
    poison = [m.document for m in faulty.messages if m.role is Role.POISON]
    assert len(poison) == round(0.01 * (len(faulty.messages) - len(poison)))
    for document in poison:
        with pytest.raises(InvalidEvent):
            parse_event(document, REGISTRIES)


def test_same_seed_same_events_other_seed_other_events(faulty: Simulation) -> None:
    again = simulate(Options(2020, 2022, seed=7, **E2E), REGISTRIES)
    assert [m.document for m in again.messages] == [m.document for m in faulty.messages]
    other = simulate(Options(2022, 2022, seed=8, **E2E), REGISTRIES)
    ids = {m.document["id"] for m in faulty.messages}
    assert not ids & {m.document["id"] for m in other.messages}
    assert yearly(other)[("handhavingsmelding", "2022")][0] == 8_989


def test_faults_leave_the_counted_incidents_alone() -> None:
    clean = simulate(
        Options(2022, 2022, seed=3, duplicates=0, revisions=0, withdrawals=0), REGISTRIES
    )
    noisy = simulate(Options(2022, 2022, seed=3, **E2E), REGISTRIES)

    def counted(simulation: Simulation) -> dict[str, tuple[str, dict[str, Any]]]:
        return {
            m.document["id"]: (
                m.document["subject"],
                {k: v for k, v in m.document["data"].items() if k != "revision"},
            )
            for m in simulation.messages
            if m.role is Role.COUNTED
        }

    assert counted(clean) == counted(noisy)
    assert set(clean.roles()) == {Role.COUNTED}


def test_duplicates_are_the_same_message_again_and_later(faulty: Simulation) -> None:
    first: dict[str, Message] = {}
    duplicates = 0
    for message in faulty.messages:
        if message.role is Role.DUPLICATE:
            original = first[message.document["id"]]
            assert original.document == message.document
            assert original.arrival <= message.arrival
            duplicates += 1
        else:
            assert message.document["id"] not in first
            first[message.document["id"]] = message
    assert 0.08 < duplicates / len(first) < 0.12


def revised_thing(message: Message) -> tuple[str, str]:
    """What a revision revises: an incident or a case's zaak (its subject), or one of a case's
    statuses (its subject and status id)."""
    return message.document["subject"], message.document["data"].get("status_id", "")


def test_revisions_end_at_the_counted_values(faulty: Simulation) -> None:
    by_subject: dict[tuple[str, str], list[Message]] = defaultdict(list)
    for message in faulty.messages:
        if message.role in (Role.COUNTED, Role.SUPERSEDED):
            by_subject[revised_thing(message)].append(message)
    revised = 0
    for messages in by_subject.values():
        if len(messages) == 1:
            assert messages[0].document["data"]["revision"] == 1
            continue
        revised += 1
        highest = max(messages, key=lambda m: m.document["data"]["revision"])
        assert highest.role is Role.COUNTED
        revisions = sorted(m.document["data"]["revision"] for m in messages)
        assert revisions == list(range(1, len(messages) + 1))
        earlier = [m for m in messages if m is not highest]
        assert all(m.document["data"] != highest.document["data"] for m in earlier)
        assert all(m.document["time"] < highest.document["time"] for m in earlier)
    assert 0.04 < revised / len(by_subject) < 0.06


def test_withdrawn_incidents_are_extras_and_withdrawn_last(faulty: Simulation) -> None:
    revisions: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    roles: dict[tuple[str, str, str], set[Role]] = defaultdict(set)
    for message in faulty.messages:
        if message.role is not Role.DUPLICATE and message.role is not Role.POISON:
            key = (message.document["source"], *revised_thing(message))
            revisions[key].append(message.document["data"]["revision"])
            roles[key].add(message.role)
    withdrawn = [key for key, r in roles.items() if Role.WITHDRAWAL in r]
    for key in withdrawn:
        assert roles[key] == {Role.WITHDRAWN, Role.WITHDRAWAL}
        assert sorted(revisions[key]) == list(range(1, len(revisions[key]) + 1))
    withdrawal_revisions = {
        (m.document["source"], *revised_thing(m)): m.document["data"]["revision"]
        for m in faulty.messages
        if m.role is Role.WITHDRAWAL
    }
    assert all(withdrawal_revisions[k] == max(revisions[k]) for k in withdrawn)
    counted = faulty.counted_per_kind()
    assert len(withdrawn) == pytest.approx(0.02 * sum(counted.values()), abs=3)


def test_messages_arrive_in_order_and_after_they_were_recorded(faulty: Simulation) -> None:
    arrivals = [m.arrival for m in faulty.messages]
    assert arrivals == sorted(arrivals)
    for message in faulty.messages:
        if message.role is not Role.POISON:
            assert datetime.fromisoformat(message.document["time"]) <= message.arrival
    times = [m.document["time"] for m in faulty.messages[:2000]]
    assert times != sorted(times)  # some arrive late, out of order


def counted_data(simulation: Simulation, kind: str) -> list[dict[str, Any]]:
    return [
        m.document["data"] for m in simulation.messages if m.role is Role.COUNTED and m.kind == kind
    ]


def test_enforcement_reports_have_a_weekly_and_a_seasonal_rhythm(defaults: Simulation) -> None:
    reports = counted_data(defaults, "handhavingsmelding")
    moments = [datetime.fromisoformat(r["occurred_at"]).astimezone(LOCAL) for r in reports]
    weekdays = Counter(m.weekday() for m in moments)
    assert min(weekdays, key=lambda d: weekdays[d]) == 6  # Sunday
    assert weekdays[6] < 0.7 * weekdays[1]
    months = Counter(m.month for m in moments)
    assert sum(months[m] for m in (6, 7, 8)) > 1.25 * sum(months[m] for m in (1, 2, 11))
    assert {r["wijk"] for r in reports} == REGISTRIES.wijk_codes()
    assert {r["category"] for r in reports} == REGISTRIES.category_codes("handhavingsmelding")
    assert max(Counter(r["wijk"] for r in reports).values()) < 0.2 * len(reports)


def test_camera_incidents_at_fixed_and_temporary_cameras(defaults: Simulation) -> None:
    incidents = counted_data(defaults, "cameraincident")
    cameras = Counter(i["camera"] for i in incidents)
    assert set(cameras) == REGISTRIES.camera_ids()
    for incident in incidents:  # parse_event checks the camera was active; say it plainly too
        day = datetime.fromisoformat(incident["occurred_at"]).astimezone(LOCAL).date()
        camera = REGISTRIES.camera(incident["camera"])
        assert camera is not None and camera.active_on(day)
    fixed = sum(n for c, n in cameras.items() if REGISTRIES.camera(c).fixed)  # type: ignore[union-attr]
    assert fixed > len(incidents) / 2


def test_damage_clusters_on_new_years_night(defaults: Simulation) -> None:
    items = counted_data(defaults, "jaarwisselingsschade")
    night = 0
    for item in items:
        year = item["jaarwisseling"]
        if "occurred_at" in item:
            moment = datetime.fromisoformat(item["occurred_at"]).astimezone(LOCAL)
            start = datetime(year, 12, 31, 18, tzinfo=LOCAL)
            night += start <= moment <= datetime(year + 1, 1, 1, 6, tzinfo=LOCAL)
    assert night > 0.6 * len(items)
    assert len({i["wijk"] for i in items}) >= 9
    assert len({i["category"] for i in items}) == 10
    assert {i.get("illegal_fireworks") for i in items} == {True, False, None}


@given(st.lists(st.integers(1, 10**7), min_size=1, max_size=40), st.data())
def test_fireworks_flags_exactly_the_target(amounts: list[int], data: st.DataObject) -> None:
    target = data.draw(st.integers(0, sum(amounts)))
    items = [("verharding" if n % 2 else "afvalbakken", a) for n, a in enumerate(amounts)]
    flagged = _fireworks(items, target, random.Random(data.draw(st.integers(0, 99))))
    assert sum(c for _, c, illegal in flagged if illegal) == target
    assert sum(c for _, c, _ in flagged) == sum(amounts)
    assert all(c >= 1 for _, c, _ in flagged)


@given(st.integers(1, 10**8), st.integers(1, 500), st.integers(0, 99))
def test_split_gives_positive_parts_that_add_up(total: int, count: int, seed: int) -> None:
    count = min(count, total)
    parts = _split(total, count, random.Random(seed))
    assert len(parts) == count and sum(parts) == total and min(parts) >= 1


def test_apportion_adds_up_and_follows_the_weights() -> None:
    assert _apportion(10, [1, 1, 1]) in ([4, 3, 3], [3, 4, 3], [3, 3, 4])
    assert _apportion(6_985_400, [0.27, 0.19, 0.14]) == [3_143_430, 2_212_043, 1_629_927]


def test_options_refuse_impossible_values() -> None:
    with pytest.raises(ValueError, match="first <= last"):
        Options(2023, 2022, seed=1)
    with pytest.raises(ValueError, match="revisions"):
        Options(2022, 2022, seed=1, revisions=1.5)


# --- senders -----------------------------------------------------------------------------


@functools.cache
def small_simulation(poison: float = 0.0) -> Simulation:
    return simulate(Options(2022, 2022, seed=5, poison=poison), REGISTRIES)


def test_http_sender_batches_per_field_system_retries_503_and_counts_refused_poison() -> None:
    simulation = small_simulation(poison=0.001)
    keys = {name: name[0] * 16 for name in set(FIELD_SYSTEMS.values())}
    calls: list[tuple[str, int]] = []
    unavailable = [2]  # the first two requests meet a broker that is down

    def handler(request: httpx.Request) -> httpx.Response:
        if unavailable[0]:
            unavailable[0] -= 1
            return httpx.Response(503, json={"detail": "Kafka is unavailable"})
        body = json.loads(request.content)
        key = request.headers["authorization"].removeprefix("Bearer ")
        system = {v: k for k, v in keys.items()}[key]
        if request.headers["content-type"] == "application/cloudevents+json":
            calls.append(("single", 1))
            return httpx.Response(422, json={"detail": "invalid"})
        assert request.headers["content-type"] == "application/cloudevents-batch+json"
        assert all(e["source"].endswith(":systeem:" + system) for e in body)
        calls.append(("batch", len(body)))
        return httpx.Response(202, json={"accepted": len(body), "duplicates": 0, "ids": []})

    sleeps: list[float] = []
    with httpx.Client(base_url="http://api", transport=httpx.MockTransport(handler)) as client:
        sender = HttpSender(client, keys, sleep=sleeps.append)
        advanced: list[int] = []
        tally = sender.send(simulation.messages, 0, advanced.append)
    poison = simulation.roles()[Role.POISON]
    assert poison > 0 and tally.refused == poison
    assert tally.sent == sum(advanced) == len(simulation.messages)
    assert tally.accepted == len(simulation.messages) - poison
    assert max(n for kind, n in calls if kind == "batch") == 1000
    assert [s for s in sleeps if s > 0] == [0.5, 1.0]


def test_http_sender_gives_up_after_its_attempts_and_stops_on_a_wrong_key() -> None:
    reports = [m for m in small_simulation().messages if m.kind == "handhavingsmelding"][:5]
    down = httpx.MockTransport(lambda _r: httpx.Response(503))
    with httpx.Client(base_url="http://api", transport=down) as client:
        sender = HttpSender(client, {"handhaving-app": "k" * 16}, attempts=3, sleep=lambda _s: None)
        with pytest.raises(SendError, match="after 3 attempts"):
            sender.send(reports, 0, lambda _n: None)
    refused = httpx.MockTransport(
        lambda _r: httpx.Response(401, json={"detail": "unknown API key"})
    )
    with httpx.Client(base_url="http://api", transport=refused) as client:
        sender = HttpSender(client, {"handhaving-app": "k" * 16}, sleep=lambda _s: None)
        with pytest.raises(SendError, match="unknown API key"):
            sender.send(reports, 0, lambda _n: None)


def test_http_sender_refuses_before_sending_when_a_field_system_has_no_key() -> None:
    untouched = httpx.MockTransport(lambda _r: pytest.fail("nothing may be sent"))
    with httpx.Client(base_url="http://api", transport=untouched) as client:
        sender = HttpSender(client, {"handhaving-app": "k" * 16})
        with pytest.raises(SendError, match="no API key for field system 'camera-app'"):
            sender.send(small_simulation().messages, 0, lambda _n: None)


def test_pacer_spreads_messages_over_time() -> None:
    now = [100.0]
    pacer = Pacer(50, clock=lambda: now[0])
    assert pacer.delay(0) == 0
    assert pacer.delay(100) == pytest.approx(2.0)
    now[0] = 101.5
    assert pacer.delay(100) == pytest.approx(0.5)
    assert Pacer(0).delay(10**6) == 0


def test_kafka_records_binary_for_events_structured_for_poison() -> None:
    simulation = small_simulation(poison=0.001)
    event = next(m for m in simulation.messages if m.role is Role.COUNTED)
    key, value, headers = kafka_record(event, REGISTRIES)
    assert key == (event.document["source"] + event.document["subject"]).encode()
    assert from_kafka(value, headers, REGISTRIES).id == event.document["id"]
    poison = next(m for m in simulation.messages if m.role is Role.POISON)
    _key, value, headers = kafka_record(poison, REGISTRIES)
    assert ("content-type", b"application/cloudevents+json") in headers
    with pytest.raises(InvalidEvent):
        from_kafka(value, headers, REGISTRIES)


# --- command line -------------------------------------------------------------------------

runner = CliRunner()


def test_cli_writes_the_simulation_as_json_lines(tmp_path: Path) -> None:
    out = tmp_path / "sim.jsonl"
    args = ["simulate", "--from", "2022", "--to", "2022", "--seed", "5", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines == [m.document for m in small_simulation().messages]
    assert "8,989 enforcement reports" in result.stdout
    assert "€ 69,854.00 of which € 23,750.36 (34.0 %)" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2023", "--to", "2022"], "--from (2023) is after --to (2022)"),
        (["--rate", "-5"], "--rate must be 0"),
        (["--withdrawals", "1.5"], "--withdrawals must be between 0 and 1"),
        (["--to", "2200"], "--to must be between 2000 and 2099"),
        (["--api-key", "a:" + "x" * 16 + ",b:" + "y" * 16], "--api-key: no key for field system"),
    ],
)
def test_cli_names_the_option_that_is_wrong(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["simulate", *args])
    assert result.exit_code == 2
    assert message in result.output
