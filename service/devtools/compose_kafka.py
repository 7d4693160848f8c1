"""The secured Kafka of docker-compose.yml, made once into a shared volume before the broker
starts: the same set-up as `wijkwacht broker` (a private CA, SASL_SSL with SCRAM-SHA-512, a
credential and a client file per principal, StandardAuthorizer without default access), for
the official apache/kafka image on the compose network.

    python -m service.devtools.compose_kafka --dir /setup --host kafka

writes under `<dir>/kafka/`: `tls/` (CA and broker certificate for `host`), `passwords/`,
`clients/<principal>.properties` (what the Wijkwacht containers sign in with:
WIJKWACHT_KAFKA_CLIENTS_DIR), `server.properties` and `start.sh` (formats the storage once,
with every principal's SCRAM credential, then runs the broker). Principals: Wijkwacht's own
and every field system of WIJKWACHT_API_KEYS and WIJKWACHT_KAFKA_FIELD_SYSTEMS. Run again, it
keeps what exists and adds what is new (a new field system's credential needs the broker's
`wijkwacht`-side ConfigCommand, or a fresh volume).
"""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path

from service.devtools import security
from service.devtools.broker import new_cluster_id
from service.devtools.nodes import node_properties
from service.devtools.tls import ensure_tls
from service.kafka.clientfile import local_client_file, write_client_file
from service.settings import BROKER_PRINCIPAL, Settings

PORT, CONTROLLER_PORT = 9093, 9094
KAFKA_HOME = "/opt/kafka"  # in the apache/kafka image
BROKER_UID = 1000  # the apache/kafka image's `appuser`
CLIENT_UID = 10001  # deploy/Dockerfile's `wijkwacht`


def write_setup(directory: Path, hosts: str, settings: Settings) -> Path:
    """Everything the brokers and the clients need, under `<directory>/kafka`; its home.
    `hosts`: the brokers' names on the network, comma-separated: one, or three for the
    compose file's `cluster` profile (a static quorum of combined nodes, replication 3). The
    first broker's files are `server.properties` and `start.sh`, the others'
    `server-<host>.properties` and `start-<host>.sh`."""
    names = [host.strip() for host in hosts.split(",") if host.strip()]
    home = directory / "kafka"
    home.mkdir(parents=True, exist_ok=True)
    tls = ensure_tls(home / "tls", hosts=(*names, "localhost"))
    principals = security.principals(settings)
    security.write_client_files(home, ",".join(f"{h}:{PORT}" for h in names), tls, principals)
    cluster = home / "cluster-id"
    if not cluster.exists():
        cluster.write_text(new_cluster_id() + "\n")
    quorum = ",".join(f"{n}@{h}:{CONTROLLER_PORT}" for n, h in enumerate(names, start=1))
    # It listens inside its container, on the compose network only: it publishes no port.
    everywhere = "0.0.0.0"  # noqa: S104
    for node, host in enumerate(names, start=1):
        suffix = "" if node == 1 else f"-{host}"
        lines = node_properties("/var/lib/kafka/data", quorum, node, len(names))
        lines |= security.server_properties(
            home, tls, PORT, CONTROLLER_PORT, bind=everywhere, advertise=host
        )
        server = home / f"server{suffix}.properties"
        write_client_file(server, "".join(f"{k}={v}\n" for k, v in lines.items()))
        format_command = [
            f"{KAFKA_HOME}/bin/kafka-storage.sh",
            "format",
            "--ignore-formatted",
            "--cluster-id",
            cluster.read_text().strip(),
            "--config",
            str(server),
            *security.scram_format_args(home, principals),
        ]
        write_client_file(  # 0600 like a client file: it holds every password
            home / f"start{suffix}.sh",
            "#!/bin/bash\n# Written by service/devtools/compose_kafka.py: format once, then run.\n"
            "set -euo pipefail\n"
            f"{shlex.join(format_command)}\n"
            f"exec {KAFKA_HOME}/bin/kafka-server-start.sh {shlex.quote(str(server))}\n",
        )
    return home


def hand_over(home: Path, broker_uid: int = BROKER_UID, client_uid: int = CLIENT_UID) -> None:
    """Each file to the user of the container that reads it, still 0600 (as root only)."""
    if os.geteuid() != 0:
        return
    for directory in (home, home / "tls", home / "clients"):
        os.chmod(directory, 0o755)  # noqa: S103  (names only: every file in them is 0600)
    os.chmod(home / "tls" / "ca.pem", 0o644)  # every container trusts the CA
    for path in [*home.glob("server*.properties"), *home.glob("start*.sh")]:
        os.chown(path, broker_uid, broker_uid)
    for client in (home / "clients").glob("*.properties"):
        os.chown(client, client_uid, client_uid)
    # The broker's own client file serves the compose healthcheck, run in the broker's
    # container.
    own = local_client_file(home.parent, BROKER_PRINCIPAL)
    os.chown(own, broker_uid, broker_uid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, required=True, help="the shared volume")
    parser.add_argument(
        "--host", default="kafka", help="the brokers' names on the network, comma-separated"
    )
    args = parser.parse_args()
    home = write_setup(args.dir, args.host, Settings())
    hand_over(home)
    print(f"secured Kafka set-up in {home}: clients in {home / 'clients'}")


if __name__ == "__main__":
    main()
