"""What every command shares: one-line failures, settings and the composition root."""

from __future__ import annotations

from typing import NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from events.errors import RegistryError
from service.bootstrap import Wiring
from service.settings import Settings
from storage.engine import shown_url
from storage.errors import MigrationError, StorageError
from storage.repository import TotalsRepository

DEV_FIELD_SYSTEM = "handhaving-app"  # whose key `make run` creates in development
DEV_READER = "development"  # the reader `make run` creates a key for in development
DEV_READER_KEY_FILE = "development-reader-key"


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
        message = first["msg"].removeprefix("Value error, ")
        if not name and message.startswith("WIJKWACHT_"):  # a rule across settings names one
            fail(message)
        fail(f"{'WIJKWACHT_' + name if name else 'settings'}: {message}")


def wiring() -> Wiring:
    """The composition root on the environment's settings, with its registries loaded: a
    broken registry file stops the process with one clear line."""
    wired = Wiring(load_settings())
    try:
        wired.registries  # noqa: B018  (load now, to fail before anything starts)
    except RegistryError as exc:
        fail(str(exc))
    return wired


def store(wired: Wiring) -> TotalsRepository:
    """The migrated store; one clear line when it cannot be reached."""
    try:
        repository = wired.repository
    except MigrationError as exc:
        fail(str(exc).splitlines()[0], 1)
    try:
        repository.ping()
    except (StorageError, OSError, SQLAlchemyError) as exc:
        fail(f"the store at {shown_url(wired.settings.store_url)} cannot be reached: {exc}", 1)
    return repository
