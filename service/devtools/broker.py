"""The local Apache Kafka (KRaft) for development and tests: a single broker, or a cluster of
three (`wijkwacht broker --brokers 3`).

Its jars come from Maven Central (deploy/kafka/pom.xml, fetched by `make kafka`); each node runs
on the machine's Java with a small heap and a log directory under the data dir. Secured
(SASL_SSL, SCRAM, ACLs) by default, the way a production cluster must run; PLAINTEXT on
request. Where the nodes listen is written to `<data dir>/kafka/cluster`, where the other
processes find it with nothing to set.
"""

from __future__ import annotations

import asyncio
import base64
import ctypes
import json
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

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from service.devtools import security
from service.devtools.nodes import Node, node_properties, nodes_of, voters
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
    def __init__(self, settings: Settings, *, secure: bool = True, brokers: int = 1) -> None:
        self.settings = settings
        self.secure = secure
        self.jars = settings.kafka_jars_dir
        self.home = (settings.data_dir / "kafka").resolve()
        self.nodes = nodes_of(self.home, settings.local_broker_port, brokers)
        self.port = self.nodes[0].port

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The first node's process (the only one of a single broker)."""
        return self.nodes[0].process

    def running(self) -> bool:
        """Every node runs."""
        return all(node.running() for node in self.nodes)

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
        return ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)

    @property
    def log_file(self) -> Path:
        return self.nodes[0].log_file

    @property
    def cluster_file(self) -> Path:
        """Where the nodes listen and how many there are, for the other processes: the path
        Settings.local_cluster reads."""
        return self.home / "cluster"

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

    def _config(self, node: Node) -> Path:
        node.logs.mkdir(parents=True, exist_ok=True)
        replicas = len(self.nodes)
        lines = node_properties(str(node.logs), voters(self.nodes), node.id, replicas) | {
            "listeners": (
                f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        }
        if self.secure:
            tls = ensure_tls(self.home / "tls")
            names = security.principals(self.settings)
            security.write_client_files(self.home, self.bootstrap, tls, names)
            lines |= security.server_properties(self.home, tls, node.port, node.controller_port)
        path = node.config_file
        # 0600: the secured configuration holds the broker's key and password.
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
        return path

    def _run_java(self, *args: str) -> list[str]:
        return [self.java(), "-Xms256m", "-Xmx512m", "-cp", f"{self.jars}/*", *args]

    def _formatted_mode(self) -> str | None:
        formatted = [(node.logs / "meta.properties").exists() for node in self.nodes]
        if not any(formatted):
            return None
        if not all(formatted):
            raise BrokerError(
                f"{self.home} holds {sum(formatted)} of {len(self.nodes)} formatted nodes: "
                "remove it, or start as many brokers as it was made with"
            )
        try:
            return self.mode_file.read_text().strip()
        except FileNotFoundError:
            return INSECURE  # formatted before secured brokers existed

    def _format(self) -> None:
        formatted = self._formatted_mode()
        if formatted is not None:
            if formatted != self.mode:
                raise BrokerError(
                    f"{self.home} holds a {formatted} broker; start it {formatted} "
                    f"or use another WIJKWACHT_DATA_DIR"
                )
            return
        cid = new_cluster_id()  # one cluster: every node formatted with the same id
        scram = security.scram_format_args(self.home, self._principals()) if self.secure else []
        for node in self.nodes:
            done = subprocess.run(
                self._run_java(
                    "kafka.tools.StorageTool",
                    "format",
                    "-t",
                    cid,
                    "-c",
                    str(node.config_file),
                    *scram,
                ),
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
                raise BrokerError(f"formatting {node.logs} failed: {tail[0]}")
        self.mode_file.write_text(self.mode + "\n")
        self._known_file.write_text("".join(f"{name}\n" for name in self._principals()))

    def _principals(self) -> list[str]:
        return security.principals(self.settings)

    @property
    def _known_file(self) -> Path:
        # Beside meta.properties: wiping the log directory forgets the credentials too.
        return self.nodes[0].logs / "wijkwacht-scram-users"

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
        for port in (p for node in self.nodes for p in (node.port, node.controller_port)):
            if _port_taken(port):
                raise BrokerError(
                    f"port {port} on 127.0.0.1 is in use: stop what runs there or set "
                    "WIJKWACHT_LOCAL_BROKER_PORT"
                )
        self.home.mkdir(parents=True, exist_ok=True)
        for node in self.nodes:
            self._config(node)
        self._format()
        self.cluster_file.write_text(
            json.dumps({"bootstrap": self.bootstrap, "brokers": len(self.nodes)}) + "\n"
        )
        for node in self.nodes:
            self.start_node(node)

    def start_node(self, node: Node) -> None:
        """Start one (formatted) node; the fault tests restart a stopped one with it."""
        log = node.log_file.open("ab")
        node.process = subprocess.Popen(
            self._run_java(
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "kafka.Kafka",
                str(node.config_file),
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        log.close()

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until every node answers and has joined, and (secured) the ACLs are in place."""
        deadline = time.monotonic() + timeout
        refused: KafkaAclError | None = None
        while time.monotonic() < deadline:
            for node in self.nodes:
                if node.process is not None and node.process.poll() is not None:
                    raise BrokerError(
                        f"broker {node.id} exited with code {node.process.returncode}; "
                        f"see {node.log_file}"
                    )
            if _run_to_end(self._joined()):
                if not self.secure:
                    return
                try:
                    self.secure_setup()
                    return
                except KafkaAclError as exc:  # a node not quite ready yet: ask again
                    refused = exc
            time.sleep(0.3)
        if refused is not None:
            raise BrokerError(str(refused))
        raise BrokerError(f"the broker did not answer within {timeout:.0f}s; see {self.log_file}")

    async def _joined(self) -> bool:
        """Each node answers on its own address (a node just restarted is still listed by the
        others until its session times out), and the metadata names them all."""
        options = self.client_options()
        for node in self.nodes:
            alone = options | {"bootstrap_servers": f"127.0.0.1:{node.port}"}
            if not await kafka_answers(alone, quiet=True):
                return False
        if len(self.nodes) == 1:
            return True
        admin = AIOKafkaAdminClient(**self.client_options(), request_timeout_ms=5000)
        try:
            await admin.start()
            described = await admin.describe_cluster()
        except KafkaError:
            return False
        finally:
            await admin.close()
        return len(described.get("brokers", [])) == len(self.nodes)

    def stop(self, timeout: float = 30.0) -> int | None:
        """Stop every node gracefully (SIGTERM), then kill after `timeout`; returns the first
        node's exit code."""
        for node in self.nodes:
            if node.running():
                assert node.process is not None
                node.process.terminate()
        codes = [self.stop_node(node, timeout) for node in self.nodes]
        return codes[0]

    def leader_of(self, topic: str, partition: int = 0) -> Node:
        """The node that leads `partition` of `topic` now (the fault tests kill it)."""

        async def describe() -> int:
            admin = AIOKafkaAdminClient(**self.client_options(), request_timeout_ms=10000)
            await admin.start()
            try:
                found = await admin.describe_topics([topic])
            finally:
                await admin.close()
            return int(found[0]["partitions"][partition]["leader"])

        leader = _run_to_end(describe())
        return next(node for node in self.nodes if node.id == leader)

    def stop_node(self, node: Node, timeout: float = 30.0) -> int | None:
        process = node.process
        if process is None or process.poll() is not None:
            return process.returncode if process else None
        process.terminate()
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    def kill(self) -> None:
        for node in self.nodes:
            self.kill_node(node)

    def kill_node(self, node: Node) -> None:
        if node.process is not None and node.process.poll() is None:
            os.kill(node.process.pid, signal.SIGKILL)
            node.process.wait()


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
