"""What the fault tests (tests/chaos, tests/cluster) read and compare: the live aggregates over
HTTP, and a wait for them, or the store, to equal the reference, with the difference said."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.support import READER, wait_until

SCOPES = ("year", "month", "week", "day")


def live(api: str, scope: str, period: str) -> dict[tuple[str, ...], tuple[int, int, int]]:
    response = httpx.get(
        f"{api}/v1/live", headers=READER, params={"scope": scope, "period": period}, timeout=10
    )
    response.raise_for_status()
    return {
        (r["kind"], r["category"], r["wijk"], period): (
            r["count"],
            r["amount_cents"],
            r["illegal_fireworks_cents"],
        )
        for r in response.json()["rows"]
    }


def mismatch(expected: dict[Any, Any], found: dict[Any, Any]) -> str:
    keys = sorted(set(expected) | set(found))
    diff = [f"{k}: want {expected.get(k)} got {found.get(k)}" for k in keys]
    return "; ".join(d for d, k in zip(diff, keys, strict=True) if expected.get(k) != found.get(k))


def check_equal(
    what: str, expected: dict[Any, Any], read: Callable[[], dict[Any, Any]], timeout: float
) -> None:
    found: dict[Any, Any] = {}

    def probe() -> bool:
        nonlocal found
        try:
            found = read()
        except (httpx.HTTPError, OSError):
            return False
        return found == expected

    try:
        wait_until(probe, timeout=timeout, interval=0.5, what=what)
    except AssertionError:
        raise AssertionError(f"{what} differs: {mismatch(expected, found)}") from None
