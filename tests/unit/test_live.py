import asyncio
from datetime import UTC, datetime

from events.periods import current_period
from service.domain.counting import Cell, CellKey
from service.domain.figures import Figures
from service.read.live import Aggregates, Subscription

WHERE = CellKey("handhavingsmelding", "afval", "dorp", "year", "2022")


def test_totals_sum_partitions_and_follow_each_partitions_latest_value() -> None:
    aggregates = Aggregates()
    assert aggregates.apply(0, WHERE, Cell(Figures(2, 0, 0), {"": 10}))
    assert aggregates.apply(1, WHERE, Cell(Figures(3, 0, 0), {"": 4}))
    assert aggregates.apply(0, WHERE, Cell(Figures(1, 0, 0), {"": 12}))
    assert aggregates.row(WHERE).figures.count == 4
    assert aggregates.processed == {("", 0): 13, ("", 1): 5}


def test_an_older_value_arriving_late_is_ignored() -> None:
    aggregates = Aggregates()
    aggregates.apply(0, WHERE, Cell(Figures(5, 100, 40), {"": 20}))
    assert not aggregates.apply(
        0, WHERE, Cell(Figures(4, 80, 40), {"": 18})
    )  # a zombie writer's late value
    assert aggregates.row(WHERE).figures.count == 5
    assert aggregates.row(WHERE).figures.amount_cents == 100


def test_rows_filter_by_scope_period_and_drop_zero_counts() -> None:
    aggregates = Aggregates()
    aggregates.apply(0, WHERE, Cell(Figures(1, 0, 0), {"": 1}))
    other = CellKey("cameraincident", "geweld", "stadshart", "year", "2022")
    aggregates.apply(0, other, Cell(Figures(0, 0, 0), {"": 2}))  # withdrawn again
    day = CellKey("handhavingsmelding", "afval", "dorp", "day", "2022-06-01")
    aggregates.apply(0, day, Cell(Figures(1, 0, 0), {"": 1}))
    assert [r.where.kind for r in aggregates.rows("year", "2022")] == ["handhavingsmelding"]
    assert aggregates.rows("year", "2022", kind="cameraincident") == []
    assert [r.where.period for r in aggregates.rows("day", "2022-06-01")] == ["2022-06-01"]


def test_current_period_is_local() -> None:
    moment = datetime(2022, 12, 31, 23, 30, tzinfo=UTC)
    assert current_period("day", moment) == "2023-01-01"
    assert current_period("week", moment) == "2022-W52"
    assert current_period("year", moment) == "2023"


def test_a_subscription_coalesces_changes_and_never_overflows() -> None:
    async def scenario() -> tuple[set[CellKey], set[CellKey]]:
        subscription = Subscription()
        other = CellKey("cameraincident", "geweld", "stadshart", "year", "2022")
        for _ in range(100_000):  # a reader far behind: the same cells over and over
            subscription.add({WHERE})
        subscription.add({other})
        first = await subscription.changes(wait_seconds=1)
        later = asyncio.create_task(subscription.changes(wait_seconds=5))
        await asyncio.sleep(0)
        subscription.add({WHERE})
        return first, await later

    first, second = asyncio.run(scenario())
    assert first == {WHERE, CellKey("cameraincident", "geweld", "stadshart", "year", "2022")}
    assert second == {WHERE}


def test_a_subscription_without_changes_returns_empty_after_waiting() -> None:
    assert asyncio.run(Subscription().changes(wait_seconds=0.01)) == set()


def test_the_live_view_skips_a_changelog_record_that_does_not_decode() -> None:
    from types import SimpleNamespace

    from service.kafka.changelog import cell_key, encode_cell
    from service.kafka.config import KafkaConfig
    from service.read.live import LiveView
    from service.settings import Settings

    view = LiveView(KafkaConfig.from_settings(Settings(_env_file=None)))  # type: ignore[call-arg]
    good = encode_cell(Cell(Figures(2, 0, 0), {"": 5}))
    records = [
        SimpleNamespace(key=cell_key(0, WHERE), value=b"\x00garbage", partition=0, offset=4),
        SimpleNamespace(key=cell_key(0, WHERE), value=good, partition=0, offset=6),
    ]
    assert view._apply(records) == {WHERE}
    assert view.aggregates.row(WHERE).figures.count == 2 and view.undecodable == 1
