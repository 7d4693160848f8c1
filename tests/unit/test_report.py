"""The annual report over an in-memory store: the published 2022 figures, its formats, closed
years with post-closing adjustments, a year without figures, and the trend chart."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from events.registry import load_registries
from service.domain.formats import euros
from service.report import (
    NoFigures,
    Report,
    build_report,
    print_table,
    render_csv,
    render_json,
    write_chart,
)
from storage.repository import (
    YearCell,
)
from tests.report_figures import published_cells
from tests.unit.fakes import InMemoryTotals

REGISTRIES = load_registries()


@pytest.fixture
def store() -> InMemoryTotals:
    repository = InMemoryTotals()
    repository.upsert(published_cells())
    return repository


def table_text(report: Report) -> str:
    console = Console(file=io.StringIO(), width=120, highlight=False, color_system=None)
    print_table(report, console)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_the_published_2022_figures_beside_2021(store: InMemoryTotals) -> None:
    report = build_report(store, REGISTRIES, 2022, 2021)
    enforcement = report.counts["handhavingsmelding"]
    assert (enforcement.value, enforcement.base) == (8_989, 8_611)
    assert (enforcement.difference, enforcement.change_percent) == (378, 4.4)
    assert report.damage_cents.value == 6_985_400
    assert report.damage_cents.base == 11_633_100
    assert report.damage_cents.difference == -4_647_700
    assert report.illegal_fireworks_cents.value == 2_375_036
    assert report.illegal_fireworks_share.value == 34.0
    assert report.illegal_fireworks_share.base == 40.0
    assert [c.category for c in report.top_damage_categories] == [
        "verharding",
        "afvalbakken",
        "scholen-kinderopvang",
    ]
    assert [(c.year, c.count, c.change) for c in report.enforcement_by_year] == [
        (2020, 7_158, None),
        (2021, 8_611, 1_453),
        (2022, 8_989, 378),
    ]
    text = table_text(report)
    for expected in ("8.989", "8.611", "+378", "+4,4 %", "€ 69.854,00", "€ 116.331,00"):
        assert expected in text
    assert "-€ 46.477,00" in text and "€ 23.750,36" in text and "34,0 %" in text


def test_section_5_1_beside_2021(store: InMemoryTotals, tmp_path: Path) -> None:
    home = build_report(store, REGISTRIES, 2022, 2021).home
    cases = (home.registered, home.closed, home.open, home.stock)
    assert [(m.value, m.base) for m in cases] == [(170, 150), (96, 120), (74, 30), (74, 30)]
    assert [(h.housing, h.open.value) for h in home.by_housing] == [
        ("corporatie", 42), ("koop", 20), ("particuliere-huur", 12)
    ]  # fmt: skip
    assert home.most_open is not None
    assert (home.most_open.name, home.most_open.open) == ("Buytenwegh-De Leyens", 25)
    dv, orders = home.domestic_violence, home.restraining_orders
    assert (dv.value, dv.base, dv.change_percent) == (254, 163, 55.8)
    assert (orders.value, orders.base, orders.change_percent) == (59, 44, 34.1)
    report = build_report(store, REGISTRIES, 2022, 2021)
    text = table_text(report)
    for line in (
        "Woonoverlast cases registered",
        "Domestic violence registered",
        "Wijk with the most open cases: Buytenwegh-De Leyens (25)",
    ):
        assert line in text
    document = json.loads(render_json(report))["home"]
    assert document["woonoverlast"]["open_by_housing"][0]["open"]["value"] == 42
    assert document["restraining_orders"]["count"]["change_percent"] == 34.1
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    housing = [r for r in rows if r["section"] == "woonoverlast_by_housing"]
    assert [(r["housing"], r["value"]) for r in housing] == [
        ("corporatie", "42"), ("koop", "20"), ("particuliere-huur", "12")
    ]  # fmt: skip
    write_chart(report, tmp_path / "chart.svg")
    svg = (tmp_path / "chart.svg").read_text()
    assert "Open woonoverlast cases" in svg and "Domestic violence" in svg


def test_camera_areas_are_wijken_with_their_registry_cameras(store: InMemoryTotals) -> None:
    areas = {a.wijk: a for a in build_report(store, REGISTRIES, 2022).camera_areas}
    assert [c.id for c in areas["stadshart"].cameras] == ["mandelabrug", "stadshart"]
    assert [c.id for c in areas["buytenwegh-de-leyens"].cameras] == ["buytenwegh"]
    assert [c.id for c in areas["oosterheem"].cameras] == ["tijdelijk-oosterheem"]
    assert areas["stadshart"].count.value == 120 and areas["oosterheem"].count.value == 12
    assert areas["seghwaert"].count.value == 0  # a camera area with no incidents still shows
    assert "per wijk, not per camera" in table_text(build_report(store, REGISTRIES, 2022))


def test_per_wijk_breakdown(store: InMemoryTotals) -> None:
    wijken = {w.wijk: w for w in build_report(store, REGISTRIES, 2022, 2021).wijken}
    stadshart = wijken["stadshart"]
    assert stadshart.counts["handhavingsmelding"].value == 3_000
    assert stadshart.counts["handhavingsmelding"].difference == -100
    assert stadshart.counts["jaarwisselingsschade"].value == 50
    assert stadshart.damage_cents.value == 2_930_000
    assert wijken["seghwaert"].counts["handhavingsmelding"].value == 0


def test_json_document_shape(store: InMemoryTotals) -> None:
    document = json.loads(render_json(build_report(store, REGISTRIES, 2022, 2021)))
    assert document["schema_version"] == 1
    assert (document["year"], document["base_year"]) == (2022, 2021)
    assert document["enforcement"]["count"] == {
        "value": 8_989,
        "base": 8_611,
        "difference": 378,
        "change_percent": 4.4,
    }
    damage = document["damage"]
    assert damage["amount_cents"]["value"] == 6_985_400
    assert damage["amount_cents"]["difference"] == -4_647_700
    assert damage["illegal_fireworks_cents"]["value"] == 2_375_036
    assert damage["illegal_fireworks_share_percent"] == {
        "value": 34.0,
        "base": 40.0,
        "difference_points": -6.0,
    }
    assert [c["category"] for c in damage["top_categories"]] == [
        "verharding",
        "afvalbakken",
        "scholen-kinderopvang",
    ]
    assert damage["top_categories"][0]["amount_cents"]["value"] == 2_150_000
    assert document["camera_incidents"]["grouped_by"] == "wijk"
    assert document["years"]["report"]["figures"] == "current"
    assert [p["year"] for p in document["trend"]] == [2020, 2021, 2022]
    alone = json.loads(render_json(build_report(store, REGISTRIES, 2022)))
    assert alone["base_year"] is None and alone["years"]["base"] is None
    assert alone["enforcement"]["count"] == {
        "value": 8_989,
        "base": None,
        "difference": None,
        "change_percent": None,
    }
    assert alone.keys() == document.keys()


def test_csv_is_long_format_and_parseable(store: InMemoryTotals) -> None:
    rows = list(
        csv.DictReader(io.StringIO(render_csv(build_report(store, REGISTRIES, 2022, 2021))))
    )
    assert rows
    total = next(r for r in rows if r["section"] == "totals" and r["kind"] == "handhavingsmelding")
    assert total["year"] == "2022" and total["value"] == "8989" and total["base_value"] == "8611"
    assert total["difference"] == "378" and total["change_percent"] == "4.4"
    damage = next(r for r in rows if r["section"] == "damage" and r["measure"] == "amount_cents")
    assert damage["value"] == "6985400" and damage["difference"] == "-4647700"
    top = [r["category"] for r in rows if r["section"].startswith("top_damage_category_")]
    assert top == ["verharding", "afvalbakken", "scholen-kinderopvang"]


def test_closed_year_shows_published_figures_and_adjustments_separately(
    store: InMemoryTotals,
) -> None:
    store.close_year(2022, "controller")
    late = YearCell(2, "handhavingsmelding", "afval", "dorp", 2022, 3, 0, 0, 1_000)
    damage = YearCell(2, "jaarwisselingsschade", "groen", "dorp", 2022, 1, 12_345, 0, 1_001)
    store.upsert([late, damage])
    report = build_report(store, REGISTRIES, 2022, 2021)
    assert report.counts["handhavingsmelding"].value == 8_989  # published, not 8,992
    assert report.damage_cents.value == 6_985_400
    assert report.status.closing is not None and report.status.closing.closed_by == "controller"
    by_kind = {a.kind: a.figures for a in report.status.adjustment_totals}
    assert by_kind["handhavingsmelding"].count == 3
    assert by_kind["jaarwisselingsschade"].amount_cents == 12_345
    assert {(a.kind, a.category, a.wijk) for a in report.status.adjustments} == {
        ("handhavingsmelding", "afval", "dorp"),
        ("jaarwisselingsschade", "groen", "dorp"),
    }
    document = json.loads(render_json(report))
    status = document["years"]["report"]
    assert status["figures"] == "published" and status["closed_by"] == "controller"
    assert status["closed_at"].startswith("2023-02-01T09:30")
    assert document["enforcement"]["count"]["value"] == 8_989
    assert {a["kind"]: a["count"] for a in status["adjustments"]["by_kind"]} == {
        "handhavingsmelding": 3,
        "jaarwisselingsschade": 1,
    }
    text = table_text(report)
    assert "closed on 2023-02-01 09:30 UTC by controller" in text
    assert "Post-closing adjustments 2022" in text and "NOT included" in text
    assert "+€ 123,45" in text


def test_a_year_without_figures_is_refused(store: InMemoryTotals) -> None:
    with pytest.raises(NoFigures, match=r"no figures for 2019 \(years with figures: 2020, 2021"):
        build_report(store, REGISTRIES, 2019)
    with pytest.raises(NoFigures) as raised:
        build_report(store, REGISTRIES, 2022, 2018)
    assert raised.value.year == 2018


def test_a_closed_year_without_aggregates_still_reports(store: InMemoryTotals) -> None:
    store.close_year(2022, "controller")
    store.clear_aggregates()  # a replay in progress: published figures stay
    report = build_report(store, REGISTRIES, 2022)
    assert report.counts["handhavingsmelding"].value == 8_989
    assert report.status.adjustment_totals  # everything "withdrawn" since closing, shown apart


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (6_985_400, "€ 69.854,00"),
        (2_375_036, "€ 23.750,36"),
        (-4_647_700, "-€ 46.477,00"),
        (5, "€ 0,05"),
    ],
)
def test_money_is_dutch_style_from_integer_cents(cents: int, text: str) -> None:
    assert euros(cents) == text


@pytest.mark.parametrize(("suffix", "start"), [(".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<?xml")])
def test_chart_is_written(store: InMemoryTotals, tmp_path: Path, suffix: str, start: bytes) -> None:
    path = tmp_path / f"trend{suffix}"
    write_chart(build_report(store, REGISTRIES, 2022, 2021), path)
    data = path.read_bytes()
    assert data.startswith(start)
    if suffix == ".svg":
        assert b"<svg" in data[:1000]
