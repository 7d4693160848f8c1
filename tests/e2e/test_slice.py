"""End to end, as a user runs it: processes started from the command line, one event posted
over HTTP, its yearly total read back from the store."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import httpx
import pytest

from tests import factories
from tests.support import READER, READER_KEY, Process, free_port, wait_until

pytestmark = pytest.mark.e2e


def user_env(tmp_path: Path, store: str) -> dict[str, str]:
    base = free_port(2)
    api = free_port()
    return {
        "WIJKWACHT_DATA_DIR": str(tmp_path / "var"),
        "WIJKWACHT_LOCAL_BROKER_PORT": str(base),
        "WIJKWACHT_API_PORT": str(api),
        "WIJKWACHT_DATABASE_URL": store,
        "WIJKWACHT_TOPIC_PARTITIONS": "3",
        "WIJKWACHT_READER_KEYS": f"dashboard:{READER_KEY}",
    }


def post_and_read_total(api: str, key: str, reader: dict[str, str] = READER) -> None:
    event = factories.report("HH-E2E-1", occurred_at="2022-12-31T23:30:00Z")  # 2023 local
    wait_until(lambda: _ready(api), timeout=60, what="the API to be ready")
    response = httpx.post(
        f"{api}/v1/events",
        content=httpx.Request("POST", "/", json=event).content,
        headers={"content-type": "application/cloudevents+json", "authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert response.status_code == 202, response.text

    def total() -> list | None:
        rows = httpx.get(
            f"{api}/v1/totals", headers=reader, params={"year": 2023}, timeout=10
        ).json()["rows"]
        return rows or None

    rows = wait_until(total, timeout=60, what="the yearly total")
    assert rows == [
        {
            "kind": "handhavingsmelding",
            "category": "afval",
            "wijk": "dorp",
            "count": 1,
            "amount_cents": 0,
            "illegal_fireworks_cents": 0,
        }
    ]
    assert (
        httpx.get(f"{api}/v1/totals", headers=reader, params={"year": 2022}, timeout=10).json()[
            "rows"
        ]
        == []
    )


def _ready(api: str) -> bool:
    try:
        return httpx.get(f"{api}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def processes_mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line or environment mentions `text` (our data
    dir: the broker's java names it on its command line, worker and api in WIJKWACHT_DATA_DIR)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                seen = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if text.encode() in seen and state != "Z":
                found.append(int(entry.name))
    return found


def test_broker_worker_api_as_separate_processes(tmp_path: Path, postgres) -> None:  # type: ignore[no-untyped-def]
    env = user_env(tmp_path, postgres.create_database("e2e_separate"))
    env["WIJKWACHT_API_KEYS"] = "handhaving-app:e2e-key-0123456789"
    broker = Process(["broker"], env, tmp_path / "broker.log")
    started = [broker]
    try:
        wait_until(
            lambda: "ready at" in broker.output() or not broker.alive(),
            timeout=90,
            what="the broker",
        )
        assert broker.alive(), broker.output()
        assert "Apache Kafka 4." in broker.output()
        worker = Process(["worker"], env, tmp_path / "worker.log")
        materialiser = Process(["materialise"], env, tmp_path / "materialiser.log")
        api = Process(["api"], env, tmp_path / "api.log")
        started += [worker, materialiser, api]
        post_and_read_total(f"http://127.0.0.1:{env['WIJKWACHT_API_PORT']}", "e2e-key-0123456789")
    finally:
        codes = [process.stop() for process in reversed(started)]
        for code, process in zip(codes, reversed(started), strict=True):
            assert code in (0, -signal.SIGTERM), process.output()[-2000:]
    assert processes_mentioning(str(tmp_path / "var")) == []


def test_run_starts_everything_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    env = user_env(tmp_path, f"sqlite:///{tmp_path / 'var' / 'store.sqlite3'}")
    env["WIJKWACHT_ENV"] = "development"
    env.pop("WIJKWACHT_API_KEYS", None)
    env.pop("WIJKWACHT_READER_KEYS")
    run = Process(["run"], {**env, "WIJKWACHT_API_KEYS": ""}, tmp_path / "run.log")
    try:
        key_file = tmp_path / "var" / "development-api-key"
        wait_until(
            lambda: "Development reader key" in run.output() or not run.alive(),
            timeout=120,
            what="the development keys to be printed",
        )
        key = key_file.read_text().strip()
        reader = (tmp_path / "var" / "development-reader-key").read_text().strip()
        assert key in run.output() and reader in run.output()
        base = f"http://127.0.0.1:{env['WIJKWACHT_API_PORT']}"
        assert_a_readable_start(run.output(), base)
        post_and_read_total(base, key, {"authorization": f"Bearer {reader}"})
        run.popen.send_signal(signal.SIGINT)  # what Ctrl-C sends
        run.popen.wait(60)
        assert run.output().rstrip().endswith("Wijkwacht stopped.")
    finally:
        run.kill()
    assert_everything_stops(tmp_path, timeout=30)


def assert_a_readable_start(output: str, base: str) -> None:
    """A line per process as it comes up, then the banner with the dashboard first, and no
    library's start-up logs around them (issue 17: a start a person can read)."""
    lines = output.splitlines()
    ready = lines.index("Wijkwacht is ready.")
    before = lines[:ready]
    for name in ("worker", "materialise", "api"):
        assert any(re.match(rf"  {name} +is up \(pid \d+\)$", line) for line in before), output
    assert lines[ready + 1] == f"  Dashboard  {base}/   (sign in with a reader's key)"
    assert len(before) <= 8, output
    logged = [line for line in lines if re.search(r" (DEBUG|INFO|WARNING|ERROR) ", line)]
    assert logged == [], output
    assert "\x1b" not in output  # no terminal control codes (faust's spinner) in a log


def started_run(tmp_path: Path, says: str) -> Process:
    """`wijkwacht run` in development on a data dir of its own, once its output says `says`
    (or it died)."""
    env = user_env(tmp_path, f"sqlite:///{tmp_path / 'var' / 'store.sqlite3'}")
    env.update(WIJKWACHT_ENV="development", WIJKWACHT_API_KEYS="")
    run = Process(["run"], env, tmp_path / "run.log")
    wait_until(
        lambda: says in run.output() or not run.alive(),
        timeout=120,
        what="run to start its processes",
    )
    return run


def assert_everything_stops(tmp_path: Path, timeout: float) -> None:
    wait_until(
        lambda: processes_mentioning(str(tmp_path / "var")) == [],
        timeout=timeout,
        what="every child process to stop",
    )


def test_a_process_of_run_that_dies_is_named_and_everything_stops(tmp_path: Path) -> None:
    run = started_run(tmp_path, "Wijkwacht is ready.")
    try:
        found = re.search(r"  worker +is up \(pid (\d+)\)", run.output())
        assert found, run.output()
        os.kill(int(found.group(1)), signal.SIGKILL)
        assert run.popen.wait(60) == 1
        assert re.search(r"  worker +went down \(exit code -9\)", run.output()), run.output()
        assert "a process stopped unexpectedly; everything was stopped" in run.output()
    finally:
        run.kill()
    assert_everything_stops(tmp_path, timeout=30)


def test_children_of_run_die_with_it_even_on_sigkill(tmp_path: Path) -> None:
    run = started_run(tmp_path, "Ctrl-C stops everything")
    try:
        # run itself, the broker (python and java), worker and api
        assert len(processes_mentioning(str(tmp_path / "var"))) >= 5
    finally:
        run.kill()  # SIGKILL: no chance to stop its children itself
    assert_everything_stops(tmp_path, timeout=60)
