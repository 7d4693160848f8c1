"""The dashboard's sign-in. A person signs in at the municipality's identity provider (OpenID
Connect, authorization code flow with PKCE, run here so the browser never holds a token) or
gives a reader's or operator's key once; either way they get a signed session cookie
(HttpOnly, SameSite=Strict), which the page's requests and its live stream carry by
themselves. Signing out forgets it."""

from __future__ import annotations

import hmac
import re
from typing import Annotated

from fastapi import APIRouter, Body, Cookie, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from service.http.auth import (
    PENDING_COOKIE,
    PENDING_SECONDS,
    READER,
    SESSION_COOKIE,
    Authenticator,
    Caller,
    requires,
    unavailable,
)
from service.http.intake import failed_sign_in, signed_in
from service.http.oidc import IdentityProvider, ProviderUnavailable, TokenRefused
from service.http.openapi import READERS
from service.http.problems import BAD_QUERY, FORBIDDEN_ROLE, UNAUTHORIZED, Problem, answers
from service.http.schemas import SessionOut, SignInMethods

router = APIRouter(tags=["sign-in"])
LOCATION = {"Location": {"description": "Where the browser goes", "schema": {"type": "string"}}}


@router.post(
    "/auth/session",
    status_code=204,
    summary="Sign in with a reader's or operator's key: sets the session cookie",
    responses=answers((400, 'The body is not `{"key": "<key>"}`'), UNAUTHORIZED, FORBIDDEN_ROLE),
)
def sign_in(
    request: Request,
    response: Response,
    key: Annotated[str, Body(embed=True, min_length=1, max_length=512)],
) -> None:
    auth = _auth(request)
    client = request.client.host if request.client else None
    caller = signed_in(f"Bearer {key}", auth.of_key, READER, client)
    if READER not in caller.roles:
        raise Problem(403, "Forbidden", f"{caller.name!r} may not read the figures")
    _set_session(request, response, auth, caller)


def _set_session(request: Request, response: Response, auth: Authenticator, caller: Caller) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        auth.session(caller),
        max_age=auth.session_seconds,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


@router.get(
    "/auth/methods",
    response_model=SignInMethods,
    summary="How a person may sign in here: with a key, and at which identity provider",
)
def methods(request: Request) -> SignInMethods:
    provider = _auth(request).oidc
    return SignInMethods(
        key=True,
        provider=provider.issuer if provider else None,
        provider_login="/auth/oidc/login" if provider else None,
    )


# A path on this site only (`/...`, never `//host`): where to go after signing in.
LOCAL_PATH = re.compile(r"/([^/\\\s][^\s\\]*)?")


@router.get(
    "/auth/oidc/login",
    status_code=302,
    response_class=RedirectResponse,
    summary="Sign in at the identity provider: sends the browser there",
    responses={
        302: {"description": "To the identity provider's sign-in page", "headers": LOCATION},
        **answers(
            BAD_QUERY,
            (404, "No identity provider is configured (WIJKWACHT_OIDC_ISSUER)"),
            (503, "The identity provider cannot be reached", {"Retry-After": "Seconds"}),
        ),
    },
)
def oidc_login(
    request: Request,
    next: Annotated[
        str, Query(max_length=2048, description="a path on this site; anything else: `/`")
    ] = "/",
) -> RedirectResponse:
    auth = _auth(request)
    provider = _provider(auth)
    back = next if LOCAL_PATH.fullmatch(next) else "/"  # never off this site
    try:
        url, pending = provider.begin(_callback(request), back)
    except ProviderUnavailable as exc:
        raise unavailable(exc) from None
    answer = RedirectResponse(url, status_code=302)
    # SameSite=Lax: the provider sends the browser back with a top-level GET from its site.
    answer.set_cookie(
        PENDING_COOKIE,
        auth.pending(pending),
        max_age=PENDING_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/auth/oidc",
    )
    return answer


@router.get(
    "/auth/oidc/callback",
    name="oidc_callback",
    status_code=303,
    response_class=RedirectResponse,
    summary="Where the identity provider sends the browser back: sets the session cookie",
    responses={
        303: {
            "description": "Signed in: back to the page the person came from. Not signed in: "
            "to the dashboard with `signin_error` (denied, expired, refused, no-role, "
            "unavailable)",
            "headers": LOCATION,
        },
        **answers(BAD_QUERY, (404, "No identity provider is configured (WIJKWACHT_OIDC_ISSUER)")),
    },
)
def oidc_callback(
    request: Request,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
    pending_cookie: Annotated[
        str | None, Cookie(alias=PENDING_COOKIE, include_in_schema=False)
    ] = None,
) -> RedirectResponse:
    auth = _auth(request)
    provider = _provider(auth)
    client = request.client.host if request.client else None
    pending = auth.of_pending(pending_cookie)
    if error is not None:
        return _not_signed_in("denied")  # the person cancelled, or the provider refused them
    if pending is None or state is None or not hmac.compare_digest(pending.state, state):
        failed_sign_in("provider", "state", client)
        return _not_signed_in("expired")  # too late, another tab, or not our request
    if code is None:
        return _not_signed_in("refused")
    try:
        person = provider.finish(pending, code, _callback(request))
    except TokenRefused as refused:
        failed_sign_in("provider", refused.reason, client)
        return _not_signed_in("refused")
    except ProviderUnavailable as exc:
        unavailable(exc)  # logs why
        return _not_signed_in("unavailable")
    if READER not in person.roles:
        failed_sign_in("provider", "no-role", client)
        return _not_signed_in("no-role")
    answer = RedirectResponse(pending.next, status_code=303)
    answer.delete_cookie(PENDING_COOKIE, path="/auth/oidc", httponly=True, samesite="lax")
    _set_session(request, answer, auth, auth.of_person(person))
    return answer


def _auth(request: Request) -> Authenticator:
    auth: Authenticator = request.app.state.auth
    return auth


def _provider(auth: Authenticator) -> IdentityProvider:
    if auth.oidc is None:
        raise Problem(404, "Not Found", "no identity provider is configured here")
    return auth.oidc


def _callback(request: Request) -> str:
    """The redirect URI registered at the provider: this API's callback, as the browser sees
    it (behind a proxy, from its X-Forwarded-* headers: WIJKWACHT_FORWARDED_ALLOW_IPS)."""
    return str(request.url_for("oidc_callback"))


def _not_signed_in(reason: str) -> RedirectResponse:
    answer = RedirectResponse(f"/?signin_error={reason}", status_code=303)
    answer.delete_cookie(PENDING_COOKIE, path="/auth/oidc", httponly=True, samesite="lax")
    return answer


@router.get(
    "/auth/session",
    response_model=SessionOut,
    summary="Who is signed in, with which roles",
    responses=answers(UNAUTHORIZED, FORBIDDEN_ROLE),
    openapi_extra={"security": READERS},
)
def who(caller: Annotated[Caller, Depends(requires(READER))]) -> SessionOut:
    return SessionOut(name=caller.name, roles=sorted(caller.roles))


@router.delete("/auth/session", status_code=204, summary="Sign out: forget the session cookie")
def sign_out(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
