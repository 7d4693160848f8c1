"""The dashboard's sign-in: a person gives a reader's or operator's key once and gets a signed
session cookie (HttpOnly, SameSite=Strict), which the page's requests and its live stream carry
by themselves; signing out forgets it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response

from service.http.auth import READER, SESSION_COOKIE, Authenticator, Caller, requires
from service.http.intake import signed_in
from service.http.openapi import READERS
from service.http.problems import FORBIDDEN_ROLE, UNAUTHORIZED, Problem, answers
from service.http.schemas import SessionOut

router = APIRouter(tags=["sign-in"])


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
    auth: Authenticator = request.app.state.auth
    client = request.client.host if request.client else None
    caller = signed_in(f"Bearer {key}", auth.of_key, READER, client)
    if READER not in caller.roles:
        raise Problem(403, "Forbidden", f"{caller.name!r} may not read the figures")
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
