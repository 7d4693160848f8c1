"""Who may read and who may operate: roles over HTTP.

A caller is signed in by a key in `Authorization: Bearer <key>` (a reader's, an operator's, or
a field system's, which may only write), or by the dashboard's session cookie, which a person
gets by signing in with a reader's or operator's key (POST /auth/session) and which is signed
(itsdangerous) and expires. Operators may read as well. Every refusal is a problem document:
401 without a credential or with an unknown one, 403 with one that lacks the role.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Cookie, Depends, Header, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from service.http.intake import plain_keys, signed_in
from service.http.keyring import KeyRing
from service.http.problems import Problem
from service.settings import Settings
from service.settings.credentials import key_hash

READER, OPERATOR = "reader", "operator"
SESSION_COOKIE = "wijkwacht_session"


@dataclass(frozen=True, slots=True)
class Caller:
    name: str
    roles: frozenset[str]
    key: str = ""  # the hash of the key it signed in with (a session is valid while that is)


class Authenticator:
    """Finds the caller of a key or a session cookie."""

    def __init__(self, settings: Settings, keyring: KeyRing) -> None:
        self._readers = plain_keys(settings.reader_key_names)
        self._operators = plain_keys(settings.operator_keys)
        self._valid = {key_hash(k) for k in (*settings.reader_key_names, *settings.operator_keys)}
        self._keyring = keyring
        secret = settings.session_secret
        self._sessions = URLSafeTimedSerializer(
            secret.get_secret_value() if secret else secrets.token_urlsafe(32),
            salt="wijkwacht-session",
        )
        self.session_seconds = settings.session_hours * 3600

    def of_key(self, presented: str) -> Caller | None:
        if name := self._operators(presented):
            return Caller(name, frozenset({READER, OPERATOR}), key_hash(presented))
        if name := self._readers(presented):
            return Caller(name, frozenset({READER}), key_hash(presented))
        if authority := self._keyring.find(presented):
            return Caller(authority.name, frozenset())  # a field system only writes
        return None

    def session(self, caller: Caller) -> str:
        """The signed cookie value that signs `caller` in until it expires."""
        fields = {"name": caller.name, "roles": sorted(caller.roles), "key": caller.key}
        return self._sessions.dumps(fields)

    def of_session(self, cookie: str) -> Caller | None:
        try:
            found = self._sessions.loads(cookie, max_age=self.session_seconds)
        except BadSignature:  # also SignatureExpired
            return None
        if found.get("key") not in self._valid:  # the key was taken away since
            return None
        return Caller(str(found["name"]), frozenset(found["roles"]), found["key"])


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
        else:
            caller = signed_in(authorization, auth.of_key, role, client)
        if role not in caller.roles:
            raise Problem(403, "Forbidden", f"{caller.name!r} may not {_DOES[role]}")
        return caller

    return dependency


_DOES = {READER: "read the figures", OPERATOR: "do this: it is for operators"}
OperatorCaller = Annotated[Caller, Depends(requires(OPERATOR))]
