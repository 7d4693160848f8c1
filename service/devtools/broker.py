"""The local single-node Apache Kafka broker (KRaft) for development and tests.

Its jars come from Maven Central (deploy/kafka/pom.xml, fetched by `make kafka`); it runs on the
machine's Java with a small heap and a log directory under the data dir. Secured (SASL_SSL,
SCRAM, ACLs) by default, the way a production cluster must run; PLAINTEXT on request.
"""

from __future__ import annotations

import asyncio
import base64
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from service.devtools import security
from service.devtools.tls import ensure_tls
from service.kafka.acl import bindings
from service.kafka.acladmin import apply_bindings
from service.kafka.clientfile import client_file_config, local_client_file, local_mode_file
from service.kafka.config import KafkaConfig
from service.kafka.errors import KafkaAclError
from service.kafka.retry import kafka_answers
from service.settings import ADMIN_PRINCIPAL, Settings

SECURE, INSECURE = "secure", "insecure"
T = TypeVar("T")


class BrokerError(Exception):
    """The local broker cannot start or run; the message is one line saying why."""


def die_with_parent() -> None:
    # PR_SET_PDEATHSIG: the JVM gets SIGTERM when the process that started it dies, even by
    # SIGKILL, so no java is left behind.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)


class LocalBroker:
    def __init__(self, settings: Settings, *, secure: bool = True) -> None:
        self.settings = settings
        self.secure = secure
        self.port = settings.local_broker_port
        self.controller_port = settings.local_controller_port
        self.jars = settings.kafka_jars_dir
        self.home = (settings.data_dir / "kafka").resolve()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def mode(self) -> str:
        return SECURE if self.secure else INSECURE

    @property
    def mode_file(self) -> Path:
        """Says how the storage was formatted, so that other processes can tell how to sign
        in; a data dir keeps its mode (a secured one holds the broker's own credential)."""
        return local_mode_file(self.home.parent)

    @property
    def ready_file(self) -> Path:
        """Holds the pid of `wijkwacht broker` once its broker, ACLs and topics are ready."""
        return self.home / "ready"

    @property
    def clients_dir(self) -> Path:
        return self.client_file(ADMIN_PRINCIPAL).parent

    def client_file(self, principal: str) -> Path:
        return local_client_file(self.home.parent, principal)

    def kafka_config(self, principal: str = ADMIN_PRINCIPAL) -> KafkaConfig:
        """How `principal` signs in to this broker (anyone, unsecured)."""
        settings = self.settings.model_copy(
            update={"data_dir": self.home.parent, "kafka_bootstrap": self.bootstrap}
        )
        if not self.secure:
            return KafkaConfig.from_settings(settings)
        return client_file_config(settings, self.client_file(principal))

    def client_options(self, principal: str = ADMIN_PRINCIPAL) -> dict[str, object]:
        """aiokafka options for signing in to this broker as `principal`."""
        return self.kafka_config(principal).client_options()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    def java(self) -> str:
        java = shutil.which("java")
        if java is None:
            raise BrokerError("java not found on PATH: install a Java 17+ runtime (make kafka)")
        return java

    def version(self) -> str:
        """The Kafka version of the cached jars, e.g. 4.1.1."""
        found = sorted(self.jars.glob("kafka_2.13-*.jar")) if self.jars.is_dir() else []
        if not found:
            raise BrokerError(
                f"Kafka jars not found in {self.jars}: run `make kafka` to fetch them"
            )
        return found[0].name.removeprefix("kafka_2.13-").removesuffix(".jar")

    def _config(self) -> Path:
        logs = self.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        lines = node_properties(str(logs), f"127.0.0.1:{self.controller_port}") | {
            "listeners": (
                f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        }
        if self.secure:
            tls = ensure_tls(self.home / "tls")
            names = security.principals(self.settings)
            security.write_client_files(self.home, self.bootstrap, tls, names)
            lines |= security.server_properties(self.home, tls, self.port, self.controller_port)
        path = self.home / "server.properties"
        # 0600: the secured configuration holds the broker's key and password.
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
        return path

    def _run_java(self, *args: str) -> list[str]:
        return [self.java(), "-Xms256m", "-Xmx512m", "-cp", f"{self.jars}/*", *args]

    def _formatted_mode(self) -> str | None:
        if not (self.home / "logs" / "meta.properties").exists():
            return None
        try:
            return self.mode_file.read_text().strip()
        except FileNotFoundError:
            return INSECURE  # formatted before secured brokers existed

    def _format(self, config: Path) -> None:
        formatted = self._formatted_mode()
        if formatted is not None:
            if formatted != self.mode:
                raise BrokerError(
                    f"{self.home} holds a {formatted} broker; start it {formatted} "
                    f"or use another WIJKWACHT_DATA_DIR"
                )
            return
        cid = new_cluster_id()
        scram = security.scram_format_args(self.home, self._principals()) if self.secure else []
        done = subprocess.run(
            self._run_java(
                "kafka.tools.StorageTool", "format", "-t", cid, "-c", str(config), *scram
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise BrokerError(f"formatting the log directory failed: {tail[0]}")
        self.mode_file.write_text(self.mode + "\n")
        self._known_file.write_text("".join(f"{name}\n" for name in self._principals()))

    def _principals(self) -> list[str]:
        return security.principals(self.settings)

    @property
    def _known_file(self) -> Path:
        # Beside meta.properties: wiping the log directory forgets the credentials too.
        return self.home / "logs" / "wijkwacht-scram-users"

    def secure_setup(self) -> None:
        """On a running secured broker: credentials of principals configured since the format
        (a new field system), then Wijkwacht's ACLs, both as admin."""
        known = set(self._known_file.read_text().split())
        for name in self._principals():
            if name not in known:
                security.add_credential(self.java(), self.jars, self.home, self.bootstrap, name)
                with self._known_file.open("a") as out:
                    out.write(name + "\n")
        self.apply_acls(self.settings.namespace)

    def apply_acls(self, namespace: str) -> None:
        """Wijkwacht's ACLs for `namespace` and the configured field systems (tests give each
        namespace the production rules)."""
        wanted = bindings(namespace, self.settings.field_systems)
        _run_to_end(apply_bindings(self.client_options(), wanted))

    def start(self) -> None:
        self.version()
        for port in (self.port, self.controller_port):
            if _port_taken(port):
                raise BrokerError(
                    f"port {port} on 127.0.0.1 is in use: stop what runs there or set "
                    "WIJKWACHT_LOCAL_BROKER_PORT"
                )
        self.home.mkdir(parents=True, exist_ok=True)
        config = self._config()
        self._format(config)
        log = self.log_file.open("ab")
        self.process = subprocess.Popen(
            self._run_java(
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "kafka.Kafka",
                str(config),
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        log.close()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise BrokerError(
                    f"the broker exited with code {self.process.returncode}; see {self.log_file}"
                )
            if asyncio.run(kafka_answers(self.client_options(), quiet=True)):
                if self.secure:
                    try:
                        self.secure_setup()
                    except KafkaAclError as exc:
                        raise BrokerError(str(exc)) from exc
                return
            time.sleep(0.3)
        raise BrokerError(f"the broker did not answer within {timeout:.0f}s; see {self.log_file}")

    def stop(self, timeout: float = 30.0) -> int | None:
        """Stop gracefully (SIGTERM), then kill after `timeout`; returns the exit code."""
        process = self.process
        if process is None or process.poll() is not None:
            return process.returncode if process else None
        process.terminate()
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()


def node_properties(log_dir: str, controller: str) -> dict[str, str]:
    """The lines of a single combined broker and controller node other than its listeners:
    `controller` is where it reaches its own controller (host:port)."""
    return {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{controller}",
        "controller.listener.names": "CONTROLLER",
        "log.dirs": log_dir,
        "num.partitions": "1",
        "auto.create.topics.enable": "false",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "4",
        # A transaction left open by a producer that died blocks committed readers until it
        # is aborted: look for timed-out ones every second, not every ten.
        "transaction.abort.timed.out.transaction.cleanup.interval.ms": "1000",
        "group.initial.rebalance.delay.ms": "0",
        "log.cleaner.dedupe.buffer.size": str(8 * 1024 * 1024),
        "log.segment.bytes": str(64 * 1024 * 1024),
    }


def _run_to_end(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from synchronous code, also where an event loop already runs in this
    thread (a browser test's): then on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


def new_cluster_id() -> str:
    """A KRaft cluster id: a random UUID in URL-safe base64, never starting with '-' (which
    the storage tool would read as an option; Kafka's own Uuid.randomUuid avoids it too)."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
