"""Registries: the wijken, categories, cameras, teams and the case registries (housing types,
statustypes, resultaattypes) that codes in events refer to.

They are data files (JSON) shipped in `events/registries/`; a municipality points
WIJKWACHT_REGISTRY_DIR at its own copy to replace them without touching code.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from events.errors import RegistryError
from events.kinds import DOMESTIC, KINDS, RESTRAINING, RESTRAINING_CATEGORY
from events.limits import CODE_PATTERN

DEFAULT_DIR = Path(__file__).resolve().parent / "registries"


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1)
    description: str = ""


TileIndex = Annotated[int, Field(ge=0, le=20)]


class Wijk(Entry):
    cbs_code: str = ""
    # Where the wijk lies on the dashboard's schematic map: [column, row] of a tile, west to
    # east and north to south. A schematic, not geography (docs/design.md, "Registries").
    tile: tuple[TileIndex, TileIndex] | None = None


class StatusType(Entry):
    """A statustype of a woonoverlast case (ZGW): `final` closes the case (ZGW's
    eindstatus); any other, set after a final one, opens it again."""

    final: bool


class Camera(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1)
    description: str = ""
    wijk: str
    fixed: bool
    active_from: date
    active_until: date | None = None

    def active_on(self, day: date) -> bool:
        return self.active_from <= day and (self.active_until is None or day <= self.active_until)


class Registries(BaseModel):
    """All registries, cross-checked: every camera lies in a known wijk, codes are unique."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wijken: tuple[Wijk, ...]
    categories: dict[str, tuple[Entry, ...]]
    cameras: tuple[Camera, ...]
    teams: tuple[Entry, ...]
    housing: tuple[Entry, ...]
    statustypes: tuple[StatusType, ...]
    resultaattypes: tuple[Entry, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Registries:
        if set(self.categories) != set(KINDS):
            raise ValueError(f"categories must list exactly the kinds {', '.join(KINDS)}")
        groups: list[tuple[str, list[str]]] = [
            ("wijken", [w.code for w in self.wijken]),
            ("cameras", [c.id for c in self.cameras]),
            ("teams", [t.code for t in self.teams]),
            ("housing", [h.code for h in self.housing]),
            ("statustypes", [t.code for t in self.statustypes]),
            ("resultaattypes", [t.code for t in self.resultaattypes]),
        ]
        groups += [(f"categories.{k}", [c.code for c in v]) for k, v in self.categories.items()]
        for name, codes in groups:
            if not codes:
                raise ValueError(f"{name} is empty")
            if len(set(codes)) != len(codes):
                raise ValueError(f"{name} lists a code twice")
        if {t.final for t in self.statustypes} != {True, False}:
            raise ValueError("statustypes must hold a final one and one that is not")
        if RESTRAINING_CATEGORY not in {c.code for c in self.categories[RESTRAINING]}:
            raise ValueError(f"categories.{RESTRAINING} must hold {RESTRAINING_CATEGORY!r}")
        tiles = [w.tile for w in self.wijken if w.tile is not None]
        if len(set(tiles)) != len(tiles):
            raise ValueError("wijken: two wijken share a tile of the map")
        wijken = {w.code for w in self.wijken}
        for camera in self.cameras:
            if camera.wijk not in wijken:
                raise ValueError(f"camera {camera.id!r} lies in unknown wijk {camera.wijk!r}")
        return self

    # The lookups below run for every event: computed once per (immutable) registry.
    @cached_property
    def _wijk_codes(self) -> frozenset[str]:
        return frozenset(w.code for w in self.wijken)

    @cached_property
    def _category_codes(self) -> dict[str, frozenset[str]]:
        return {
            kind: frozenset(c.code for c in entries) for kind, entries in self.categories.items()
        }

    @cached_property
    def _team_codes(self) -> frozenset[str]:
        return frozenset(t.code for t in self.teams)

    @cached_property
    def _case_codes(self) -> dict[str, frozenset[str]]:
        return {
            "housing": frozenset(h.code for h in self.housing),
            "statustype": frozenset(t.code for t in self.statustypes),
            "resultaat": frozenset(t.code for t in self.resultaattypes),
        }

    @cached_property
    def _final(self) -> dict[str, bool]:
        return {t.code: t.final for t in self.statustypes}

    @cached_property
    def _cameras(self) -> dict[str, Camera]:
        return {c.id: c for c in self.cameras}

    @cached_property
    def _camera_ids(self) -> frozenset[str]:
        return frozenset(self._cameras)

    def wijk_codes(self) -> frozenset[str]:
        return self._wijk_codes

    def category_codes(self, kind: str) -> frozenset[str]:
        return self._category_codes.get(kind, frozenset())

    def team_codes(self) -> frozenset[str]:
        return self._team_codes

    def camera_ids(self) -> frozenset[str]:
        return self._camera_ids

    def codes(self, kind: str, field: str) -> frozenset[str]:
        """The codes allowed in `data.<field>` of an event of `kind`."""
        if field == "category" or (kind == DOMESTIC and field == "organisation"):
            return self.category_codes(kind)  # a registering organisation is its category
        if field in self._case_codes:
            return self._case_codes[field]
        if field == "wijk":
            return self._wijk_codes
        if field == "team":
            return self._team_codes
        return self._camera_ids

    def camera(self, camera_id: str) -> Camera | None:
        return self._cameras.get(camera_id)

    def is_final(self, statustype: str) -> bool | None:
        """Whether a statustype closes a case; None for an unknown one."""
        return self._final.get(statustype)


def load_registries(directory: Path | None = None) -> Registries:
    """Read and cross-check the five registry files; RegistryError says what is wrong."""
    directory = directory or DEFAULT_DIR
    raw: dict[str, object] = {}
    for stem, key in (("wijken", "wijken"), ("cameras", "cameras"), ("teams", "teams")):
        raw[key] = _read(directory / f"{stem}.json").get(key)
    raw["categories"] = _read(directory / "categories.json")
    cases = _read(directory / "cases.json")
    for key in ("housing", "statustypes", "resultaattypes"):
        raw[key] = cases.get(key)
    try:
        return Registries.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RegistryError(f"registry in {directory}: {where}: {first['msg']}") from None


def _read(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"registry file {path} is missing") from None
    except (OSError, ValueError) as exc:
        raise RegistryError(f"registry file {path} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise RegistryError(f"registry file {path} must hold a JSON object")
    return data
