"""Helpers shared by the test tiers: free ports, polling with a deadline, a private PostgreSQL."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from service.devtools.broker import die_with_parent

T = TypeVar("T")
# The field systems of the tests: each is a principal of the tests' brokers, with an input
# topic of its own in each test namespace.
FIELD_SYSTEMS = "handhaving-app,camera-app,schade-app"
# A reader's key of the tests: every read endpoint needs one.
READER_KEY = "test-key-reader-0000001"
READER = {"authorization": f"Bearer {READER_KEY}"}


def free_port(count: int = 1) -> int:
    """A port p such that p .. p+count-1 are free on 127.0.0.1 (at the time of asking)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + count < 65535 and all(_free(port + i) for i in range(count)):
            return port
    raise RuntimeError("no free port range")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_until(
    probe: Callable[[], T | None], *, timeout: float, interval: float = 0.2, what: str = ""
) -> T:
    """Poll `probe` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last: {last!r}")


def postgres_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server not installed: `make postgres` installs it")
    return Path(found[-1]).parent


class PostgresCluster:
    """A private PostgreSQL cluster in a temp directory on a free port, stopped at the end."""

    def __init__(self) -> None:
        self.bindir = postgres_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="wijkwacht-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=True)

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "start",
        )

    def version(self) -> str:
        out = subprocess.run(
            [str(self.bindir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class Process:
    """A `wijkwacht` subcommand started the way a user starts it, output to a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.args = args
        with log.open("ab") as out:
            self.popen = subprocess.Popen(
                [_wijkwacht(), *args],
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,  # no stray process when the test run dies
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 30.0) -> int:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


def _wijkwacht() -> str:
    """The console script of the environment running the tests."""
    import sys

    candidate = Path(sys.executable).parent / "wijkwacht"
    return str(candidate) if candidate.exists() else "wijkwacht"


def settings_env(settings: object) -> dict[str, str]:
    """WIJKWACHT_* variables that reproduce a Settings object in a child process."""
    from service.settings import Settings

    assert isinstance(settings, Settings)
    env = {
        "WIJKWACHT_NAMESPACE": settings.namespace,
        "WIJKWACHT_DATA_DIR": str(settings.data_dir),
        "WIJKWACHT_DATABASE_URL": settings.store_url,
        "WIJKWACHT_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "WIJKWACHT_TOPIC_REPLICATION_FACTOR": str(settings.topic_replication_factor),
        "WIJKWACHT_API_HOST": settings.api_host,
        "WIJKWACHT_API_PORT": str(settings.api_port),
        "WIJKWACHT_LOCAL_BROKER_PORT": str(settings.local_broker_port),
        "WIJKWACHT_WORKER_STORE": settings.worker_store,
        "WIJKWACHT_WORKER_METRICS_PORT": str(settings.worker_metrics_port),
        "WIJKWACHT_MATERIALISER_METRICS_PORT": str(settings.materialiser_metrics_port),
        "WIJKWACHT_API_TRANSACTIONS": str(settings.api_transactions).lower(),
        "WIJKWACHT_RATE_LIMIT": str(settings.rate_limit),
        "WIJKWACHT_RATE_BURST": str(settings.rate_burst),
    }
    if settings.kafka_bootstrap:
        env["WIJKWACHT_KAFKA_BOOTSTRAP"] = settings.kafka_bootstrap
    if settings.kafka_field_systems:
        env["WIJKWACHT_KAFKA_FIELD_SYSTEMS"] = settings.kafka_field_systems
    if settings.kafka_clients_dir:
        env["WIJKWACHT_KAFKA_CLIENTS_DIR"] = str(settings.kafka_clients_dir)
    if settings.api_keys:
        env["WIJKWACHT_API_KEYS"] = settings.api_keys.get_secret_value()
    if settings.admin_keys:
        env["WIJKWACHT_ADMIN_KEYS"] = settings.admin_keys.get_secret_value()
    if settings.reader_keys:
        env["WIJKWACHT_READER_KEYS"] = settings.reader_keys.get_secret_value()
    if settings.seal_key:
        env["WIJKWACHT_SEAL_KEY"] = settings.seal_key.get_secret_value()
    for name in ("issuer", "client_id", "audience", "scopes", "roles_claim", "role_names"):
        if (value := getattr(settings, f"oidc_{name}")) is not None:
            env[f"WIJKWACHT_OIDC_{name.upper()}"] = value
    if settings.oidc_client_secret is not None:
        env["WIJKWACHT_OIDC_CLIENT_SECRET"] = settings.oidc_client_secret.get_secret_value()
    return env


def private_stack(data_dir: Path, namespace: str, **extra: object) -> Any:
    """Settings of a stack with a local broker of its own on free ports (the broker, the
    API and a worker's metrics), and the handhaving-app key of the tests."""
    from service.settings import Settings

    values: dict[str, object] = {
        "data_dir": data_dir,
        "local_broker_port": free_port(2),
        "api_port": free_port(),
        "worker_metrics_port": free_port(),
        "materialiser_metrics_port": free_port(),
        "namespace": namespace,
        "api_keys": "handhaving-app:test-key-handhaving-0001",
        "reader_keys": f"dashboard:{READER_KEY}",
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]
