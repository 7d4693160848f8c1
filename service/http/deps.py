"""FastAPI dependencies: the app's settings, registries and collaborators, and sign-in."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from fastapi import Depends, Query, Request

from events.kinds import KINDS
from events.limits import CODE_PATTERN
from events.registry import Registries
from service.http.keyring import KeyRing
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


def _keyring(request: Request) -> KeyRing:
    keyring: KeyRing = request.app.state.keyring
    return keyring


Keys = Annotated[KeyRing, Depends(_keyring)]


# The filters of the read endpoints. A kind is one of the counted kinds; a category or wijk
# has the form of a registry code (any such code is taken: the rows of codes that are not,
# or no longer, in the registries are simply none or old ones).
Kind = Literal[
    "handhavingsmelding",
    "cameraincident",
    "jaarwisselingsschade",
    "huiselijkgeweld",
    "huisverbod",
    "woonoverlast",
]
assert get_args(Kind) == KINDS, "Kind and events.kinds.KINDS disagree"
KindFilter = Annotated[Kind | None, Query(description="only this kind")]
CategoryFilter = Annotated[
    str | None, Query(pattern=CODE_PATTERN, description="only this category (a registry code)")
]
WijkFilter = Annotated[
    str | None, Query(pattern=CODE_PATTERN, description="only this wijk (a registry code)")
]
