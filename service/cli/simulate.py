"""`wijkwacht simulate`: send simulated field-system traffic, or write it as JSON lines."""

from __future__ import annotations

import asyncio
import enum
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer

from service.bootstrap import Wiring
from service.cli.common import DEV_FIELD_SYSTEM, fail, wiring
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


class Target(enum.StrEnum):
    HTTP = "http"
    KAFKA = "kafka"


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
    url: Annotated[
        str | None,
        typer.Option(help="base URL of the API [default: WIJKWACHT_API_HOST and _PORT]"),
    ] = None,
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
    wired = wiring()
    settings, regs = wired.settings, wired.registries
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
            base = url or settings.api_url
            tally = _send(messages, target, base, keys, wired, rate, advance)
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
    wired: Wiring,
    rate: float,
    advance: Callable[[int], None],
) -> Tally:
    import httpx

    from service.devtools.senders import HttpSender, SendError, send_kafka
    from service.kafka.errors import KafkaSignInError

    try:
        if target is Target.KAFKA:
            return asyncio.run(send_kafka(messages, wired.kafka, wired.registries, rate, advance))
        with httpx.Client(base_url=url, timeout=60) as client:
            return HttpSender(client, keys).send(messages, rate, advance)
    except (SendError, KafkaSignInError) as exc:
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
        f"{sum(kinds.values()):,} counted incidents and cases ({kinds['handhavingsmelding']:,} "
        f"enforcement reports, {kinds['cameraincident']:,} camera incidents, "
        f"{kinds['jaarwisselingsschade']:,} New Year damage items, {kinds['huiselijkgeweld']:,} "
        f"domestic violence registrations, {kinds['huisverbod']:,} restraining orders, "
        f"{kinds['woonoverlast']:,} woonoverlast cases) in {len(simulation.messages):,} "
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
            f"{figures.illegal_fireworks_cents / 100:,.2f} ({share:.1f} %) by illegal fireworks; "
            f"{figures.domestic_violence:,} domestic violence registrations, "
            f"{figures.restraining_orders:,} restraining orders; {figures.cases.registered:,} "
            f"woonoverlast cases, {figures.cases.closed:,} closed and {figures.cases.open:,} open "
            "at the year's end"
            + (f" (modelled: {', '.join(figures.modelled)})" if figures.modelled else "")
        )
    return "\n".join(lines)
