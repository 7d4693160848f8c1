"""The counting rules, directly and through the record processor with simulated crashes."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from events.binding import to_kafka
from events.models import parse_event
from events.registry import load_registries
from service.domain.counting import (
    Cell,
    Contribution,
    Incident,
    Outcome,
    Revision,
    Tally,
    apply_revision,
    version,
)
from service.domain.figures import Figures
from service.kafka.changelog import decode_cell, encode_cell, is_cell, parse_cell_key
from service.stream.processing import BatchProcessor, Record
from tests import factories
from tests.reference import expected_totals

REGISTRIES = load_registries()


def contribution(category: str = "afval") -> Contribution:
    from events.periods import Periods

    return Contribution(
        "handhavingsmelding", category, "dorp", Periods(2022, "2022-06", "2022-W22", "2022-06-01")
    )


def test_new_incident_counts_in_all_four_scopes() -> None:
    decision = apply_revision(None, Revision("a", 1, "handhavingsmelding", contribution()), 0)
    assert decision.outcome is Outcome.COUNTED
    assert sorted(k.scope for k in decision.deltas) == ["day", "month", "week", "year"]
    assert all(d == Figures(1, 0, 0) for d in decision.deltas.values())


def test_higher_revision_moves_the_count() -> None:
    current = Incident(1, "a", "handhavingsmelding", contribution("afval"), 5)
    decision = apply_revision(
        current, Revision("b", 2, "handhavingsmelding", contribution("horeca")), 9
    )
    assert decision.outcome is Outcome.COUNTED
    by_category = {(k.category, k.scope): d.count for k, d in decision.deltas.items()}
    assert by_category[("afval", "year")] == -1 and by_category[("horeca", "year")] == 1


def test_duplicate_stale_conflict_replayed() -> None:
    current = Incident(2, "b", "handhavingsmelding", contribution(), 5)
    same = Revision("b", 2, "handhavingsmelding", contribution())
    assert apply_revision(current, same, 9).outcome is Outcome.DUPLICATE
    assert (
        apply_revision(current, Revision("a", 1, "handhavingsmelding", contribution()), 9).outcome
        is Outcome.STALE
    )
    assert (
        apply_revision(current, Revision("c", 2, "handhavingsmelding", contribution()), 9).outcome
        is Outcome.CONFLICT_REVISION
    )
    assert (
        apply_revision(current, Revision("d", 3, "cameraincident", contribution()), 9).outcome
        is Outcome.CONFLICT_KIND
    )
    assert (
        apply_revision(current, Revision("e", 3, "handhavingsmelding", contribution()), 5).outcome
        is Outcome.REPLAYED
    )


def test_withdrawal_first_then_lower_revision_is_stale() -> None:
    withdrawn = apply_revision(None, Revision("w", 3, None, None), 0)
    assert withdrawn.outcome is Outcome.WITHDRAWN and withdrawn.deltas == {}
    later = apply_revision(
        withdrawn.incident, Revision("a", 1, "handhavingsmelding", contribution()), 1
    )
    assert later.outcome is Outcome.STALE


def apply_delta(cell: Cell | None, delta: Figures, lane: str, offset: int) -> Cell | None:
    """One record's change to a cell through a batch's tally; None if it was applied."""
    tally = Tally(cell)
    if not tally.applies(lane, offset):
        return None
    tally.add(delta, lane, offset)
    return tally.cell()


def test_a_tally_changes_its_own_copy_of_the_cell() -> None:
    cell = Cell(Figures(2, 20, 0), {"handhaving-app": 5})
    tally = Tally(cell)
    tally.add(Figures(1, 10, 10), "handhaving-app", 6)
    tally.add(Figures(1, 5, 0), "camera-app", 1)
    assert tally.cell() == Cell(Figures(4, 35, 10), {"handhaving-app": 6, "camera-app": 1})
    assert cell == Cell(Figures(2, 20, 0), {"handhaving-app": 5})
    assert not Tally(None).changed and tally.changed


def test_apply_delta_is_idempotent_per_offset() -> None:
    cell = apply_delta(None, Figures(1, 10, 10), "", 4)
    assert cell == Cell(Figures(1, 10, 10), {"": 4})
    assert apply_delta(cell, Figures(1, 10, 10), "", 4) is None
    assert apply_delta(cell, Figures(-1, -10, -10), "", 7) == Cell(Figures(0, 0, 0), {"": 7})


def test_each_input_lane_is_stamped_on_its_own() -> None:
    """Offsets of two field systems' topics say nothing about each other: a record of one
    lane is applied to a cell whatever the other lane's offsets, and once only."""
    cell = apply_delta(None, Figures(1, 0, 0), "handhaving-app", 40)
    cell = apply_delta(cell, Figures(1, 0, 0), "camera-app", 3)  # a lower offset, another lane
    assert cell == Cell(Figures(2, 0, 0), {"handhaving-app": 40, "camera-app": 3})
    assert apply_delta(cell, Figures(1, 0, 0), "camera-app", 3) is None
    assert apply_delta(cell, Figures(1, 0, 0), "handhaving-app", 40) is None
    later = apply_delta(cell, Figures(1, 0, 0), "handhaving-app", 41)
    assert later == Cell(Figures(3, 0, 0), {"handhaving-app": 41, "camera-app": 3})
    assert version(later.stamp) > version(cell.stamp)


# ---- the processor under crashes --------------------------------------------------------


def generate(seed: int, incidents: int) -> list[dict[str, Any]]:
    """Incidents of all kinds with revisions, withdrawals and retries (the same id again)."""
    rnd = random.Random(seed)
    events: list[dict[str, Any]] = []
    wijken = ["dorp", "rokkeveen", "stadshart"]
    for n in range(incidents):
        maker = rnd.choice([factories.report, factories.camera_incident, factories.damage])
        subject = f"S-{n}"
        for revision in range(1, rnd.choice([1, 1, 1, 2, 3]) + 1):
            if maker is factories.report:
                event = maker(
                    subject,
                    revision=revision,
                    wijk=rnd.choice(wijken),
                    category=rnd.choice(["afval", "horeca"]),
                    occurred_at=rnd.choice(["2022-12-31T23:30:00Z", "2022-06-01T10:00:00+02:00"]),
                )
            elif maker is factories.damage:
                event = maker(
                    subject,
                    revision=revision,
                    amount_cents=rnd.randint(1, 50_000),
                    illegal_fireworks=rnd.choice([True, False, None]),
                )
            else:
                event = maker(subject, revision=revision, category=rnd.choice(["geweld", "drugs"]))
            events.append(event)
        if rnd.random() < 0.15:
            source = events[-1]["source"]
            events.append(factories.withdrawal(subject, revision=revision + 1, source=source))
    events += [dict(e) for e in rnd.sample(events, k=len(events) // 8)]  # retries
    rnd.shuffle(events)
    return events


class CrashingLog:
    """A state table whose writes go to a changelog; a crash keeps only a durable prefix."""

    def __init__(self) -> None:
        self.state: dict[bytes, bytes] = {}
        self.log: list[tuple[bytes, bytes]] = []

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self.state.get(key)

    def write(self, key: bytes, value: bytes) -> None:
        self.state[key] = value
        self.log.append((key, value))

    def crash(self, durable: int) -> None:
        """Lose every write after the first `durable`; rebuild the state from the changelog."""
        self.log = self.log[:durable]
        self.state = dict(self.log)


def year_cells(state: dict[bytes, bytes]) -> dict[tuple[str, ...], tuple[int, int, int]]:
    cells = {}
    for key, value in state.items():
        if is_cell(key):
            _, where = parse_cell_key(key)
            cell = decode_cell(value)
            if where.scope == "year":
                total = cells.get((where.kind, where.category, where.wijk, where.period), (0, 0, 0))
                cells[(where.kind, where.category, where.wijk, where.period)] = (
                    total[0] + cell.figures.count,
                    total[1] + cell.figures.amount_cents,
                    total[2] + cell.figures.illegal_fireworks_cents,
                )
    return {key: value for key, value in cells.items() if value[0]}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), crashes=st.integers(0, 6))
def test_processor_is_exact_under_crashes_and_redelivery(seed: int, crashes: int) -> None:
    """Each field system's events arrive in its own input topic (its lane): partition p of
    every lane goes to the one worker of state partition p, the lanes interleave in any order
    (another after every redelivery), and crashes lose any suffix of the changelog writes
    after the last commit."""
    events = generate(seed, incidents=25)
    rnd = random.Random(seed)
    streams: dict[tuple[str, int], list] = {}
    for event in events:  # keyed by incident, as the producer's partitioner would
        record = to_kafka(parse_event(event, REGISTRIES))
        lane = event["source"].rsplit(":systeem:", 1)[1]
        streams.setdefault((lane, sum(record[0]) % 3), []).append(record)
    table = CrashingLog()
    processor = BatchProcessor(REGISTRIES, table)
    committed = dict.fromkeys(streams, 0)
    committed_log = 0
    position = dict(committed)
    crash_points = sorted(rnd.sample(range(len(events)), k=min(crashes, len(events))))
    steps = 0
    while any(position[s] < len(records) for s, records in streams.items()):
        batch = []  # a batch as one getmany gives it: records of several topic-partitions
        for _ in range(rnd.randint(1, 12)):
            open_streams = [s for s, r in streams.items() if position[s] < len(r)]
            if not open_streams:
                break
            stream = rnd.choice(open_streams)
            key, value, headers = streams[stream][position[stream]]
            lane, p = stream
            batch.append(Record(key, value, headers, p, position[stream], lane))
            position[stream] += 1
        result = processor.process(batch)
        assert result.rejections == []
        for _, key, value in result.writes:
            table.write(key, value)
        steps += len(batch)
        if rnd.random() < 0.2:  # faust flushes the producer, then commits every partition
            committed, committed_log = dict(position), len(table.log)
        if crash_points and steps > crash_points[0]:
            while crash_points and steps > crash_points[0]:
                crash_points.pop(0)
            table.crash(rnd.randint(committed_log, len(table.log)))
            position = dict(committed)  # redelivery from the last committed offsets
    assert year_cells(table.state) == expected_totals(events)


def test_state_values_take_no_more_memory_than_their_length() -> None:
    import tracemalloc

    tracemalloc.start()
    try:
        values = [encode_cell(Cell(Figures(n, n, 0), {"": n})) for n in range(1000)]
        per_value = tracemalloc.get_traced_memory()[0] / len(values)
    finally:
        tracemalloc.stop()
    assert per_value < 200, f"{per_value:.0f} bytes per cell value"  # was 4,097 (orjson 3.13)
