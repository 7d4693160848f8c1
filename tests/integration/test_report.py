"""`wijkwacht report` against a real store, SQLite and PostgreSQL (no Kafka needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.repository import SqlTotalsRepository, YearCell
from tests.report_figures import published_cells

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture
def store(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A store holding the published figures, 2022 closed, with one late report after that."""
    upgrade(database_url)
    engine = make_engine(database_url)
    repository = SqlTotalsRepository(engine)
    repository.upsert(published_cells())
    repository.close_year(2022, "controller")
    repository.upsert([YearCell(5, "handhavingsmelding", "afval", "dorp", 2022, 2, 0, 0, 9)])
    engine.dispose()
    monkeypatch.setenv("WIJKWACHT_DATABASE_URL", database_url)
    monkeypatch.setenv("WIJKWACHT_DATA_DIR", str(tmp_path / "var"))
    return database_url


def test_report_reads_the_store_in_every_format(store: str, tmp_path: Path) -> None:
    chart = tmp_path / "trend.png"
    result = runner.invoke(
        app,
        [
            "report",
            "--year",
            "2022",
            "--compare",
            "2021",
            "--format",
            "json",
            "--chart",
            str(chart),
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["enforcement"]["count"] == {
        "value": 8_989,
        "base": 8_611,
        "difference": 378,
        "change_percent": 4.4,
    }
    damage = document["damage"]
    assert damage["amount_cents"]["value"] == 6_985_400
    assert damage["amount_cents"]["base"] == 11_633_100
    assert damage["illegal_fireworks_cents"]["value"] == 2_375_036
    assert damage["illegal_fireworks_share_percent"]["value"] == 34.0
    assert [c["category"] for c in damage["top_categories"]] == [
        "verharding",
        "afvalbakken",
        "scholen-kinderopvang",
    ]
    status = document["years"]["report"]
    assert status["figures"] == "published" and status["closed_by"] == "controller"
    assert status["adjustments"]["by_kind"][0]["count"] == 2  # beside, not in, the 8,989
    assert chart.read_bytes().startswith(b"\x89PNG")

    table = runner.invoke(app, ["report", "--year", "2022", "--compare", "2021"])
    assert table.exit_code == 0, table.output
    assert "€ 69.854,00" in table.stdout and "+4,4 %" in table.stdout
    assert "Post-closing adjustments 2022" in table.stdout

    rows = runner.invoke(app, ["report", "--year", "2021", "--format", "csv"])
    assert rows.exit_code == 0, rows.output
    assert rows.stdout.splitlines()[0].startswith("section,year,kind,category,wijk,measure,value")


def test_report_refuses_a_year_without_figures(store: str) -> None:
    result = runner.invoke(app, ["report", "--year", "2019"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "wijkwacht: --year 2019: the store has no figures for 2019 "
        "(years with figures: 2020, 2021, 2022)"
    ]
    result = runner.invoke(app, ["report", "--year", "2022", "--compare", "2018"])
    assert result.exit_code == 1 and "--compare 2018:" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--compare", "2022"], "--compare 2022 must be an earlier year than --year 2022"),
        (["--chart", "trend.pdf"], "--chart trend.pdf must end in .png or .svg"),
    ],
)
def test_report_refuses_bad_options(arguments: list[str], message: str) -> None:
    result = runner.invoke(app, ["report", "--year", "2022", *arguments])
    assert result.exit_code == 2
    assert result.output.strip() == f"wijkwacht: {message}"


def test_report_says_when_the_store_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIJKWACHT_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/nothing")
    result = runner.invoke(app, ["report", "--year", "2022"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wijkwacht: cannot migrate the store"), lines
