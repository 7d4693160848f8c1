"""Applies ACL bindings to any Kafka cluster with Kafka's own AclCommand (aiokafka 0.14's admin
client has no CreateAcls/DescribeAcls), idempotently: what exists is left, what is missing is
created."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from service.kafka.acl import Binding, acl_command_batches
from service.kafka.errors import KafkaAclError

ACL_COMMAND = "org.apache.kafka.tools.AclCommand"
# One line of `--list`: the resource header, then one line per binding under it.
_RESOURCE = re.compile(r"resourceType=(\w+), name=(.*?), patternType=(\w+)\)")
_ENTRY = re.compile(r"principal=User:(.*?), host=(.*?), operation=(\w+), permissionType=(\w+)\)")


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


def existing_bindings(java: str, jars: Path, bootstrap: str, command_config: Path) -> set[Binding]:
    """Every ALLOW binding from any host now on the cluster, as `Binding`s."""
    out = _acl_tool(java, jars, bootstrap, command_config, ["--list"], "listing the ACLs")
    return parse_acl_list(out)


def _acl_tool(
    java: str, jars: Path, bootstrap: str, config: Path, args: Sequence[str], what: str
) -> str:
    """Kafka's AclCommand against `bootstrap`, signed in with the client file `config`."""
    command = [ACL_COMMAND, "--bootstrap-server", bootstrap, "--command-config", str(config)]
    return run_tool(java_command(java, jars, *command, *args), what)


def parse_acl_list(text: str) -> set[Binding]:
    found: set[Binding] = set()
    resource: tuple[str, str, str] | None = None
    for line in text.splitlines():
        if match := _RESOURCE.search(line):
            kind, name, pattern = match.groups()
            resource = (kind.lower().replace("_", "-"), name, pattern.lower())
        elif (match := _ENTRY.search(line)) and resource is not None:
            principal, host, operation, permission = match.groups()
            if host == "*" and permission == "ALLOW":
                op = "".join(part.title() for part in operation.split("_"))
                found.add(Binding(principal, resource[0], resource[1], resource[2], op))
    return found


def apply_bindings(
    java: str, jars: Path, bootstrap: str, command_config: Path, wanted: Sequence[Binding]
) -> tuple[list[Binding], list[Binding]]:
    """Create the missing bindings; returns (created, already there). Bindings on the cluster
    that are not wanted are left alone: another system's, or an operator's."""
    present = existing_bindings(java, jars, bootstrap, command_config)
    missing = [b for b in wanted if b not in present]
    for batch in acl_command_batches(missing):
        _acl_tool(java, jars, bootstrap, command_config, batch, "adding ACLs")
    return missing, [b for b in wanted if b in present]
