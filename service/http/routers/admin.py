"""What admins see over HTTP: the field systems with their authority and key fingerprints, and
the settings in force, secrets masked. Keys themselves are managed in the key file
(WIJKWACHT_API_KEYS_FILE, read again when it changes; `wijkwacht new-key`), which is where a
municipality keeps them under change control; these endpoints show what the API believes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from service.http.auth import ADMIN, Caller, requires
from service.http.keyring import KeyRing
from service.http.openapi import ADMINS
from service.http.problems import FORBIDDEN_ROLE, UNAUTHORIZED, answers
from service.http.schemas import FieldSystemOut
from service.settings import Settings
from storage.engine import shown_url

router = APIRouter(tags=["admin"])
AdminOnly = Annotated[Caller, Depends(requires(ADMIN))]
FINGERPRINT = len("sha256:") + 12  # enough to tell keys apart, too little to matter


@router.get(
    "/v1/admin/field-systems",
    response_model=list[FieldSystemOut],
    summary="The field systems that may send events, with what they may send",
    responses=answers(UNAUTHORIZED, FORBIDDEN_ROLE),
    openapi_extra={"security": ADMINS},
)
def field_systems(request: Request, _: AdminOnly) -> list[FieldSystemOut]:
    keyring: KeyRing = request.app.state.keyring
    return [
        FieldSystemOut(
            name=authority.name,
            keys=[stored[:FINGERPRINT] for stored in authority.key_hashes],
            kinds=sorted(authority.kinds) if authority.kinds is not None else None,
            cameras=sorted(authority.cameras) if authority.cameras is not None else None,
        )
        for authority in sorted(keyring.authorities(), key=lambda a: a.name)
    ]


@router.get(
    "/v1/admin/settings",
    summary="The settings in force (WIJKWACHT_*), every secret masked",
    responses=answers(UNAUTHORIZED, FORBIDDEN_ROLE),
    openapi_extra={"security": ADMINS},
)
def settings_in_force(request: Request, _: AdminOnly) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    shown = settings.model_dump(mode="json")  # SecretStr fields come out as "**********"
    if settings.database_url is not None:
        shown["database_url"] = shown_url(settings.database_url)
    return {f"WIJKWACHT_{name.upper()}": value for name, value in sorted(shown.items())}
