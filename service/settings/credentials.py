"""Credentials and authority as configuration: API keys given plainly (`name:key,...`, for
development), and the key file of production, which holds for each field system only hashes of
its keys (several at once, to rotate), the kinds it may report and the cameras it may report
for. Parsed here, so that a process stops at start with one line naming what is wrong."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from events.kinds import KINDS

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MIN_KEY_LENGTH = 16
# The roles over HTTP, each including the ones before it (an operator reads, an admin operates).
ROLES = ("reader", "operator", "admin")


def key_hash(key: str) -> str:
    """How a key file holds a key. API keys are long random strings, not passwords a person
    chose: a plain SHA-256 cannot be reversed, and needs no slow password hash."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Authority:
    """What one field system may do: sign in with any of its keys, report these kinds (None:
    every kind) and, for cameras, these cameras (None: any)."""

    name: str
    key_hashes: tuple[str, ...]
    kinds: frozenset[str] | None = None
    cameras: frozenset[str] | None = None


def load_key_file(path: Path) -> dict[str, Authority]:
    """The field systems of a key file (TOML, one table per field system); ValueError naming
    the entry and what is wrong with it."""
    try:
        document = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ValueError(f"{path} cannot be read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not TOML: {exc}") from None
    systems: dict[str, Authority] = {}
    seen: set[str] = set()
    for name, entry in document.items():
        where = f"{path}: [{name}]"
        if not NAME.match(name):
            raise ValueError(f"{where}: a field-system name is lowercase letters, digits, '-'")
        if not isinstance(entry, dict) or set(entry) - {"keys", "kinds", "cameras"}:
            raise ValueError(f"{where}: holds keys, and optionally kinds and cameras")
        hashes = entry.get("keys")
        if (
            not isinstance(hashes, list)
            or not hashes
            or not all(isinstance(h, str) and HASH.match(h) for h in hashes)
        ):
            raise ValueError(f"{where}: keys must be a list of 'sha256:<64 hex digits>'")
        if seen & set(hashes):
            raise ValueError(f"{where}: a key hash is given to two field systems")
        seen |= set(hashes)
        systems[name] = Authority(
            name,
            tuple(hashes),
            _codes(entry, "kinds", where, allowed=set(KINDS)),
            _codes(entry, "cameras", where),
        )
    return systems


def _codes(
    entry: dict[str, object], field: str, where: str, allowed: set[str] | None = None
) -> frozenset[str] | None:
    if field not in entry:
        return None
    values = entry[field]
    if not isinstance(values, list) or not all(
        isinstance(v, str) and CODE.match(v) for v in values
    ):
        raise ValueError(f"{where}: {field} must be a list of codes")
    unknown = sorted(set(values) - allowed) if allowed is not None else []
    if unknown:
        raise ValueError(f"{where}: unknown {field} {unknown}; known: {sorted(allowed or ())}")
    return frozenset(values)


def parse_rate_limits(text: str) -> dict[str, tuple[float, float]]:
    """Parse `name:rate:burst,...`: a positive rate and a burst of at least one request."""
    limits = {}
    for item in text.split(","):
        parts = item.strip().split(":")
        if len(parts) != 3 or not NAME.match(parts[0]):
            raise ValueError(f"entry {item.strip()!r} is not name:rate:burst")
        try:
            rate, burst = float(parts[1]), float(parts[2])
        except ValueError:
            raise ValueError(f"entry {item.strip()!r}: rate and burst must be numbers") from None
        if not (rate > 0 and burst >= 1):
            raise ValueError(f"entry {item.strip()!r}: rate must be > 0 and burst ≥ 1")
        limits[parts[0]] = (rate, burst)
    return limits


def parse_api_keys(text: str) -> list[tuple[str, str]]:
    """Parse `name:key,name:key`; refuse short keys, bad names and a key used twice."""
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in text.split(","):
        name, sep, key = item.strip().partition(":")
        if not sep:
            raise ValueError(f"entry {item.strip()!r} is not name:key")
        if not NAME.match(name):
            raise ValueError(f"field-system name {name!r} must be lowercase letters, digits, '-'")
        if len(key) < 16:
            raise ValueError(f"the key of {name!r} is shorter than 16 characters")
        if key in seen:
            raise ValueError(f"the key of {name!r} is used twice")
        seen.add(key)
        pairs.append((name, key))
    return pairs


def parse_role_names(text: str) -> dict[str, str]:
    """Parse `role:provider-name,...` (e.g. `reader:lezer`) into provider name → role."""
    names: dict[str, str] = {}
    for item in text.split(","):
        role, sep, name = item.strip().partition(":")
        if not sep or not name.strip():
            raise ValueError(f"entry {item.strip()!r} is not role:name")
        if role not in ROLES:
            raise ValueError(f"entry {item.strip()!r}: the role is one of {', '.join(ROLES)}")
        names[name.strip()] = role
    return names


def key_names(keys: SecretStr | None) -> dict[str, str]:
    """Key → name of a `name:key,name:key` setting (none when unset)."""
    if keys is None:
        return {}
    return {key: name for name, key in parse_api_keys(keys.get_secret_value())}


def names_of(text: str) -> list[str]:
    """The names of a `name,name` setting."""
    return [name.strip() for name in text.split(",") if name.strip()]
