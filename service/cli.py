"""The `wijkwacht` command line: one subcommand per process, plus the offline tools."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, NoReturn

import orjson
import typer
from pydantic import ValidationError

from events.errors import InvalidEvent, RegistryError
from events.models import parse_event
from events.registry import Registries, load_registries
from service.settings import Settings

app = typer.Typer(
    name="wijkwacht",
    help="Wijkwacht: incident ingestion for a municipality's public-safety programme.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
DEV_FIELD_SYSTEM = "handhaving-app"


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"wijkwacht: {message}", err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    """Settings from the environment; an invalid one stops the process with one clear line."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "_".join(str(p) for p in first["loc"]).upper()
        variable = f"WIJKWACHT_{name}" if name else "settings"
        fail(f"{variable}: {first['msg'].removeprefix('Value error, ')}")


def registries(settings: Settings) -> Registries:
    """The registries; a broken registry file stops the process with one clear line."""
    try:
        return load_registries(settings.registry_dir)
    except RegistryError as exc:
        fail(str(exc))


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@app.command()
def broker() -> None:
    """Run the local single-node Apache Kafka broker until stopped (Ctrl-C or SIGTERM)."""
    from service.broker import BrokerError, LocalBroker
    from service.topics import ensure_topics

    settings = load_settings()
    if not settings.uses_local_broker:
        typer.echo(
            f"WIJKWACHT_KAFKA_BOOTSTRAP is set ({settings.kafka_bootstrap}): "
            "that cluster is used and no local broker starts"
        )
        return
    local = LocalBroker(settings)
    stop = _stop_on_signals()
    try:
        local.start()
        local.wait_ready()
        asyncio.run(ensure_topics(settings))
    except BrokerError as exc:
        local.stop()
        fail(str(exc))
    typer.echo(f"Apache Kafka {local.version()} ready at {local.bootstrap} (log: {local.log_file})")
    while not stop.is_set() and local.process is not None and local.process.poll() is None:
        stop.wait(0.5)
    code = local.stop()
    if not stop.is_set():
        fail(f"the broker exited with code {code}; see {local.log_file}", 1)
    typer.echo("Kafka stopped")


@app.command()
def worker() -> None:
    """Run one faust stream-processing worker (several may run at once)."""
    from service.worker import run_worker

    settings = load_settings()
    regs = registries(settings)
    _logging()
    run_worker(settings, regs)


@app.command()
def api() -> None:
    """Run the HTTP API and the operations dashboard."""
    import uvicorn

    from service.api import build_api

    settings = load_settings()
    regs = registries(settings)
    _logging()
    if not settings.field_system_keys:
        logging.getLogger(__name__).warning(
            "WIJKWACHT_API_KEYS is empty: POST /v1/events will answer 401 to everyone"
        )
    uvicorn.run(
        build_api(settings, regs),
        host=settings.api_host,
        port=settings.api_port,
        log_level="info",
        proxy_headers=False,
    )


@app.command()
def migrate() -> None:
    """Bring the store's schema up to date and exit."""
    from storage.errors import MigrationError
    from storage.migrate import upgrade

    settings = load_settings()
    try:
        upgrade(settings.store_url)
    except MigrationError as exc:
        fail(str(exc), 1)
    typer.echo("store schema is up to date")


@app.command()
def replay() -> None:
    """Rebuild every aggregate from offset 0 of the input topic (stop all workers first)."""
    from service.replay import ReplayError
    from service.replay import replay as run_replay

    settings = load_settings()
    try:
        result = asyncio.run(run_replay(settings))
    except ReplayError as exc:
        fail(str(exc), 1)
    typer.echo(
        f"state emptied on {result['partitions']} partitions and "
        f"{result['store_rows_cleared']} store rows cleared; "
        "start the workers to rebuild from offset 0"
    )


@app.command()
def validate(
    file: Annotated[str, typer.Argument(help="JSON lines, one CloudEvent each; - for stdin")],
) -> None:
    """Check events before sending them: one JSON line out per line in; exit 1 if any is bad."""
    regs = registries(load_settings())
    stream = sys.stdin if file == "-" else Path(file).open(encoding="utf-8")  # noqa: SIM115
    all_valid = True
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            event_id = None
            errors: list[dict[str, str]] = []
            try:
                document = orjson.loads(line)
                if isinstance(document, dict):
                    event_id = document.get("id")
                parse_event(document, regs)
            except orjson.JSONDecodeError as exc:
                errors.append({"field": "", "message": f"not valid JSON: {exc}"})
            except InvalidEvent as exc:
                errors.extend({"field": e.field, "message": e.message} for e in exc.errors)
            all_valid = all_valid and not errors
            out = {"line": number, "id": event_id, "valid": not errors, "errors": errors}
            typer.echo(orjson.dumps(out).decode())
    raise typer.Exit(0 if all_valid else 1)


@app.command()
def schema(
    out: Annotated[
        Path | None,
        typer.Option(help="write <type>.schema.json and asyncapi.json into this directory"),
    ] = None,
) -> None:
    """Print the JSON Schema of every event type and an AsyncAPI 3 document of the topics."""
    from events.schema import asyncapi, event_schemas

    documents = {f"{t}.schema.json": s for t, s in event_schemas().items()}
    documents["asyncapi.json"] = asyncapi()
    if out is None:
        typer.echo(orjson.dumps(documents, option=orjson.OPT_INDENT_2).decode())
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, document in documents.items():
        text = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        (out / name).write_bytes(text + b"\n")
        typer.echo(f"wrote {out / name}")


@app.command()
def run() -> None:
    """Run broker (unless WIJKWACHT_KAFKA_BOOTSTRAP is set), worker and API together."""
    settings = load_settings()
    registries(settings)
    env = dict(os.environ)
    dev_key = None
    if not settings.field_system_keys:
        if settings.env != "development":
            fail("WIJKWACHT_API_KEYS is empty; set it (or WIJKWACHT_ENV=development for a dev key)")
        dev_key = _development_key(settings)
        env["WIJKWACHT_API_KEYS"] = f"{DEV_FIELD_SYSTEM}:{dev_key}"
    command = [sys.executable, "-m", "service.cli"]
    children: list[subprocess.Popen[bytes]] = []
    stop = _stop_on_signals()
    try:
        if settings.uses_local_broker:
            children.append(_child([*command, "broker"], env))
            _wait_for_broker(settings, children[0], stop)
        for name in ("worker", "api"):
            children.append(_child([*command, name], env))
        base = f"http://{settings.api_host}:{settings.api_port}"
        typer.echo(
            f"\nWijkwacht is starting on Kafka {settings.bootstrap} and {settings.store_url}\n"
            f"  API        {base}/v1/events   (docs: {base}/docs)\n"
            f"  Totals     {base}/v1/totals?year=2022\n"
            f"  Health     {base}/readyz\n"
        )
        if dev_key:
            typer.echo(f"  Development API key (field system {DEV_FIELD_SYSTEM}): {dev_key}\n")
        typer.echo("Ctrl-C stops everything.\n")
        while not stop.is_set() and all(child.poll() is None for child in children):
            stop.wait(0.5)
    finally:
        _stop_all(children)
    if not stop.is_set():
        fail("a process stopped unexpectedly; everything was stopped", 1)


def _child(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A child process that gets SIGTERM when `wijkwacht run` dies, even by SIGKILL."""
    from service.broker import die_with_parent

    return subprocess.Popen(command, env=env, preexec_fn=die_with_parent)


def _development_key(settings: Settings) -> str:
    """A development key kept in the data dir, so that restarts print the same one."""
    path = settings.data_dir / "development-api-key"
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = "dev-" + secrets.token_urlsafe(24)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def _wait_for_broker(
    settings: Settings,
    process: subprocess.Popen[bytes],
    stop: threading.Event,
    timeout: float = 90.0,
) -> None:
    from service.resilience import kafka_answers

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        if process.poll() is not None:
            raise typer.Exit(1)
        if asyncio.run(kafka_answers(settings.bootstrap, quiet=True)):
            return
        time.sleep(0.5)
    if not stop.is_set():
        fail(f"the local broker did not come up within {timeout:.0f}s", 1)


def _stop_all(children: list[subprocess.Popen[bytes]], timeout: float = 30.0) -> None:
    # Stop API and worker before the broker, so they can still commit on the way out.
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _stop_on_signals() -> threading.Event:
    """An event set by Ctrl-C (SIGINT) or SIGTERM, instead of the default abrupt exit."""
    flag = threading.Event()

    def handler(_signum: int, _frame: object) -> None:
        flag.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return flag


def main() -> None:
    app()


if __name__ == "__main__":
    main()
