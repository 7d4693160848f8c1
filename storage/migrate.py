"""Bring the store's schema up to date with Alembic, safely from several processes at once."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from storage.engine import make_engine
from storage.errors import MigrationError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock key: "wijkwacht" folded into a bigint.
_LOCK_KEY = 0x77696A6B77616368


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(url: str) -> None:
    """Migrate the store at `url` to the newest revision; the worker and API call this at start."""
    engine = make_engine(url)
    try:
        with _exclusive(engine), engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        # No connection: the driver's message runs over several lines, the first says why.
        reason = str(exc).splitlines()[0]
        raise MigrationError(f"cannot migrate the store: it cannot be reached: {reason}") from exc
    except Exception as exc:
        raise MigrationError(f"cannot migrate the store: {exc}") from exc
    finally:
        engine.dispose()


@contextlib.contextmanager
def _exclusive(engine: Engine) -> Iterator[None]:
    """SQLite has no advisory locks: serialise migrations with a lock file beside the database."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database:
        yield
        return
    lock_path = Path(database + ".migrate.lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
