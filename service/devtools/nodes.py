"""The nodes of a local KRaft cluster: each a combined broker and controller, with its own ports
and log directory; one node is the single broker of development, three a replicated cluster
(replication factor 3, min.insync.replicas 2) like the ones municipalities run."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

MAX_NODES = 3


@dataclass
class Node:
    """One node: broker on `port`, controller on `controller_port`, files under `home`."""

    id: int
    port: int
    controller_port: int
    home: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def nodes_of(home: Path, base_port: int, count: int) -> list[Node]:
    """`count` nodes from `base_port` on, two ports each; a single node lives in `home` itself
    (as the local broker always has), several each in `home/node-<id>`."""
    if not 1 <= count <= MAX_NODES:
        raise ValueError(f"a local cluster has 1 to {MAX_NODES} brokers, not {count}")
    if count == 1:
        return [Node(1, base_port, base_port + 1, home)]
    return [
        Node(n, base_port + 2 * (n - 1), base_port + 2 * (n - 1) + 1, home / f"node-{n}")
        for n in range(1, count + 1)
    ]


def voters(nodes: list[Node], host: str = "127.0.0.1") -> str:
    """`controller.quorum.voters`: every node is a controller of the static quorum."""
    return ",".join(f"{node.id}@{host}:{node.controller_port}" for node in nodes)


def node_properties(
    log_dir: str, quorum: str, node_id: int = 1, replicas: int = 1
) -> dict[str, str]:
    """The lines of a combined broker and controller node other than its listeners: `quorum`
    is `controller.quorum.voters`, `replicas` how many copies Kafka's own topics keep."""
    in_sync = str(max(1, replicas - 1))  # 3 copies: a write stands once 2 have it
    return {
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        "controller.quorum.voters": quorum,
        "controller.listener.names": "CONTROLLER",
        "log.dirs": log_dir,
        "num.partitions": "1",
        "auto.create.topics.enable": "false",
        "default.replication.factor": str(replicas),
        "min.insync.replicas": in_sync,
        "offsets.topic.replication.factor": str(replicas),
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": str(replicas),
        "transaction.state.log.min.isr": in_sync,
        "transaction.state.log.num.partitions": "4",
        # A transaction left open by a producer that died blocks committed readers until it
        # is aborted: look for timed-out ones every second, not every ten.
        "transaction.abort.timed.out.transaction.cleanup.interval.ms": "1000",
        "group.initial.rebalance.delay.ms": "0",
        "log.cleaner.dedupe.buffer.size": str(8 * 1024 * 1024),
        "log.segment.bytes": str(64 * 1024 * 1024),
    }
