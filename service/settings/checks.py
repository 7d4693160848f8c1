"""Checks across several settings, each failing with one line that names the setting to fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.settings import Settings


def check_kafka_security(settings: Settings) -> None:
    """ValueError for a combination of WIJKWACHT_KAFKA_* no Kafka client could use."""
    protocol = settings.kafka_security_protocol
    sasl, tls = protocol.startswith("SASL_"), protocol.endswith("SSL")
    if settings.kafka_password is not None and settings.kafka_password_file is not None:
        raise ValueError(
            "WIJKWACHT_KAFKA_PASSWORD_FILE: set the password or a file holding it, not both"
        )
    if settings.kafka_password_file is not None and not settings.kafka_password_file.is_file():
        raise ValueError(
            f"WIJKWACHT_KAFKA_PASSWORD_FILE: {settings.kafka_password_file} is not a readable file"
        )
    given = settings.kafka_username or settings.kafka_password or settings.kafka_password_file
    if sasl and not (settings.kafka_username and settings.kafka_password_secret()):
        raise ValueError(
            f"WIJKWACHT_KAFKA_USERNAME: {protocol} needs a username and a password "
            "(WIJKWACHT_KAFKA_PASSWORD or WIJKWACHT_KAFKA_PASSWORD_FILE)"
        )
    if not sasl and given:
        raise ValueError(
            f"WIJKWACHT_KAFKA_SECURITY_PROTOCOL: {protocol} does not sign in with a "
            "username and password; use SASL_SSL (or SASL_PLAINTEXT)"
        )
    for name in ("ca_file", "cert_file", "key_file"):
        path = getattr(settings, f"kafka_{name}")
        variable = f"WIJKWACHT_KAFKA_{name.upper()}"
        if path is not None and not tls:
            raise ValueError(f"{variable}: {protocol} uses no TLS; use SSL or SASL_SSL")
        if path is not None and not path.is_file():
            raise ValueError(f"{variable}: {path} is not a readable file")
    if (settings.kafka_cert_file is None) != (settings.kafka_key_file is None):
        raise ValueError(
            "WIJKWACHT_KAFKA_KEY_FILE: mutual TLS needs both WIJKWACHT_KAFKA_CERT_FILE "
            "and WIJKWACHT_KAFKA_KEY_FILE"
        )
