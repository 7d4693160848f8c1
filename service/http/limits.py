"""Rate limits per field system: a token bucket each, so that one system sending too much
cannot crowd out the others (429 with Retry-After)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    """`rate` requests a second on average, up to `burst` at once."""

    rate: float
    burst: float
    tokens: float
    at: float

    def take(self, now: float) -> float:
        """0 if a request may go now (and count it), else the seconds until one may."""
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class RateLimiter:
    """A bucket per field system, made on its first request; `limits` overrides the default
    (rate, burst) for some systems."""

    def __init__(
        self,
        rate: float,
        burst: float,
        limits: dict[str, tuple[float, float]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._default = (rate, burst)
        self._limits = limits or {}
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def retry_after(self, field_system: str) -> int:
        """0 if `field_system` may send now, else whole seconds to wait (for Retry-After)."""
        now = self._clock()
        bucket = self._buckets.get(field_system)
        if bucket is None:
            rate, burst = self._limits.get(field_system, self._default)
            bucket = self._buckets[field_system] = TokenBucket(rate, burst, burst, now)
        wait = bucket.take(now)
        return 0 if wait == 0 else max(1, math.ceil(wait))


class StreamCounts:
    """Open live streams per credential, so that one credential (a wall screen's key shared
    too widely, a script in a loop) cannot take every place of the API's total."""

    def __init__(self, per_credential: int) -> None:
        self.per_credential = per_credential
        self._open: dict[str, int] = {}

    def open(self, name: str) -> bool:
        """Take a place for `name`; False when it holds its maximum already."""
        if self._open.get(name, 0) >= self.per_credential:
            return False
        self._open[name] = self._open.get(name, 0) + 1
        return True

    def close(self, name: str) -> None:
        left = self._open.get(name, 0) - 1
        if left > 0:
            self._open[name] = left
        else:
            self._open.pop(name, None)
