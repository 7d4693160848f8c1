"""Kafka client configuration files in Kafka's own properties format: written for a principal,
and read back into Wijkwacht's settings, so that one file serves Kafka's console tools and
Wijkwacht's processes alike."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from service.kafka.config import KafkaConfig
from service.kafka.errors import KafkaSignInError
from service.settings import Settings

LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"


def client_properties(bootstrap: str, username: str, password: str, ca_file: Path) -> str:
    """SASL_SSL with SCRAM-SHA-512, trusting the CA in `ca_file`, hostname verified."""
    return _properties(bootstrap, "SASL_SSL", "SCRAM-SHA-512", username, password, ca_file, True)


def _properties(
    bootstrap: str,
    protocol: str,
    mechanism: str | None,
    username: str | None,
    password: str | None,
    ca_file: Path | None,
    check_hostname: bool,
) -> str:
    lines = {"bootstrap.servers": bootstrap, "security.protocol": protocol}
    if mechanism is not None:
        # JAAS quotes the values; our user names and passwords never hold '"' or '\\'.
        for value in (username or "", password or ""):
            if any(char in value for char in '"\\\n'):
                raise ValueError("a user name or password holds a quote, backslash or newline")
        module = PLAIN_MODULE if mechanism == "PLAIN" else LOGIN_MODULE
        lines["sasl.mechanism"] = mechanism
        lines["sasl.jaas.config"] = (
            f'{module} required username="{username}" password="{password}";'
        )
    if protocol.endswith("SSL"):
        if ca_file is not None:
            lines["ssl.truststore.type"] = "PEM"
            lines["ssl.truststore.location"] = str(ca_file)
        # "https" is Kafka's default, said here so that nobody mistakes it for an accident.
        lines["ssl.endpoint.identification.algorithm"] = "https" if check_hostname else ""
    return "".join(f"{key}={_escape(value)}\n" for key, value in lines.items())


def write_client_file(path: Path, text: str) -> None:
    """Write the file readable by its owner only: it holds a password."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    os.replace(temporary, path)


def read_properties(path: Path) -> dict[str, str]:
    """A Java properties file as written above: `key=value` lines, `#` comments, `\\`
    escapes (no line continuations: client files never need them)."""
    found: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"{path}: {line!r} is not key=value")
        found[key.strip()] = _unescape(value.strip())
    return found


def settings_fields(path: Path) -> dict[str, Any]:
    """The WIJKWACHT_KAFKA_* settings a client file says, as keyword arguments of `Settings`."""
    props = read_properties(path)
    protocol = props.get("security.protocol", "PLAINTEXT")
    fields: dict[str, Any] = {"kafka_security_protocol": protocol}
    # Whatever the environment says about signing in gives way to the file.
    for name in ("username", "password", "password_file", "ca_file", "cert_file", "key_file"):
        fields[f"kafka_{name}"] = None
    if "bootstrap.servers" in props:
        fields["kafka_bootstrap"] = props["bootstrap.servers"]
    if protocol.startswith("SASL_"):
        fields["kafka_sasl_mechanism"] = props.get("sasl.mechanism", "GSSAPI")
        options = _jaas_options(props.get("sasl.jaas.config", ""))
        fields["kafka_username"] = options.get("username")
        fields["kafka_password"] = SecretStr(options.get("password", ""))
    if protocol.endswith("SSL"):
        if props.get("ssl.truststore.type", "PEM") != "PEM":
            raise ValueError(f"{path}: Wijkwacht reads only a PEM truststore")
        if "ssl.truststore.location" in props:
            fields["kafka_ca_file"] = Path(props["ssl.truststore.location"])
        fields["kafka_check_hostname"] = props.get("ssl.endpoint.identification.algorithm") != ""
    return fields


def settings_from_client_file(settings: Settings, path: Path) -> Settings:
    """`settings` signing in the way the client file says; WIJKWACHT_KAFKA_BOOTSTRAP, when
    set, still says where the cluster is."""
    kept = settings.model_dump(exclude_unset=True)
    for name in list(kept):
        if name.startswith("kafka_") and name not in _NOT_SIGN_IN:
            del kept[name]
    fields = settings_fields(path)
    if "kafka_bootstrap" in kept:
        del fields["kafka_bootstrap"]
    return Settings(_env_file=None, **(kept | fields))


_NOT_SIGN_IN = ("kafka_jars", "kafka_field_systems", "kafka_bootstrap", "kafka_clients_dir")


def client_file_config(settings: Settings, path: Path) -> KafkaConfig:
    """`settings` signing in the way the client file at `path` says."""
    return KafkaConfig.from_settings(settings_from_client_file(settings, path))


def local_client_file(data_dir: Path, principal: str) -> Path:
    """Where the local broker keeps the client file of `principal`."""
    return data_dir / "kafka" / "clients" / f"{principal}.properties"


def local_mode_file(data_dir: Path) -> Path:
    """Says how the local broker's storage was formatted: `secure` or `insecure`."""
    return data_dir / "kafka" / "mode"


def clients_dir(settings: Settings) -> Path | None:
    """Where the client files of this process's principals are: the configured directory,
    else the secured local broker's; None when the WIJKWACHT_KAFKA_* settings say it all."""
    if settings.kafka_clients_dir is not None:
        return settings.kafka_clients_dir
    if settings.uses_local_broker:
        try:
            secure = local_mode_file(settings.data_dir).read_text().strip() == "secure"
        except OSError:
            secure = False
        if secure:
            return local_client_file(settings.data_dir, "-").parent
    return None


def kafka_config_for(settings: Settings, principal: str) -> KafkaConfig:
    """How `principal` reaches Kafka: from its client file when there is a directory of
    them, else from the WIJKWACHT_KAFKA_* settings (one identity for the whole process)."""
    directory = clients_dir(settings)
    if directory is None:
        return KafkaConfig.from_settings(settings)
    path = directory / f"{principal}.properties"
    if not path.is_file():
        setting = (
            "WIJKWACHT_KAFKA_CLIENTS_DIR" if settings.kafka_clients_dir else "the local broker"
        )
        raise KafkaSignInError(f"{setting}: no client file {path} for principal {principal}")
    try:
        return client_file_config(settings, path)
    except ValueError as exc:  # a pydantic ValidationError names the setting in its first line
        raise KafkaSignInError(f"{path}: {str(exc).splitlines()[0]}") from exc


def _jaas_options(text: str) -> dict[str, str]:
    """`Module required key="value" key="value";` → its options."""
    options: dict[str, str] = {}
    for part in text.rstrip().rstrip(";").split()[2:]:
        key, sep, value = part.partition("=")
        if sep:
            options[key] = value.strip('"')
    return options


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\")


def _unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        out.append(next(chars, "") if char == "\\" else char)
    return "".join(out)
