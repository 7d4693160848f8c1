"""How `wijkwacht run` knows its processes are up, and keeps their start quiet.

Each process `run` starts gets `--ready-file PATH`, which it creates once it serves: the
worker once faust has started (its table recovered), the materialiser once its consumer
runs, the API once it listens. `run` prints a line per process as it comes up or goes down,
and its banner only when all are up. Children log at WARNING unless `run --verbose`, so that
library start-up logs (Alembic, faust's tables, uvicorn's access lines) do not bury it.
"""

from __future__ import annotations

import enum
import logging
import subprocess
import threading
import time
from pathlib import Path
from typing import Annotated

import typer


class Level(enum.StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"


LogLevel = Annotated[
    Level,
    typer.Option(
        "--log-level",
        help="what the process logs: info by default; `run` starts its processes at warning",
    ),
]
ReadyFile = Annotated[
    Path | None,
    typer.Option("--ready-file", hidden=True, help="created once the process serves"),
]


def configure_logging(level: str = "info") -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if level == Level.WARNING:
        # While a fresh broker is still making its offsets topic, aiokafka's group coordinator
        # warns (and says ERROR that it is not available yet), and retries: a quiet start
        # leaves that out. A coordinator that never comes keeps the process from getting
        # ready, which `run` reports.
        coordinator = logging.getLogger("aiokafka.consumer.group_coordinator")
        coordinator.setLevel(logging.ERROR)
        coordinator.addFilter(lambda record: "CoordinatorNotAvailable" not in record.getMessage())


def mark_ready(path: Path | None) -> None:
    """Say that this process serves, where `run` looks (nothing without a ready file)."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("ready\n")


def mark_ready_when(condition: object, attribute: str, path: Path | None) -> None:
    """Mark ready, from a thread of its own, once `condition.attribute` is true (uvicorn's
    Server sets `started` when it listens)."""
    if path is None:
        return

    def watch() -> None:
        while not getattr(condition, attribute, False):
            time.sleep(0.1)
        mark_ready(path)

    threading.Thread(target=watch, name="ready-file", daemon=True).start()


class Children:
    """The processes `run` started, by name, with their ready files."""

    def __init__(self, ready_dir: Path) -> None:
        self.ready_dir = ready_dir
        ready_dir.mkdir(parents=True, exist_ok=True)
        for stale in ready_dir.glob("*.ready"):
            stale.unlink()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def ready_file(self, name: str) -> Path:
        return self.ready_dir / f"{name}.ready"

    def add(self, name: str, process: subprocess.Popen[bytes]) -> None:
        self.processes[name] = process

    def wait_until_up(self, stop: threading.Event, timeout: float) -> bool:
        """Print `<name> is up` as each comes up, until all are or `timeout` has passed;
        False if one of them stopped."""
        waiting = dict(self.processes)
        deadline = time.monotonic() + timeout
        while waiting and not stop.is_set() and time.monotonic() < deadline:
            for name, process in list(waiting.items()):
                if process.poll() is not None:
                    return False
                if self.ready_file(name).exists():
                    typer.echo(f"  {name:<13}is up (pid {process.pid})")
                    del waiting[name]
            time.sleep(0.1)
        if waiting and not stop.is_set():
            typer.echo(f"  still starting after {timeout:.0f} s: {', '.join(waiting)}")
        return all(process.poll() is None for process in self.processes.values())

    def first_stopped(self) -> str | None:
        """The name of a process that has exited, said in one line; None while all run."""
        for name, process in self.processes.items():
            code = process.poll()
            if code is not None:
                typer.echo(f"  {name:<13}went down (exit code {code})")
                return name
        return None
