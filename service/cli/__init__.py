"""The `wijkwacht` command line: one subcommand per process, plus the offline tools."""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import orjson
import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from events.errors import InvalidEvent, RegistryError
from events.models import parse_event
from events.registry import Registries, load_registries
from service.devtools.simulation import (
    DEFAULTS,
    FIELD_SYSTEMS,
    FIRST_YEAR,
    LAST_YEAR,
    Message,
    Options,
    Role,
    Simulation,
)
from service.devtools.simulation import simulate as generate
from service.settings import Settings, parse_api_keys

if TYPE_CHECKING:
    from service.devtools.senders import Tally
    from storage.repository import TotalsRepository

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
    from service.devtools.broker import BrokerError, LocalBroker
    from service.kafka.topics import ensure_topics

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
    from service.stream.worker import run_worker

    settings = load_settings()
    regs = registries(settings)
    _logging()
    run_worker(settings, regs)


@app.command()
def api() -> None:
    """Run the HTTP API and the operations dashboard."""
    import uvicorn

    from service.http.app import build_api

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
    from service.stream.replay import ReplayError
    from service.stream.replay import replay as run_replay

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


def _store(settings: Settings) -> TotalsRepository:
    """The store, migrated; a clear one-line error when it cannot be reached."""
    from storage.engine import make_engine
    from storage.errors import StorageError
    from storage.migrate import upgrade
    from storage.repository import SqlTotalsRepository

    try:
        upgrade(settings.store_url)
        repository = SqlTotalsRepository(make_engine(settings.store_url))
        repository.ping()
    except (StorageError, OSError, SQLAlchemyError) as exc:
        fail(f"the store at {settings.store_url} cannot be reached: {exc}", 1)
    return repository


@app.command()
def reconcile(
    year: Annotated[int, typer.Option(help="The year to check", min=2000, max=2100)],
) -> None:
    """Recompute a year from the stored incidents and print every difference with the
    materialised totals; exit 0 only if there is none. Run it when the processors have
    caught up (GET /v1/live: as_of.events_behind 0): mid-stream the two may be a batch apart."""
    from service.read.yearly import reconcile as differences

    repository = _store(load_settings())
    found = differences(repository.totals(year=year), repository.incident_totals(year=year))
    for line in found:
        typer.echo(line)
    if found:
        fail(f"{year}: {len(found)} difference(s) between totals and incidents", 1)
    rows = repository.totals(year=year)
    typer.echo(
        f"{year}: totals and incidents agree ({len(rows)} rows, "
        f"{sum(r.count for r in rows)} incidents counted)"
    )


@app.command("close-year")
def close_year(
    year: Annotated[int, typer.Option(help="The year to close", min=2000, max=2100)],
    by: Annotated[str, typer.Option(help="Who closes it (recorded with the closing)")],
) -> None:
    """Freeze a year's totals as published. Events for it that arrive later are still counted,
    as post-closing adjustments shown beside the published figures."""
    from storage.repository import YearClosed

    repository = _store(load_settings())
    try:
        closing = repository.close_year(year, by=by)
    except YearClosed as exc:
        fail(str(exc), 1)
    total = sum(r.count for r in repository.published_totals(year=year))
    typer.echo(
        f"{year} closed at {closing.closed_at.isoformat()} by {by}: {total} incidents published"
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


class ReportFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


@app.command()
def report(
    year: Annotated[int, typer.Option(help="the reporting year", show_default=False)],
    compare: Annotated[
        int | None, typer.Option(help="an earlier year to set beside it", show_default=False)
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="rich tables, one JSON document, or CSV rows")
    ] = ReportFormat.TABLE,
    chart: Annotated[
        Path | None,
        typer.Option(help="also write the multi-year trend per kind to this .png or .svg file"),
    ] = None,
) -> None:
    """The figures of an annual report from the store; exit 1 if a year has no figures."""
    from rich.console import Console
    from sqlalchemy.exc import SQLAlchemyError

    from service.report.build import (
        CHART_SUFFIXES,
        NoFigures,
        ReportError,
        build_report,
        print_table,
        render_csv,
        render_json,
        write_chart,
    )
    from storage.engine import make_engine
    from storage.errors import StorageError
    from storage.migrate import upgrade
    from storage.repository import SqlTotalsRepository

    if compare is not None and compare >= year:
        fail(f"--compare {compare} must be an earlier year than --year {year}")
    if chart is not None and chart.suffix.lower() not in CHART_SUFFIXES:
        fail(f"--chart {chart} must end in .png or .svg")
    settings = load_settings()
    regs = registries(settings)
    try:
        upgrade(settings.store_url)
    except StorageError as exc:
        fail(str(exc).splitlines()[0], 1)  # the driver's message runs over several lines
    engine = make_engine(settings.store_url)
    try:
        built = build_report(SqlTotalsRepository(engine), regs, year, compare)
    except NoFigures as exc:
        fail(f"{'--year' if exc.year == year else '--compare'} {exc.year}: {exc}", 1)
    except SQLAlchemyError as exc:
        fail(f"cannot read the store: {str(exc).splitlines()[0]}", 1)
    finally:
        engine.dispose()
    if output_format is ReportFormat.JSON:
        typer.echo(render_json(built))
    elif output_format is ReportFormat.CSV:
        typer.echo(render_csv(built), nl=False)
    else:
        console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
        print_table(built, console)
    if chart is not None:
        try:
            write_chart(built, chart)
        except (ReportError, OSError) as exc:
            fail(f"--chart {chart}: {exc}", 1)
        typer.echo(f"chart written to {chart}", err=True)


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


class Target(enum.StrEnum):
    HTTP = "http"
    KAFKA = "kafka"


@app.command()
def simulate(
    first_year: Annotated[int, typer.Option("--from", help="first reporting year")] = 2020,
    last_year: Annotated[int, typer.Option("--to", help="last reporting year")] = 2022,
    seed: Annotated[int, typer.Option(help="same seed, same events", min=0)] = 1,
    duplicates: Annotated[
        float, typer.Option(help="share of messages delivered twice (same id)")
    ] = DEFAULTS.duplicates,
    revisions: Annotated[
        float, typer.Option(help="share of incidents first sent with other values, then revised")
    ] = DEFAULTS.revisions,
    withdrawals: Annotated[
        float, typer.Option(help="extra incidents, as a share of the counted ones, withdrawn later")
    ] = DEFAULTS.withdrawals,
    poison: Annotated[
        float, typer.Option(help="invalid messages, as a share of all; never counted")
    ] = DEFAULTS.poison,
    rate: Annotated[float, typer.Option(help="messages per second; 0 = as fast as possible")] = 0.0,
    target: Annotated[Target, typer.Option(help="the HTTP API, or the Kafka input topic")] = (
        Target.HTTP
    ),
    url: Annotated[str, typer.Option(help="base URL of the API")] = "http://127.0.0.1:8000",
    api_key: Annotated[
        str | None,
        typer.Option(
            help="KEY (sent as field system handhaving-app) or name:key,name:key "
            "(else WIJKWACHT_SIMULATE_API_KEY, WIJKWACHT_API_KEYS or the development key)",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="write JSON lines to this file (- for stdout), send nothing")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="generate and summarise, send nothing")] = False,
) -> None:
    """Field-system simulator: realistic traffic that reproduces the published figures."""
    for name, value in (
        ("duplicates", duplicates),
        ("revisions", revisions),
        ("withdrawals", withdrawals),
        ("poison", poison),
    ):
        if not 0.0 <= value <= 1.0:
            fail(f"--{name} must be between 0 and 1, not {value}")
    if rate < 0:
        fail(f"--rate must be 0 (as fast as possible) or more, not {rate}")
    if not FIRST_YEAR <= first_year <= LAST_YEAR:
        fail(f"--from must be between {FIRST_YEAR} and {LAST_YEAR}, not {first_year}")
    if not FIRST_YEAR <= last_year <= LAST_YEAR:
        fail(f"--to must be between {FIRST_YEAR} and {LAST_YEAR}, not {last_year}")
    if first_year > last_year:
        fail(f"--from ({first_year}) is after --to ({last_year})")
    settings = load_settings()
    regs = registries(settings)
    sending = out is None and not dry_run
    keys: dict[str, str] = {}
    systems = dict(FIELD_SYSTEMS)
    if sending and target is Target.HTTP:
        keys = _simulate_keys(api_key, settings)
        if len(keys) == 1:
            systems = dict.fromkeys(systems, next(iter(keys)))
        elif missing := sorted(set(systems.values()) - set(keys)):
            fail(f"--api-key: no key for field system(s) {', '.join(missing)}")
    options = Options(
        first_year, last_year, seed, duplicates, revisions, withdrawals, poison, systems
    )
    simulation = generate(options, regs)
    messages = simulation.messages
    tally: Tally | None = None
    to_stdout = out is not None and str(out) == "-"
    with _progress(
        len(messages), "writing" if out else "sending", quiet=not sending and not out
    ) as advance:
        if out is not None:
            _write_lines(messages, out, advance)
        elif sending:
            tally = _send(messages, target, url, keys, settings, regs, rate, advance)
    typer.echo(_simulation_summary(simulation, tally, target, out), err=to_stdout)
    if tally is not None and tally.sent != len(messages):
        raise typer.Exit(1)


def _simulate_keys(option: str | None, settings: Settings) -> dict[str, str]:
    """Field system → API key, from --api-key, else the environment, else the development key."""
    text = option
    if text is None and settings.simulate_api_key is not None:
        text = settings.simulate_api_key.get_secret_value()
    if text is None and settings.field_system_keys:
        return {name: key for key, name in settings.field_system_keys.items()}
    if text is None:
        path = settings.data_dir / "development-api-key"
        if not path.exists():
            fail(
                "--api-key is needed for --target http (or WIJKWACHT_SIMULATE_API_KEY, "
                "or WIJKWACHT_API_KEYS)"
            )
        return {DEV_FIELD_SYSTEM: path.read_text().strip()}
    if ":" not in text:
        return {DEV_FIELD_SYSTEM: text.strip()}
    try:
        return {name: key for name, key in parse_api_keys(text)}
    except ValueError as exc:
        fail(f"--api-key: {exc}")


def _send(
    messages: list[Message],
    target: Target,
    url: str,
    keys: dict[str, str],
    settings: Settings,
    regs: Registries,
    rate: float,
    advance: Callable[[int], None],
) -> Tally:
    import httpx

    from service.devtools.senders import HttpSender, SendError, send_kafka

    try:
        if target is Target.KAFKA:
            return asyncio.run(send_kafka(messages, settings, regs, rate, advance))
        with httpx.Client(base_url=url, timeout=60) as client:
            return HttpSender(client, keys).send(messages, rate, advance)
    except SendError as exc:
        fail(str(exc), 1)


def _write_lines(messages: list[Message], out: Path, advance: Callable[[int], None]) -> None:
    stream = sys.stdout.buffer if str(out) == "-" else out.open("wb")
    try:
        for message in messages:
            stream.write(orjson.dumps(message.document) + b"\n")
            advance(1)
    finally:
        if stream is not sys.stdout.buffer:
            stream.close()
        else:
            stream.flush()


@contextmanager
def _progress(total: int, verb: str, *, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar on standard error; `advance(n)` moves it on by n messages."""
    from rich.console import Console
    from rich.progress import Progress

    if quiet:
        yield lambda _n: None
        return
    with Progress(console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task(f"{verb} {total:,} messages", total=total)
        yield lambda n: progress.advance(task, n)


def _simulation_summary(
    simulation: Simulation, tally: Tally | None, target: Target, out: Path | None
) -> str:
    options = simulation.options
    roles = simulation.roles()
    kinds = simulation.counted_per_kind()
    withdrawn_incidents = roles[Role.WITHDRAWAL]
    text = (
        f"Simulated {options.first_year}–{options.last_year} (seed {options.seed}): "
        f"{sum(kinds.values()):,} counted incidents ({kinds['handhavingsmelding']:,} enforcement "
        f"reports, {kinds['cameraincident']:,} camera incidents, "
        f"{kinds['jaarwisselingsschade']:,} New Year damage items) in {len(simulation.messages):,} "
        f"messages, of which {roles[Role.DUPLICATE]:,} duplicates, {roles[Role.SUPERSEDED]:,} "
        f"superseded revisions, {withdrawn_incidents:,} withdrawn extra incidents "
        f"({roles[Role.WITHDRAWN]:,} messages) and their {withdrawn_incidents:,} withdrawals, "
        f"and {roles[Role.POISON]:,} poison."
    )
    if tally is not None and target is Target.HTTP:
        text += (
            f" Sent {tally.sent:,} to the API: {tally.accepted:,} accepted, "
            f"{tally.duplicates:,} duplicates within a batch, {tally.refused:,} refused "
            f"(poison; 4xx)."
        )
    elif tally is not None:
        text += (
            f" Produced {tally.sent:,} to Kafka: {tally.accepted:,} valid and "
            f"{tally.poison_written:,} poison acknowledged (the worker refuses the poison to "
            "the dead-letter topic); duplicates are ignored by the worker."
        )
    elif out is not None:
        text += f" Written to {'standard output' if str(out) == '-' else out}; nothing sent."
    else:
        text += " Dry run: nothing sent."
    lines = [text, "Counted totals these events reproduce:"]
    for figures in simulation.figures:
        share = 100 * figures.illegal_fireworks_share
        lines.append(
            f"  {figures.year}: {figures.enforcement_reports:,} enforcement reports, New Year "
            f"damage € {figures.damage_cents / 100:,.2f} of which € "
            f"{figures.illegal_fireworks_cents / 100:,.2f} ({share:.1f} %) by illegal fireworks"
            + (f" (modelled: {', '.join(figures.modelled)})" if figures.modelled else "")
        )
    return "\n".join(lines)


@app.command()
def watch(
    url: Annotated[str, typer.Option(help="base URL of the API")] = "http://127.0.0.1:8000",
    scope: Annotated[str, typer.Option(help="day, week, month or year")] = "day",
    kind: Annotated[
        str | None, typer.Option(help="also show the wijk × category grid of this kind")
    ] = None,
) -> None:
    """The live counts in the terminal, refreshing in place (Ctrl-C stops)."""
    from service.devtools.watch import KINDS
    from service.devtools.watch import watch as show

    if scope not in ("day", "week", "month", "year"):
        fail(f"--scope must be day, week, month or year, not {scope!r}")
    if kind is not None and kind not in KINDS:
        fail(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    with suppress(KeyboardInterrupt):
        show(url, scope, kind)


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
    from service.devtools.broker import die_with_parent

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
    from service.kafka.retry import kafka_answers

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
