"""The secured local broker's principals: SCRAM passwords made once per data dir, a client file
for each, the broker's SASL_SSL configuration, and credentials added to a running broker."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from service.devtools.kafkatools import java_command, run_tool
from service.devtools.tls import TlsFiles
from service.kafka.clientfile import client_properties, local_client_file, write_client_file
from service.settings import ADMIN_PRINCIPAL, BROKER_PRINCIPAL, SERVICE_PRINCIPALS, Settings

MECHANISM = "SCRAM-SHA-512"
CONFIG_COMMAND = "kafka.admin.ConfigCommand"


def principals(settings: Settings) -> list[str]:
    """Wijkwacht's own principals, then every field system's."""
    return [*SERVICE_PRINCIPALS, *settings.field_systems]


def password(home: Path, principal: str) -> str:
    """The principal's password, made at first use and kept 0600 under `<home>/passwords/`."""
    directory = home / "passwords"
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    path = directory / principal
    try:
        known = path.read_text().strip()
    except OSError:
        known = ""
    if known:
        return known
    # URL-safe characters only: they need no quoting in JAAS, properties or --add-scram.
    made = secrets.token_urlsafe(24)
    write_client_file(path, made + "\n")
    return made


def write_client_files(home: Path, bootstrap: str, tls: TlsFiles, names: list[str]) -> None:
    """`<home>/clients/<principal>.properties` for every principal (0600: each holds a
    password)."""
    for name in names:
        text = client_properties(bootstrap, name, password(home, name), tls.ca_cert)
        path = local_client_file(home.parent, name)
        if not path.exists() or path.read_text() != text:
            write_client_file(path, text)


def scram_format_args(home: Path, names: list[str]) -> list[str]:
    """`StorageTool format` arguments that put every principal's credential in the new
    cluster's first metadata, so that the broker can sign in to itself from the start."""
    return [
        arg
        for name in names
        for arg in ("--add-scram", f"{MECHANISM}=[name={name},password={password(home, name)}]")
    ]


def server_properties(
    home: Path,
    tls: TlsFiles,
    port: int,
    controller_port: int,
    *,
    bind: str = "127.0.0.1",
    advertise: str = "127.0.0.1",
) -> dict[str, str]:
    """The listeners, TLS, SASL and authorizer lines of the secured broker: listening on
    `bind`, known to clients (and to itself, whose certificate must name it) as `advertise`."""
    broker = password(home, BROKER_PRINCIPAL)
    scram = f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{BROKER_PRINCIPAL}" password="{broker}";'  # noqa: E501
    # The controller listener cannot use SCRAM: its credentials live in the metadata log that
    # the controller itself serves. PLAIN with one static user (the broker) over TLS on
    # loopback keeps it signed in, and maps it to User:broker, a super user; nobody else has
    # a password for it, and clients never dial it (it is not advertised).
    plain = (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="{BROKER_PRINCIPAL}" password="{broker}" user_{BROKER_PRINCIPAL}="{broker}";'
    )
    return {
        "listeners": f"SASL_SSL://{bind}:{port},CONTROLLER://{bind}:{controller_port}",
        "advertised.listeners": f"SASL_SSL://{advertise}:{port}",
        "listener.security.protocol.map": "CONTROLLER:SASL_SSL,SASL_SSL:SASL_SSL",
        "inter.broker.listener.name": "SASL_SSL",
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": scram,
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": plain,
        # PEM material inline, as Kafka's PEM keystore takes it; the file is 0600 for it.
        "ssl.keystore.type": "PEM",
        "ssl.keystore.certificate.chain": _one_line(tls.broker_cert.read_text()),
        "ssl.keystore.key": _one_line(tls.broker_key.read_text()),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(tls.ca_cert),
        "ssl.endpoint.identification.algorithm": "https",
        "ssl.client.auth": "none",  # clients prove who they are with SCRAM, not certificates
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"User:{BROKER_PRINCIPAL};User:{ADMIN_PRINCIPAL}",
        "allow.everyone.if.no.acl.found": "false",
    }


def add_credential(java: str, jars: Path, home: Path, bootstrap: str, name: str) -> None:
    """Give a running broker the credential of a principal it does not know yet (a field
    system configured after the storage was formatted), signed in as admin."""
    run_tool(
        java_command(
            java,
            jars,
            CONFIG_COMMAND,
            "--bootstrap-server",
            bootstrap,
            "--command-config",
            str(local_client_file(home.parent, ADMIN_PRINCIPAL)),
            "--alter",
            "--entity-type",
            "users",
            "--entity-name",
            name,
            "--add-config",
            f"{MECHANISM}=[password={password(home, name)}]",
        ),
        f"adding the SCRAM credential of {name}",
    )


def _one_line(pem: str) -> str:
    # Java properties: `\n` in a value is a newline, so the PEM keeps its lines.
    return pem.strip().replace("\n", "\\n")
