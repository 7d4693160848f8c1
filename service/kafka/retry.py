"""Small helpers for long-running Kafka clients: is the broker there, and keep a loop alive."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError

log = logging.getLogger(__name__)
T = TypeVar("T")


async def kafka_answers(
    client_options: dict[str, Any], *, quiet: bool = False, seconds: float = 3.0
) -> bool:
    """Whether a broker answers a metadata request within `seconds`; `client_options` say
    where it is and how to connect (`KafkaConfig.client_options()`).

    `quiet` silences aiokafka's connection errors while asking (a broker that is starting)."""
    if quiet:
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    admin = AIOKafkaAdminClient(**client_options, request_timeout_ms=int(seconds * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout=seconds)
        await asyncio.wait_for(admin.list_topics(), timeout=seconds)
    except Exception:
        return False
    finally:
        await admin.close()
        if quiet:
            logging.getLogger("aiokafka").setLevel(logging.NOTSET)
    return True


async def when_kafka_answers(where: str, step: Callable[[], Awaitable[T]]) -> T:
    """Run `step` once the broker at `where` answers: a process that starts while Kafka
    is down (or restarting) waits for it, saying so, instead of failing."""
    delay = 0.5
    while True:
        try:
            return await step()
        except KafkaConnectionError:
            log.warning("Kafka at %s does not answer; retrying in %.1fs", where, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 15.0)


async def keep_running(what: str, step: Callable[[], Awaitable[None]]) -> None:
    """Run `step` until cancelled; when it fails (broker or store away), log, back off
    exponentially up to 15 s, and run it again."""
    delay = 0.5
    while True:
        try:
            await step()
            delay = 0.5
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s: %s; retrying in %.1fs", what, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 15.0)
