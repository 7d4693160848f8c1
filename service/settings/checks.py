"""Checks across several settings, each failing with one line that names the setting to fix."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from service.settings.credentials import ROLES, parse_role_names

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


def check_oidc(settings: Settings) -> None:
    """ValueError for OpenID Connect settings that could sign nobody in, or not safely."""
    named = [
        name
        for name in ("client_id", "client_secret", "audience", "role_names")
        if getattr(settings, f"oidc_{name}") is not None
    ]
    if settings.oidc_issuer is None:
        if named:
            raise ValueError(
                f"WIJKWACHT_OIDC_{named[0].upper()}: set WIJKWACHT_OIDC_ISSUER too, "
                "the identity provider it belongs to"
            )
        return
    issuer = urlsplit(settings.oidc_issuer)
    if issuer.scheme not in ("https", "http") or not issuer.hostname or issuer.query:
        raise ValueError(
            "WIJKWACHT_OIDC_ISSUER: give the identity provider's issuer URL, "
            "e.g. https://login.example.nl/realms/gemeente"
        )
    if issuer.scheme == "http" and not _loopback(issuer.hostname):
        raise ValueError(
            "WIJKWACHT_OIDC_ISSUER: an identity provider off this machine is reached over "
            "https only (tokens and codes would cross the network in the clear)"
        )
    if not settings.oidc_client_id:
        raise ValueError(
            "WIJKWACHT_OIDC_CLIENT_ID: the dashboard signs people in as this client of the "
            "identity provider; set it"
        )
    if "openid" not in settings.oidc_scopes.split():
        raise ValueError("WIJKWACHT_OIDC_SCOPES: must include 'openid'")
    if not re.fullmatch(r"[A-Za-z0-9_:/-]+(\.[A-Za-z0-9_:/-]+)*", settings.oidc_roles_claim):
        raise ValueError(
            "WIJKWACHT_OIDC_ROLES_CLAIM: a claim name, or a dotted path such as realm_access.roles"
        )
    oidc_role_map(settings)  # ValueError naming WIJKWACHT_OIDC_ROLE_NAMES


def oidc_role_map(settings: Settings) -> dict[str, str]:
    """The identity provider's role name → Wijkwacht's role (reader, operator, admin);
    ValueError naming WIJKWACHT_OIDC_ROLE_NAMES if it is malformed."""
    if settings.oidc_role_names is None:
        return {role: role for role in ROLES}
    try:
        return parse_role_names(settings.oidc_role_names)
    except ValueError as exc:
        raise ValueError(f"WIJKWACHT_OIDC_ROLE_NAMES: {exc}") from None


def check_one_key_one_role(settings: Settings) -> None:
    """A key is a field system's, a reader's or an operator's, never two of them."""
    sets = (
        ("WIJKWACHT_API_KEYS", set(settings.field_system_keys)),
        ("WIJKWACHT_READER_KEYS", set(settings.reader_key_names)),
        ("WIJKWACHT_ADMIN_KEYS", set(settings.operator_keys)),
    )
    for n, (first, keys) in enumerate(sets):
        for second, others in sets[n + 1 :]:
            if keys & others:
                raise ValueError(f"{second}: a key is also in {first}; give each its own")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
