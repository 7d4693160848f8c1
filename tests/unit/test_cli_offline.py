"""The offline tools: validate, schema, and a broken registry stopping a process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from events.registry import DEFAULT_DIR
from service.cli import app
from tests import factories

runner = CliRunner()


def test_validate_prints_one_line_per_event_and_exits_1_on_any_error(tmp_path: Path) -> None:
    good, bad = factories.report("A"), factories.damage("B", amount_cents=0, wijk="atlantis")
    file = tmp_path / "events.jsonl"
    file.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n{oops\n")
    result = runner.invoke(app, ["validate", str(file)])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0] == {"line": 1, "id": good["id"], "valid": True, "errors": []}
    assert lines[1]["line"] == 2 and lines[1]["id"] == bad["id"] and not lines[1]["valid"]
    assert {e["field"] for e in lines[1]["errors"]} == {"data.amount_cents", "data.wijk"}
    assert lines[2]["line"] == 3 and lines[2]["valid"] is False and lines[2]["id"] is None


def test_validate_reads_stdin_and_exits_0_when_all_valid() -> None:
    body = "\n".join(json.dumps(e) for e in (factories.report(), factories.camera_incident()))
    result = runner.invoke(app, ["validate", "-"], input=body + "\n")
    assert result.exit_code == 0
    assert [json.loads(line)["valid"] for line in result.stdout.splitlines()] == [True, True]


def test_schema_prints_every_type_and_asyncapi() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    documents = json.loads(result.stdout)
    assert documents["asyncapi.json"]["asyncapi"] == "3.0.0"
    assert "nl.wijkwacht.intrekking.v1.schema.json" in documents


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: (p / "wijken.json").unlink(), "wijken.json is missing"),
        (lambda p: (p / "teams.json").write_text("{"), "teams.json cannot be read"),
        (
            lambda p: (p / "cameras.json").write_text(
                (p / "cameras.json").read_text().replace('"wijk": "stadshart"', '"wijk": "mars"', 1)
            ),
            "unknown wijk 'mars'",
        ),
    ],
)
def test_broken_registry_stops_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: object, message: str
) -> None:
    directory = tmp_path / "registries"
    shutil.copytree(DEFAULT_DIR, directory)
    damage(directory)  # type: ignore[operator]
    monkeypatch.setenv("WIJKWACHT_REGISTRY_DIR", str(directory))
    result = runner.invoke(app, ["validate", "-"], input="")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


def test_validate_refuses_times_the_api_would_refuse_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    monkeypatch.setenv("WIJKWACHT_FUTURE_MARGIN_SECONDS", "60")
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    ahead = factories.report("A", occurred_at=later)
    control = factories.report("B")
    control["source"] = "urn:nld:gemeente-zoetermeer\x1f:systeem:handhaving-app"
    body = "\n".join(json.dumps(e) for e in (ahead, control))
    result = runner.invoke(app, ["validate", "-"], input=body + "\n")
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["field"] for e in lines[0]["errors"]] == ["data.occurred_at"]
    assert "60 s after the server's clock" in lines[0]["errors"][0]["message"]
    assert [e["field"] for e in lines[1]["errors"]] == ["source"]
    assert "U+001F" in lines[1]["errors"][0]["message"]
