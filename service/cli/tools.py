"""Offline tools: check events, print their schemas, watch the live counts."""

from __future__ import annotations

import sys
from contextlib import suppress
from pathlib import Path
from typing import Annotated

import orjson
import typer

from events.errors import InvalidEvent
from events.kinds import KINDS
from events.models import parse_event
from events.periods import SCOPES
from service.cli.common import DEV_READER_KEY_FILE, fail, load_settings, wiring
from service.settings import Settings


def validate(
    file: Annotated[str, typer.Argument(help="JSON lines, one CloudEvent each; - for stdin")],
) -> None:
    """Check events before sending them, as the API would now: one JSON line out per line in;
    exit 1 if any is bad."""
    wired = wiring()
    regs = wired.registries
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
                # The API's window, to the clock of each line: what the API would answer now.
                parse_event(document, regs, wired.settings.event_window())
            except orjson.JSONDecodeError as exc:
                errors.append({"field": "", "message": f"not valid JSON: {exc}"})
            except InvalidEvent as exc:
                errors.extend({"field": e.field, "message": e.message} for e in exc.errors)
            all_valid = all_valid and not errors
            out = {"line": number, "id": event_id, "valid": not errors, "errors": errors}
            typer.echo(orjson.dumps(out).decode())
    raise typer.Exit(0 if all_valid else 1)


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


def watch(
    url: Annotated[
        str | None,
        typer.Option(help="base URL of the API [default: WIJKWACHT_API_HOST and _PORT]"),
    ] = None,
    scope: Annotated[str, typer.Option(help="day, week, month or year")] = "day",
    kind: Annotated[
        str | None, typer.Option(help="also show the wijk × category grid of this kind")
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            help="a reader's key [default: the first of WIJKWACHT_READER_KEYS, else the "
            "development reader key of `wijkwacht run`]",
            envvar="WIJKWACHT_WATCH_KEY",
        ),
    ] = None,
) -> None:
    """The live counts in the terminal, refreshing in place (Ctrl-C stops)."""
    from service.devtools.watch import Refused
    from service.devtools.watch import watch as show

    if scope not in SCOPES:
        fail(f"--scope must be {', '.join(SCOPES[:-1])} or {SCOPES[-1]}, not {scope!r}")
    if kind is not None and kind not in KINDS:
        fail(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    settings = load_settings()
    key = key or reader_key_of(settings)
    try:
        with suppress(KeyboardInterrupt):
            show(url or settings.api_url, scope, kind, key)
    except Refused as exc:
        fail(f"the API refused the key ({exc}): give --key a reader's key", 1)


def reader_key_of(settings: Settings) -> str | None:
    """A reader's key this machine has: the first configured, else the development one."""
    if settings.reader_key_names:
        return next(iter(settings.reader_key_names))
    path = settings.data_dir / DEV_READER_KEY_FILE
    return path.read_text().strip() if path.is_file() else None


def new_key(
    field_system: Annotated[str, typer.Argument(help="the field system the key is for")],
) -> None:
    """Make a new API key for a field system: print it once (hand it over) and the entry that
    gives it to the system in WIJKWACHT_API_KEYS_FILE, where only its hash is kept. Add the
    hash beside the old one, and remove the old one once the system uses the new key: the
    API reads the file again when it changes."""
    import secrets

    from service.settings.credentials import NAME, key_hash

    if not NAME.match(field_system):
        fail(f"field system {field_system!r}: lowercase letters, digits and '-'")
    key = secrets.token_urlsafe(32)
    typer.echo(f"key for {field_system} (shown once): {key}")
    typer.echo(f"\n[{field_system}]\nkeys = [{key_hash(key)!r}]".replace("'", '"'))
