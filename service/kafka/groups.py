"""Consumer groups as the admin API describes them: who is in a group, and where it stands."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError


async def group_members(admin: AIOKafkaAdminClient, group: str, *, attempts: int = 1) -> int:
    """How many members a consumer group has now: 0 for an empty, dead or unknown group."""
    for attempt in range(attempts):  # a new cluster creates its group coordinator lazily
        try:
            described = await admin.describe_consumer_groups([group])
            break
        except GroupCoordinatorNotAvailableError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)
    members = 0
    for response in described:
        for entry in response.groups:
            # (error_code, group_id, state, protocol_type, protocol, members, ...)
            if entry[2] not in ("Empty", "Dead", ""):
                # a group rebalancing may list no member yet: someone is joining
                members += max(len(entry[5]), 1)
    return members
