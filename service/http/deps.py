"""FastAPI dependencies: the app's settings, registries and collaborators, and sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from events.registry import Registries
from service.http.intake import field_system_for
from service.http.limits import RateLimiter
from service.http.ports import ApiParts
from service.settings import Settings


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _registries(request: Request) -> Registries:
    registries: Registries = request.app.state.registries
    return registries


def _parts(request: Request) -> ApiParts:
    parts: ApiParts = request.app.state.parts
    return parts


SettingsDep = Annotated[Settings, Depends(_settings)]
RegistriesDep = Annotated[Registries, Depends(_registries)]
Parts = Annotated[ApiParts, Depends(_parts)]


def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


Limiter = Annotated[RateLimiter, Depends(_limiter)]


def _operator(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> str:
    """The operator whose key (WIJKWACHT_ADMIN_KEYS) is presented; Problem 401 otherwise."""
    return field_system_for(authorization, settings.operator_keys)


Operator = Annotated[str, Depends(_operator)]
