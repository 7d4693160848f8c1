"""The reproduction test of issues 5 and 16: three simulated years, with duplicates, revisions
and withdrawals (and woonoverlast cases whose statuses may arrive before the case), go HTTP →
Kafka → worker → PostgreSQL, and the year-end figures are exactly the ones Zoetermeer's annual
report publishes (../shared/seed/README.md), sections 5.2 and 5.1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from service.cli import app
from service.settings import Settings
from tests.integration.kafka_util import ensure
from tests.support import READER, PostgresCluster, Process, free_port, settings_env, wait_until

pytestmark = pytest.mark.e2e
KEYS = (
    "handhaving-app:repro-key-handhaving-01,camera-app:repro-key-camera-000001,"
    "schade-app:repro-key-schade-0000001,veiligheidshuis-app:repro-key-veiligheid-01,"
    "zaken-app:repro-key-zaken-00000001"
)
PUBLISHED_REPORTS = {2020: 7158, 2021: 8611, 2022: 8989}
PUBLISHED_DAMAGE_CENTS = {2021: 11_633_100, 2022: 6_985_400}


def test_simulated_years_reproduce_the_published_figures(
    settings: Settings, postgres: PostgresCluster, tmp_path: Path
) -> None:
    settings = settings.model_copy(
        update={
            "database_url": postgres.create_database("reproduction"),
            "api_port": free_port(),
            "topic_partitions": 6,
            "api_keys": SecretStr(KEYS),  # every field system of the simulation gets a topic
        }
    )
    ensure(settings)  # the operator creates the topics: a worker may not
    env = {**settings_env(settings), "WIJKWACHT_API_KEYS": KEYS}
    api = f"http://127.0.0.1:{settings.api_port}"
    worker = Process(["worker"], env, tmp_path / "worker.log")
    materialiser = Process(["materialise"], env, tmp_path / "materialiser.log")
    server = Process(["api"], env, tmp_path / "api.log")
    try:
        wait_until(lambda: _ready(api), timeout=60, what="the API")
        simulated = subprocess.run(
            [
                str(Path(sys.executable).parent / "wijkwacht"),
                "simulate",
                *("--from", "2020", "--to", "2022", "--seed", "2022"),
                *("--duplicates", "0.1", "--revisions", "0.05", "--withdrawals", "0.02"),
                *("--target", "http", "--url", api, "--api-key", KEYS),
            ],
            env={**env},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert simulated.returncode == 0, simulated.stdout + simulated.stderr
        print(simulated.stdout)

        def drained() -> bool:
            as_of = httpx.get(f"{api}/v1/live", headers=READER, timeout=10).json()["as_of"]
            return (
                as_of.get("events_behind") == 0
                and _reports(api, 2022) == 8989
                and _cases(api, 2022) == 170
            )

        wait_until(drained, timeout=300, interval=1, what="the processors to drain the input")
        for year, count in PUBLISHED_REPORTS.items():
            assert _reports(api, year) == count
    finally:
        server.stop()
        assert worker.stop() == 0, worker.output()[-3000:]
        assert materialiser.stop() == 0, materialiser.output()[-3000:]

    runner = CliRunner()
    for year in PUBLISHED_REPORTS:
        reconciled = runner.invoke(app, ["reconcile", "--year", str(year)], env=env)
        assert reconciled.exit_code == 0, reconciled.output

    compared = runner.invoke(
        app, ["report", "--year", "2022", "--compare", "2021", "--format", "json"], env=env
    )
    assert compared.exit_code == 0, compared.output
    report = json.loads(compared.output)
    check_published_figures(report)
    table = runner.invoke(app, ["report", "--year", "2022", "--compare", "2021"], env=env)
    assert table.exit_code == 0, table.output
    print(table.output)


def check_published_figures(report: dict[str, Any]) -> None:
    """What 5.2 and 5.1 of the annual report publish, read from `report --format json`."""
    assert (report["year"], report["base_year"]) == (2022, 2021)
    enforcement = report["enforcement"]
    assert enforcement["count"] == {
        "value": 8989,
        "base": 8611,
        "difference": 378,
        "change_percent": 4.4,
    }
    by_year = {row["year"]: row["count"] for row in enforcement["by_year"]}
    assert by_year == PUBLISHED_REPORTS
    damage = report["damage"]
    assert damage["amount_cents"]["value"] == PUBLISHED_DAMAGE_CENTS[2022]  # € 69,854
    assert damage["amount_cents"]["base"] == PUBLISHED_DAMAGE_CENTS[2021]  # € 116,331
    assert damage["amount_cents"]["difference"] == -4_647_700  # € 46,477 less
    assert round(damage["illegal_fireworks_share_percent"]["value"]) == 34
    assert [c["category"] for c in damage["top_categories"][:3]] == [
        "verharding",
        "afvalbakken",
        "scholen-kinderopvang",
    ]
    home = report["home"]
    cases = home["woonoverlast"]
    assert [cases[f]["value"] for f in ("registered", "closed", "open", "stock")] == [
        170,
        96,
        74,
        74,
    ]
    assert [(h["housing"], h["open"]["value"]) for h in cases["open_by_housing"]] == [
        ("corporatie", 42), ("koop", 20), ("particuliere-huur", 12)
    ]  # fmt: skip
    assert cases["most_open_wijk"] == {
        "wijk": "buytenwegh-de-leyens", "name": "Buytenwegh-De Leyens", "open": 25
    }  # fmt: skip
    assert home["domestic_violence"]["count"] == {
        "value": 254, "base": 163, "difference": 91, "change_percent": 55.8
    }  # fmt: skip
    assert home["restraining_orders"]["count"] == {
        "value": 59, "base": 44, "difference": 15, "change_percent": 34.1
    }  # fmt: skip
    fixed = {
        camera["id"]
        for area in report["camera_incidents"]["areas"]
        for camera in area["cameras"]
        if camera["fixed"]
    }
    assert fixed == {"buytenwegh", "mandelabrug", "stadshart"}


def _reports(api: str, year: int) -> int:
    rows = httpx.get(
        f"{api}/v1/totals",
        headers=READER,
        params={"year": year, "group_by": "kind", "kind": "handhavingsmelding"},
        timeout=10,
    ).json()["rows"]
    return int(rows[0]["count"]) if rows else 0


def _cases(api: str, year: int) -> int:
    body = httpx.get(
        f"{api}/v1/totals", headers=READER, params={"year": year, "group_by": ""}, timeout=10
    ).json()
    total = body["cases"]["total"]
    return int(total["registered"]) if total else 0


def _ready(api: str) -> bool:
    try:
        return httpx.get(f"{api}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
