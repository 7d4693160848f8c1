"""The long-running processes: the local broker, a worker, the API, and all of them at once."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Annotated

import typer

from service.cli.common import (
    DEV_FIELD_SYSTEM,
    DEV_READER,
    DEV_READER_KEY_FILE,
    fail,
    store,
    wiring,
)
from service.cli.readiness import (
    Children,
    Level,
    LogLevel,
    ReadyFile,
    configure_logging,
    mark_ready,
    mark_ready_when,
)
from service.settings import Settings
from storage.engine import shown_url

INSECURE_OPTION = typer.Option(
    "--insecure/--secure",
    help="the local broker on PLAINTEXT without sign-in or ACLs, for quick experiments only",
)
BROKERS_OPTION = typer.Option(
    "--brokers",
    min=1,
    max=3,
    help="1: a single broker; 3: a replicated cluster (replication factor 3, min.insync 2)",
)
# Everything `run` started is gone this long after Ctrl-C or SIGTERM (orchestrators allow 10 s).
STOP_SECONDS = 9.5
BROKER_STOP_SECONDS = 4.0


def broker(
    insecure: Annotated[bool, INSECURE_OPTION] = False,
    brokers: Annotated[int, BROKERS_OPTION] = 1,
) -> None:
    """Run the local Apache Kafka (KRaft: one broker, or a cluster of three) until stopped
    (Ctrl-C or SIGTERM): SASL_SSL with SCRAM and ACLs, its CA, credentials and client files
    under <data dir>/kafka/. The other processes find it there with nothing to set."""
    from service.devtools.broker import BrokerError, LocalBroker
    from service.kafka.topics import ensure_topics

    wired = wiring()
    settings = wired.settings
    if not settings.uses_local_broker:
        typer.echo(
            f"WIJKWACHT_KAFKA_BOOTSTRAP is set ({settings.kafka_bootstrap}): "
            "that cluster is used and no local broker starts"
        )
        return
    local = LocalBroker(settings, secure=not insecure, brokers=brokers)
    stop = _stop_on_signals()
    try:
        local.start()
        local.wait_ready()
        asyncio.run(ensure_topics(local.kafka_config()))  # as admin: nobody else may
    except BrokerError as exc:
        local.stop()
        fail(str(exc))
    local.ready_file.write_text(f"{os.getpid()}\n")
    typer.echo(
        f"Apache Kafka {local.version()} ({local.mode}) ready at {local.bootstrap} "
        f"(log: {local.log_file})"
    )
    if local.secure:
        typer.echo(f"Client files: {local.clients_dir}/<principal>.properties")
    while not stop.is_set() and local.running():
        stop.wait(0.5)
    local.ready_file.unlink(missing_ok=True)
    code = local.stop(timeout=STOP_SECONDS)
    if not stop.is_set():
        fail(f"the broker exited with code {code}; see {local.log_file}", 1)
    typer.echo("Kafka stopped")


def worker(log_level: LogLevel = Level.INFO, ready_file: ReadyFile = None) -> None:
    """Run one faust stream-processing worker (several may run at once)."""
    from service.kafka.errors import KafkaSignInError, TopicError

    wired = wiring()
    configure_logging(log_level)
    try:
        wired.run_worker(log_level, lambda: mark_ready(ready_file))
    except (KafkaSignInError, TopicError) as exc:
        fail(str(exc), 1)


def materialise(log_level: LogLevel = Level.INFO, ready_file: ReadyFile = None) -> None:
    """Run one materialiser: the workers' changelog into the store (several may run at once)."""
    from service.kafka.errors import KafkaSignInError

    wired = wiring()
    configure_logging(log_level)
    store(wired)
    try:
        wired.run_materialiser(lambda: mark_ready(ready_file))
    except KafkaSignInError as exc:
        fail(str(exc), 1)


def api(log_level: LogLevel = Level.INFO, ready_file: ReadyFile = None) -> None:
    """Run the HTTP API and the operations dashboard."""
    import uvicorn

    from service.kafka.errors import KafkaSignInError

    wired = wiring()
    configure_logging(log_level)
    store(wired)
    settings = wired.settings
    if not settings.authorities():
        logging.getLogger(__name__).warning(
            "no field system has a key (WIJKWACHT_API_KEYS, WIJKWACHT_API_KEYS_FILE): "
            "POST /v1/events will answer 401 to everyone"
        )
    try:
        app = wired.api()
    except KafkaSignInError as exc:
        fail(str(exc), 1)
    config = uvicorn.Config(
        app,
        log_level=log_level,
        # X-Forwarded-* only from the proxy named in WIJKWACHT_FORWARDED_ALLOW_IPS, never from
        # whoever reaches the port.
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips or "",
    )
    try:
        listening = _listening_socket(settings.api_host, settings.api_port)
    except OSError as exc:
        fail(f"WIJKWACHT_API_PORT: {settings.api_host}:{settings.api_port}: {exc.strerror}", 1)
    server = uvicorn.Server(config)
    mark_ready_when(server, "started", ready_file)
    server.run(sockets=[listening])


# What the kernel may hold for one connection on its way out: plenty for any answer, and a
# bound for a live stream whose reader has stopped reading. Without it Linux lets the buffer
# grow to megabytes, which at a live stream's pace takes hours to fill, and only a full
# buffer makes a send wait long enough for the stream's send timeout to let the reader go.
SEND_BUFFER_BYTES = 64 * 1024


def _listening_socket(host: str, port: int) -> socket.socket:
    """The API's listening socket; connections accepted from it inherit its send buffer."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.create_server((host, port), family=family, backlog=2048)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
    return listening


VERBOSE_OPTION = typer.Option(
    "--verbose", help="the processes' logs at INFO, their libraries' too; else warnings only"
)


def run(
    insecure: Annotated[bool, INSECURE_OPTION] = False,
    brokers: Annotated[int, BROKERS_OPTION] = 1,
    verbose: Annotated[bool, VERBOSE_OPTION] = False,
) -> None:
    """Run broker (unless WIJKWACHT_KAFKA_BOOTSTRAP is set), worker, materialiser and API."""
    settings = wiring().settings
    env = dict(os.environ)
    dev_keys: list[str] = []
    if not settings.authorities():
        if settings.env != "development":
            fail(
                "no field system has a key; set WIJKWACHT_API_KEYS or WIJKWACHT_API_KEYS_FILE "
                "(or WIJKWACHT_ENV=development for a development key)"
            )
        key = _development_key(settings, "development-api-key", "dev-")
        env["WIJKWACHT_API_KEYS"] = f"{DEV_FIELD_SYSTEM}:{key}"
        dev_keys.append(f"Development API key (field system {DEV_FIELD_SYSTEM}): {key}")
    if not settings.reader_key_names and settings.env == "development":
        key = _development_key(settings, DEV_READER_KEY_FILE, "read-")
        env["WIJKWACHT_READER_KEYS"] = f"{DEV_READER}:{key}"
        dev_keys.append(f"Development reader key (dashboard, totals, watch): {key}")
    command = [sys.executable, "-m", "service.cli"]
    level = "info" if verbose else "warning"
    children = Children(settings.data_dir / "run")
    broker = None
    stop = _stop_on_signals()
    typer.echo(
        f"Wijkwacht is starting on Kafka {settings.bootstrap} and {shown_url(settings.store_url)}"
    )
    try:
        if settings.uses_local_broker:
            options = ["--brokers", str(brokers), *(["--insecure"] if insecure else [])]
            broker = _child([*command, "broker", *options], env)
            _wait_for_broker(settings, broker, stop)
        for name in ("worker", "materialise", "api"):
            ready = ["--ready-file", str(children.ready_file(name))]
            children.add(name, _child([*command, name, "--log-level", level, *ready], env))
        if children.wait_until_up(stop, timeout=120):
            typer.echo(_banner(settings, dev_keys))
        if broker is not None:
            children.add("broker", broker)
        while not stop.is_set() and children.first_stopped() is None:
            stop.wait(0.5)
    finally:
        services = [p for name, p in children.processes.items() if name != "broker"]
        _stop_all(services, broker)
    if not stop.is_set():
        fail("a process stopped unexpectedly; everything was stopped", 1)
    typer.echo("Wijkwacht stopped.")


def _banner(settings: Settings, dev_keys: list[str]) -> str:
    """What a person needs once everything is up: the dashboard first."""
    base = f"http://{settings.api_host}:{settings.api_port}"
    lines = [
        "",
        "Wijkwacht is ready.",
        f"  Dashboard  {base}/   (sign in with a reader's key)",
        f"  API        {base}/v1/events   (docs: {base}/docs)",
        f"  Totals     {base}/v1/totals?year=2022",
        f"  Health     {base}/readyz",
        *(f"  {line}" for line in dev_keys),
        "",
        "Ctrl-C stops everything. `wijkwacht run --verbose` shows every process's logs.",
        "",
    ]
    return "\n".join(lines)


def _child(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A child process that gets SIGTERM when `wijkwacht run` dies, even by SIGKILL."""
    from service.devtools.broker import die_with_parent

    return subprocess.Popen(command, env=env, preexec_fn=die_with_parent)


def _development_key(settings: Settings, name: str, prefix: str) -> str:
    """A development key kept in the data dir, so that restarts print the same one."""
    path = settings.data_dir / name
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = prefix + secrets.token_urlsafe(24)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def _wait_for_broker(
    settings: Settings,
    process: subprocess.Popen[bytes],
    stop: threading.Event,
    timeout: float = 90.0,
) -> None:
    """Until `wijkwacht broker` says its broker, ACLs and topics are ready."""
    from service.devtools.broker import LocalBroker

    ready = LocalBroker(settings).ready_file
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        if process.poll() is not None:
            raise typer.Exit(1)
        try:
            if ready.read_text().strip() == str(process.pid):
                return
        except OSError:
            pass
        time.sleep(0.3)
    if not stop.is_set():
        fail(f"the local broker did not come up within {timeout:.0f}s", 1)


def _stop_all(
    services: list[subprocess.Popen[bytes]],
    broker: subprocess.Popen[bytes] | None,
    seconds: float = STOP_SECONDS,
) -> None:
    """Stop API, worker and materialiser first, so that they can still commit on the way
    out, then the broker; whatever still runs at the deadline is killed: all is gone within
    `seconds`."""
    deadline = time.monotonic() + seconds
    waves = [(services, deadline - BROKER_STOP_SECONDS)]
    if broker is not None:
        waves.append(([broker], deadline))
    for wave, until in waves:
        for child in wave:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        while time.monotonic() < until and any(child.poll() is None for child in wave):
            time.sleep(0.05)
    for child in [*services, *([broker] if broker else [])]:
        if child.poll() is None:
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
