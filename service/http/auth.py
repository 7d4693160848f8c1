"""Who may read, operate and administer: roles over HTTP.

A caller is signed in by `Authorization: Bearer <credential>`: a key (a reader's, an
operator's, or a field system's, which may only write) or a JWT access token of the
municipality's identity provider (service/http/oidc.py), whose roles claim says what it may
do. Or by the dashboard's session cookie, which a person gets by signing in at the identity
provider or with a reader's or operator's key, and which is signed (itsdangerous) and expires.
Each role includes the ones before it: reader, operator, admin. Every refusal is a problem
document: 401 without a credential or with an unknown or invalid one, 403 with one that lacks
the role, 503 when the identity provider cannot be asked.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Annotated

from fastapi import Cookie, Depends, Header, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from service.http.intake import failed_sign_in, plain_keys, signed_in
from service.http.keyring import KeyRing
from service.http.oidc import (
    IdentityProvider,
    Pending,
    Person,
    ProviderUnavailable,
    TokenRefused,
)
from service.http.problems import Problem
from service.settings import Settings
from service.settings.credentials import ROLES, key_hash

log = logging.getLogger(__name__)
READER, OPERATOR, ADMIN = ROLES
SESSION_COOKIE = "wijkwacht_session"
PENDING_COOKIE = "wijkwacht_oidc"  # between leaving for the identity provider and coming back
PENDING_SECONDS = 600


@dataclass(frozen=True, slots=True)
class Caller:
    name: str
    roles: frozenset[str]
    key: str = ""  # the hash of the key it signed in with (a session is valid while that is)


class Authenticator:
    """Finds the caller of a key or a session cookie."""

    def __init__(
        self, settings: Settings, keyring: KeyRing, oidc: IdentityProvider | None = None
    ) -> None:
        self.oidc = oidc
        self._readers = plain_keys(settings.reader_key_names)
        self._operators = plain_keys(settings.operator_keys)
        self._valid = {key_hash(k) for k in (*settings.reader_key_names, *settings.operator_keys)}
        self._keyring = keyring
        given = settings.session_secret
        secret = given.get_secret_value() if given else secrets.token_urlsafe(32)
        self._sessions = URLSafeTimedSerializer(secret, salt="wijkwacht-session")
        self._pending = URLSafeTimedSerializer(secret, salt="wijkwacht-oidc-pending")
        self.session_seconds = settings.session_hours * 3600

    def of_key(self, presented: str) -> Caller | None:
        if name := self._operators(presented):
            return Caller(name, frozenset({READER, OPERATOR}), key_hash(presented))
        if name := self._readers(presented):
            return Caller(name, frozenset({READER}), key_hash(presented))
        if authority := self._keyring.find(presented):
            return Caller(authority.name, frozenset())  # a field system only writes
        return None

    def of_token(self, token: str, client: str | None) -> Caller:
        """The caller a bearer JWT of the identity provider names; Problem 401 for a token it
        did not sign for this API or that has expired, 503 if it cannot be asked."""
        assert self.oidc is not None
        try:
            person = self.oidc.of_access_token(token)
        except TokenRefused as refused:
            failed_sign_in("token", refused.reason, client)
            raise Problem(
                401,
                "Unauthorized",
                refused.detail,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from None
        except ProviderUnavailable as exc:
            raise unavailable(exc) from None
        return self.of_person(person)

    def of_person(self, person: Person) -> Caller:
        """A person the identity provider vouches for; their session lasts while it is the
        provider configured."""
        assert self.oidc is not None
        return Caller(person.name, person.roles, f"oidc:{self.oidc.issuer}")

    def session(self, caller: Caller) -> str:
        """The signed cookie value that signs `caller` in until it expires."""
        fields = {"name": caller.name, "roles": sorted(caller.roles), "key": caller.key}
        return self._sessions.dumps(fields)

    def of_session(self, cookie: str) -> Caller | None:
        try:
            found = self._sessions.loads(cookie, max_age=self.session_seconds)
        except BadSignature:  # also SignatureExpired
            return None
        if found.get("key") not in self._valid and not self._provider_session(found.get("key")):
            return None  # the key was taken away since, or the provider changed
        return Caller(str(found["name"]), frozenset(found["roles"]), found["key"])

    def pending(self, pending: Pending) -> str:
        """The signed cookie value that remembers a sign-in at the identity provider."""
        return self._pending.dumps(asdict(pending))

    def of_pending(self, cookie: str | None) -> Pending | None:
        """The sign-in a cookie remembers, if it is ours and not older than PENDING_SECONDS."""
        if cookie is None:
            return None
        try:
            return Pending(**self._pending.loads(cookie, max_age=PENDING_SECONDS))
        except (BadSignature, TypeError):
            return None

    def _provider_session(self, key: object) -> bool:
        return self.oidc is not None and key == f"oidc:{self.oidc.issuer}"


def unavailable(exc: ProviderUnavailable) -> Problem:
    """The 503 for an identity provider that cannot be asked; the log says why."""
    log.error("the identity provider cannot be asked: %s", exc)
    return Problem(
        503,
        "Service Unavailable",
        "the identity provider cannot be reached; try again shortly",
        headers={"Retry-After": "5"},
    )


def provider_token(auth: Authenticator, authorization: str | None) -> str | None:
    """The JWT an `Authorization: Bearer` header brings, if the API knows an identity provider
    (keys are never JWT-shaped: `wijkwacht new-key` makes them without dots)."""
    scheme, _, presented = (authorization or "").partition(" ")
    token = presented.strip()
    if auth.oidc is None or scheme.lower() != "bearer" or token.count(".") != 2:
        return None
    return token if token.startswith("ey") else None


def _authenticator(request: Request) -> Authenticator:
    auth: Authenticator = request.app.state.auth
    return auth


def requires(role: str) -> Callable[..., Caller]:
    """A dependency that lets through callers with `role`."""

    def dependency(
        request: Request,
        auth: Annotated[Authenticator, Depends(_authenticator)],
        # Documented as the security schemes, not as parameters.
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
        session: Annotated[
            str | None, Cookie(alias=SESSION_COOKIE, include_in_schema=False)
        ] = None,
    ) -> Caller:
        client = request.client.host if request.client else None
        caller: Caller | None
        if authorization is None and session is not None:
            caller = auth.of_session(session)
            if caller is None:
                raise Problem(
                    401,
                    "Unauthorized",
                    "the session has expired or is not valid: sign in again",
                    headers={"WWW-Authenticate": "Bearer"},
                )
        elif token := provider_token(auth, authorization):
            caller = auth.of_token(token, client)
        else:
            caller = signed_in(authorization, auth.of_key, role, client)
        if role not in caller.roles:
            raise Problem(403, "Forbidden", f"{caller.name!r} may not {_DOES[role]}")
        return caller

    return dependency


_DOES = {
    READER: "read the figures",
    OPERATOR: "do this: it is for operators",
    ADMIN: "do this: it is for admins",
}
OperatorCaller = Annotated[Caller, Depends(requires(OPERATOR))]
AdminCaller = Annotated[Caller, Depends(requires(ADMIN))]
