"""The identity provider's settings and roles, without a provider: what a misconfiguration
stops with, and which Wijkwacht roles a token's claims grant (the real provider is in
tests/e2e/test_sign_in.py)."""

from __future__ import annotations

from typing import Any

import pytest

from service.http.oidc import IdentityProvider, implied
from service.settings import Settings
from tests.unit.test_settings import one_line_naming

ISSUER = "https://login.zoetermeer.example/realms/gemeente"


def provider(**values: Any) -> IdentityProvider:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        oidc_issuer=ISSUER,
        oidc_client_id="wijkwacht",
        **values,
    )
    return IdentityProvider(settings)


@pytest.mark.parametrize(
    ("environment", "variable", "reason"),
    [
        ({"WIJKWACHT_OIDC_CLIENT_ID": "wijkwacht"}, "WIJKWACHT_OIDC_CLIENT_ID", "ISSUER too"),
        ({"WIJKWACHT_OIDC_ISSUER": ISSUER}, "WIJKWACHT_OIDC_CLIENT_ID", "set it"),
        (
            {"WIJKWACHT_OIDC_ISSUER": "http://login.example.nl", "WIJKWACHT_OIDC_CLIENT_ID": "w"},
            "WIJKWACHT_OIDC_ISSUER",
            "https only",
        ),
        (
            {"WIJKWACHT_OIDC_ISSUER": "login.example.nl", "WIJKWACHT_OIDC_CLIENT_ID": "w"},
            "WIJKWACHT_OIDC_ISSUER",
            "issuer URL",
        ),
        (
            {
                "WIJKWACHT_OIDC_ISSUER": ISSUER,
                "WIJKWACHT_OIDC_CLIENT_ID": "w",
                "WIJKWACHT_OIDC_ROLE_NAMES": "boss:wijkwacht-baas",
            },
            "WIJKWACHT_OIDC_ROLE_NAMES",
            "reader, operator, admin",
        ),
        (
            {
                "WIJKWACHT_OIDC_ISSUER": ISSUER,
                "WIJKWACHT_OIDC_CLIENT_ID": "w",
                "WIJKWACHT_OIDC_SCOPES": "profile",
            },
            "WIJKWACHT_OIDC_SCOPES",
            "openid",
        ),
    ],
)
def test_an_unusable_provider_setting_stops_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], variable: str, reason: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert reason in one_line_naming(variable)


def test_a_provider_on_this_machine_may_be_reached_over_http() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        oidc_issuer="http://127.0.0.1:8080/realms/dev",
        oidc_client_id="wijkwacht",
    )
    assert settings.oidc_issuer == "http://127.0.0.1:8080/realms/dev"


def test_each_role_includes_the_ones_before_it() -> None:
    assert implied(set()) == frozenset()
    assert implied({"reader"}) == {"reader"}
    assert implied({"operator"}) == {"reader", "operator"}
    assert implied({"admin"}) == {"reader", "operator", "admin"}


@pytest.mark.parametrize(
    ("values", "claims", "roles"),
    [
        ({}, {"roles": ["reader"]}, {"reader"}),
        ({}, {"roles": "operator other"}, {"reader", "operator"}),  # space-separated
        ({}, {"roles": ["something-else"]}, set()),
        ({}, {}, set()),
        ({}, {"roles": 7}, set()),
        (  # Keycloak's realm roles, named the municipality's way
            {
                "oidc_roles_claim": "realm_access.roles",
                "oidc_role_names": "reader:wijkwacht-lezer,admin:wijkwacht-beheer",
            },
            {"realm_access": {"roles": ["offline_access", "wijkwacht-beheer"]}},
            {"reader", "operator", "admin"},
        ),
        (  # once named otherwise, Wijkwacht's own names no longer count
            {"oidc_role_names": "reader:wijkwacht-lezer"},
            {"roles": ["admin"]},
            set(),
        ),
        ({"oidc_roles_claim": "realm_access.roles"}, {"realm_access": ["reader"]}, set()),
    ],
)
def test_roles_come_from_the_claim_through_the_role_names(
    values: dict[str, str], claims: dict[str, Any], roles: set[str]
) -> None:
    assert provider(**values).roles(claims) == roles


@pytest.mark.parametrize(
    ("asked", "local"),
    [
        ("/", True),
        ("/?scope=day&kind=handhavingsmelding", True),
        ("//evil.example/", False),  # another site, scheme-relative
        ("/\\evil.example/", False),  # browsers read a backslash as a slash
        ("https://evil.example/", False),
        ("/a b", False),
        ("", False),
    ],
)
def test_after_signing_in_a_person_goes_back_to_this_site_only(asked: str, local: bool) -> None:
    from service.http.routers.session import LOCAL_PATH

    assert bool(LOCAL_PATH.fullmatch(asked)) is local
