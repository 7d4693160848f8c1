"""Kafka's own command-line tools (ConfigCommand, the console producer and consumer) run from
the jars on the machine's Java: for the local broker's set-up and for tests that prove Kafka's
tools take Wijkwacht's client files."""

from __future__ import annotations

import subprocess
from pathlib import Path

from service.kafka.errors import KafkaAclError


def java_command(java: str, jars: Path, *args: str) -> list[str]:
    """A Kafka tool from the jars, small heap, quiet logging."""
    return [
        java,
        "-Xmx256m",
        "-XX:TieredStopAtLevel=1",  # a short-lived tool: start fast rather than run fast
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp",
        f"{jars}/*",
        *args,
    ]


def run_tool(command: list[str], what: str, timeout: float = 120.0) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=timeout)
    if done.returncode != 0:
        tail = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()][-3:]
        raise KafkaAclError(f"{what} failed: {' | '.join(tail) or 'no output'}")
    return done.stdout
