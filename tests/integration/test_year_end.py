"""Year-end reading on both databases: totals and compare over HTTP, closing a year (admin
key only, once), late events as adjustments beside the published figures, and reconcile."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from service.bootstrap import Wiring
from service.cli import app
from service.settings import Settings
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.repository import SqlTotalsRepository
from tests.integration.kafka_util import ensure
from tests.integration.test_store import cell, incident
from tests.support import READER, settings_env

pytestmark = pytest.mark.integration
ADMIN = {"Authorization": "Bearer controller-key-000000001"}
FIELD_SYSTEM = {"Authorization": "Bearer test-key-handhaving-0001"}


@pytest.fixture
def year_end(settings: Settings, database_url: str) -> Settings:
    settings = settings.model_copy(
        update={
            "database_url": database_url,
            "admin_keys": SecretStr("controller:controller-key-000000001"),
        }
    )
    upgrade(settings.store_url)
    return settings


@pytest.fixture
def repository(year_end: Settings) -> SqlTotalsRepository:
    return SqlTotalsRepository(make_engine(year_end.store_url))


@pytest.fixture
def client(year_end: Settings) -> Iterator[TestClient]:
    ensure(year_end)
    with TestClient(Wiring(year_end).api()) as client:
        yield client


def test_closing_a_year_publishes_it_and_late_events_become_adjustments(
    client: TestClient, repository: SqlTotalsRepository
) -> None:
    repository.upsert([cell(0, 3, 10), cell(1, 2, 4, wijk="rokkeveen")])
    open_year = client.get("/v1/totals", params={"year": 2022}, headers=READER).json()
    assert open_year["closed"] is None and open_year["adjustments"] == []
    assert [r["count"] for r in open_year["rows"]] == [3, 2]

    assert client.post("/v1/years/2022/close").status_code == 401
    refused = client.post("/v1/years/2022/close", headers=FIELD_SYSTEM)
    assert refused.status_code == 403  # known, but a field system's key is no operator's
    assert client.post("/v1/years/2022/close", headers=READER).status_code == 403
    closed = client.post("/v1/years/2022/close", headers=ADMIN)
    assert closed.status_code == 201, closed.text
    assert closed.json()["closed_by"] == "controller"
    again = client.post("/v1/years/2022/close", headers=ADMIN)
    assert again.status_code == 409
    assert again.json()["detail"] == "year 2022 is closed already"

    repository.upsert([cell(0, 4, 11), cell(2, 1, 12, wijk="palenstein")])  # late events
    totals = client.get("/v1/totals", params={"year": 2022}, headers=READER).json()
    assert totals["closed"]["closed_by"] == "controller"
    assert [(r["wijk"], r["count"]) for r in totals["rows"]] == [("dorp", 3), ("rokkeveen", 2)]
    assert [(r["wijk"], r["count"], r["amount_cents"]) for r in totals["adjustments"]] == [
        ("dorp", 1, 100),
        ("palenstein", 1, 100),
    ]
    by_kind = client.get(
        "/v1/totals", params={"year": 2022, "group_by": "kind"}, headers=READER
    ).json()
    assert [r["count"] for r in by_kind["rows"]] == [5]
    assert [r["count"] for r in by_kind["adjustments"]] == [2]


def test_compare_puts_two_years_side_by_side(
    client: TestClient, repository: SqlTotalsRepository
) -> None:
    repository.upsert(
        [
            cell(0, 8989, 1, kind="handhavingsmelding", category="afval"),
            cell(0, 8611, 2, kind="handhavingsmelding", category="afval", year=2021),
            cell(1, 4, 3, year=2021),  # damage only in the base year
        ]
    )
    response = client.get(
        "/v1/totals/compare",
        params={"year": 2022, "base": 2021, "group_by": "kind"},
        headers=READER,
    )
    assert response.status_code == 200, response.text
    rows = {r["kind"]: r for r in response.json()["rows"]}
    reports = rows["handhavingsmelding"]
    assert (reports["year"]["count"], reports["base"]["count"]) == (8989, 8611)
    assert reports["difference"]["count"] == 378
    assert reports["change_percent"]["count"] == 4.4
    damage = rows["jaarwisselingsschade"]
    assert damage["year"]["count"] == 0 and damage["change_percent"]["count"] == -100.0
    assert response.json()["closed"] == {"2022": None, "2021": None}
    bad = client.get(
        "/v1/totals/compare", params={"year": 2022, "base": 2021, "group_by": "x"}, headers=READER
    )
    assert bad.status_code == 400 and "group_by" in bad.json()["detail"]


def test_reconcile_finds_every_difference_and_close_year_from_the_cli(
    year_end: Settings, repository: SqlTotalsRepository
) -> None:
    env = settings_env(year_end)
    repository.upsert([cell(0, 1, 10)], [incident("JW-1", 10)])
    agreed = CliRunner().invoke(app, ["reconcile", "--year", "2022"], env=env)
    assert agreed.exit_code == 0, agreed.output
    assert "2022: totals and incidents agree (1 rows, 1 incidents counted)" in agreed.output

    repository.upsert(incidents=[incident("JW-2", 11, wijk="rokkeveen")])  # no cell for it
    differs = CliRunner().invoke(app, ["reconcile", "--year", "2022"], env=env)
    assert differs.exit_code == 1
    assert "jaarwisselingsschade/verharding/rokkeveen: totals count 0" in differs.output
    assert "incidents count 1" in differs.output

    closed = CliRunner().invoke(app, ["close-year", "--year", "2022", "--by", "j.jansen"], env=env)
    assert closed.exit_code == 0, closed.output
    assert "by j.jansen: 1 incidents published" in closed.output
    twice = CliRunner().invoke(app, ["close-year", "--year", "2022", "--by", "x"], env=env)
    assert twice.exit_code == 1 and "year 2022 is closed already" in twice.output


def test_reconcile_checks_the_woonoverlast_cells_against_the_stored_cases(
    year_end: Settings, repository: SqlTotalsRepository
) -> None:
    from datetime import datetime

    from events.periods import LOCAL
    from service.domain.cases import Case, Opening, Status, cell_deltas
    from service.kafka.changelog import encode_case
    from storage.repository import CaseRow, YearCell

    def at(day: str) -> datetime:
        return datetime.fromisoformat(day).replace(tzinfo=LOCAL)

    closed = Status("s-1", 1, "S-1", at("2022-05-01T10:00"), "afgerond", True, "opgelost")
    case = Case(
        Opening("z-1", 1, at("2022-03-01T10:00"), "dorp", "koop", "geluid"),
        {"S-1": closed},
        offset=7,
    )
    cells = [
        YearCell(0, w.kind, w.category, w.wijk, int(w.period), d.count, 0, 0, 7, w.housing)
        for w, d in cell_deltas(None, case).items()
        if w.scope == "year"
    ]
    repository.upsert(
        cells, cases=[CaseRow("urn:x:systeem:zaken-app", "Z-1", 0, encode_case(case).decode(), 7)]
    )
    env = settings_env(year_end)
    agreed = CliRunner().invoke(app, ["reconcile", "--year", "2022"], env=env)
    assert agreed.exit_code == 0, agreed.output
    assert "so do the woonoverlast cases' cells and the stored cases (3 cells)" in agreed.output
    wrong = YearCell(0, "woonoverlast.afgerond", "geluid", "dorp", 2022, 2, 0, 0, 8, "koop")
    repository.upsert([wrong])  # as if a closing had been counted twice
    differs = CliRunner().invoke(app, ["reconcile", "--year", "2022"], env=env)
    assert differs.exit_code == 1
    assert "woonoverlast.afgerond/geluid/dorp/koop: totals count 2; cases count 1" in differs.output


def test_purge_from_the_cli_asks_first_and_leaves_a_closed_year_its_totals(
    year_end: Settings, repository: SqlTotalsRepository
) -> None:
    env = settings_env(year_end)
    repository.upsert([cell(0, 1, 10, year=2021)], [incident("JW-1", 10, year=2021)])
    asked = CliRunner().invoke(app, ["purge", "--before", "2022"], env=env)
    assert asked.exit_code == 0 and "would purge the incident rows of 2021" in asked.output
    assert repository.incident_totals(year=2021) != []  # only asked
    refused = CliRunner().invoke(app, ["purge", "--before", "2022", "--yes"], env=env)
    assert refused.exit_code == 1 and "2021 is not closed" in refused.output
    CliRunner().invoke(app, ["close-year", "--year", "2021", "--by", "j.jansen"], env=env)
    purged = CliRunner().invoke(app, ["purge", "--before", "2022", "--yes"], env=env)
    assert purged.exit_code == 0, purged.output
    assert "incident rows purged for 2021" in purged.output
    assert repository.incident_totals(year=2021) == []
    checked = CliRunner().invoke(app, ["reconcile", "--year", "2021"], env=env)
    assert checked.exit_code == 0 and "incident rows were purged on" in checked.output


def test_reconcile_says_when_the_store_cannot_be_reached() -> None:
    env = {"WIJKWACHT_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = CliRunner().invoke(app, ["reconcile", "--year", "2022"], env=env)
    assert result.exit_code == 1
    assert "cannot be reached" in result.output
