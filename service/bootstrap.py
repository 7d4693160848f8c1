"""The composition root: from the settings, everything a Wijkwacht process runs on, each part
built once and only when asked for.

Every process (api, worker, replay, report, reconcile, close-year, migrate) asks a `Wiring`
for its parts instead of building them itself; tests build their own `Wiring` from their own
settings.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from events.registry import Registries, load_registries
from events.seal import KEY_BYTES, Seal
from service.kafka.clientfile import kafka_config_for
from service.kafka.config import KafkaConfig
from service.kafka.retry import kafka_answers
from service.kafka.topics import Layout, ensure_topics
from service.settings import (
    ADMIN_PRINCIPAL,
    API_PRINCIPAL,
    LIVE_PRINCIPAL,
    MATERIALISER_PRINCIPAL,
    WORKER_PRINCIPAL,
    Settings,
)

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine

    from storage.repository import TotalsRepository

log = logging.getLogger(__name__)


def _nothing() -> None:
    """A readiness callback that tells no one."""


class Wiring:
    """The parts of one process. Raises what the parts raise: RegistryError for a broken
    registry file, StorageError when the store cannot be migrated or reached."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._kafka: dict[str, KafkaConfig] = {}

    @cached_property
    def registries(self) -> Registries:
        return load_registries(self.settings.registry_dir)

    def kafka(self, principal: str) -> KafkaConfig:
        """How one part of the process signs in to Kafka: as `principal`, from its client
        file, or as the one identity the WIJKWACHT_KAFKA_* settings give (KafkaSignInError
        when a client file is missing)."""
        if principal not in self._kafka:
            self._kafka[principal] = kafka_config_for(self.settings, principal)
        return self._kafka[principal]

    @cached_property
    def seal(self) -> Seal:
        """The seal the API puts on what it writes and the workers check: from
        WIJKWACHT_SEAL_KEY, else from `<data dir>/seal.key`, made by the first process to need
        it. Processes that do not share the key still count exactly; the workers then
        validate every record in full (`wijkwacht_worker_records_read_total{path}` shows it)."""
        given = self.settings.seal_key
        if given is not None:
            return Seal(given.get_secret_value().encode())
        return Seal(local_seal_key(self.settings.data_dir / "seal.key"))

    @cached_property
    def engine(self) -> Engine:
        from storage.engine import make_engine

        return make_engine(self.settings.store_url)

    @cached_property
    def repository(self) -> TotalsRepository:
        """The store, its schema brought up to date first."""
        from storage.migrate import upgrade
        from storage.repository import SqlTotalsRepository

        upgrade(self.settings.store_url)
        return SqlTotalsRepository(self.engine)

    def migrate(self) -> None:
        from storage.migrate import upgrade

        upgrade(self.settings.store_url)

    async def kafka_ready(self) -> bool:
        return await kafka_answers(self.kafka(API_PRINCIPAL).client_options())

    async def ensure_topics(self) -> Layout:
        """Create the missing topics, as an operator; the input topics and their partition
        count."""
        return await ensure_topics(self.kafka(ADMIN_PRINCIPAL))

    def api(self) -> FastAPI:
        """The HTTP API with its real collaborators: the Kafka writer, the live view read
        from the changelog, and the store."""
        from service.http.app import build_api
        from service.http.ports import ApiParts
        from service.kafka.writer import EventWriter
        from service.read.live import LiveView

        live = LiveView(self.kafka(LIVE_PRINCIPAL))
        writer = EventWriter(
            self.kafka(API_PRINCIPAL), transactional=self.settings.api_transactions, seal=self.seal
        )
        parts = ApiParts(
            repository=self.repository,
            writer=writer,
            live=live,
            kafka_ready=self.kafka_ready,
            background=(live.run,),
        )
        return build_api(self.settings, self.registries, parts)

    def run_worker(self, log_level: str = "info", on_ready: Callable[[], None] = _nothing) -> None:
        """Run one stream-processing worker until it is stopped; `on_ready` once it serves."""
        from service.stream.worker import run_worker

        kafka = self.kafka(WORKER_PRINCIPAL)
        run_worker(self.settings, kafka, self.registries, self.seal, log_level, on_ready)

    def run_materialiser(self, on_ready: Callable[[], None] = _nothing) -> None:
        """Run one materialiser, the changelog into the store, until it is stopped;
        `on_ready` once it follows the changelog."""
        from service.stream.materialiser import run_materialiser

        kafka = self.kafka(MATERIALISER_PRINCIPAL)
        run_materialiser(self.settings, kafka, self.repository, on_ready)

    async def replay(self) -> dict[str, Any]:
        """Empty the derived data so that the next workers rebuild it from offset 0."""
        from service.stream.replay import replay

        local_state = self.settings.data_dir / "worker"
        return await replay(self.kafka(ADMIN_PRINCIPAL), self.repository, local_state)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def local_seal_key(path: Path) -> bytes:
    """The key in `path`, which the first caller creates (readable by its owner only); every
    later caller, in any process on this host, reads the same. The file appears whole or not
    at all: it is written aside and linked into place, which fails if another was first."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(KEY_BYTES))
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # another process was first: its key holds
        finally:
            aside.unlink()
    return path.read_text().strip().encode()
