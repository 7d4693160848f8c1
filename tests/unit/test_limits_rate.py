"""The rate limit per field system: a burst goes through, then the average rate holds."""

from __future__ import annotations

from service.http.limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=50, burst=100, clock=clock)
    assert [limiter.retry_after("handhaving-app") for _ in range(100)] == [0] * 100
    assert limiter.retry_after("handhaving-app") == 1  # the 101st at once waits
    clock.now += 0.1  # five more requests' worth
    assert [limiter.retry_after("handhaving-app") for _ in range(6)] == [0] * 5 + [1]
    assert limiter.retry_after("camera-app") == 0  # every system its own bucket


def test_a_system_can_get_its_own_limit() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=50, burst=100, limits={"schade-app": (0.5, 1)}, clock=clock)
    assert limiter.retry_after("schade-app") == 0
    assert limiter.retry_after("schade-app") == 2  # one request per two seconds
    clock.now += 2
    assert limiter.retry_after("schade-app") == 0
