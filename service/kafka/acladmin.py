"""Applies ACL bindings to any Kafka cluster over Kafka's own admin protocol (DescribeAcls and
CreateAcls, with the request structures aiokafka ships; its admin client has no methods for
them), idempotently: what exists is left, what is missing is created. No JVM: a namespace's
ACLs take milliseconds, so every test namespace gets the production rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest, DescribeAclsRequest

from service.kafka.acl import GROUP, LITERAL, PREFIXED, TOPIC, TRANSACTIONAL_ID, Binding
from service.kafka.errors import KafkaAclError

# Kafka's wire codes (org.apache.kafka.common.acl / resource).
_ANY = 1
_RESOURCE = {TOPIC: 2, GROUP: 3, "cluster": 4, TRANSACTIONAL_ID: 5}
_PATTERN = {LITERAL: 3, PREFIXED: 4}
_OPERATION = {
    "All": 2,
    "Read": 3,
    "Write": 4,
    "Create": 5,
    "Delete": 6,
    "Alter": 7,
    "Describe": 8,
    "ClusterAction": 9,
    "DescribeConfigs": 10,
    "AlterConfigs": 11,
    "IdempotentWrite": 12,
}
_ALLOW = 3
_EVERY_HOST = "*"
_USER = "User:"


def _names(codes: dict[str, int]) -> dict[int, str]:
    return {code: name for name, code in codes.items()}


async def existing_bindings(client: AIOKafkaClient) -> set[Binding]:
    """Every ALLOW binding for a user from any host now on the cluster."""
    request = DescribeAclsRequest(_ANY, None, _ANY, None, None, _ANY, _ANY)
    response = await client.send(client.get_random_node(), request)
    _raise_for(response.error_code, response.error_message, "listing the ACLs")
    kinds, patterns, operations = _names(_RESOURCE), _names(_PATTERN), _names(_OPERATION)
    found: set[Binding] = set()
    for kind, name, pattern, acls in response.resources:
        if kind not in kinds or pattern not in patterns:
            continue
        for principal, host, operation, permission in acls:
            ours = host == _EVERY_HOST and permission == _ALLOW and principal.startswith(_USER)
            if ours and operation in operations:
                user = principal.removeprefix(_USER)
                found.add(
                    Binding(user, kinds[kind], name, patterns[pattern], operations[operation])
                )
    return found


async def create_binding(client: AIOKafkaClient, binding: Binding) -> None:
    request = CreateAclsRequest(
        _RESOURCE[binding.resource_type],
        binding.name,
        _PATTERN[binding.pattern],
        _USER + binding.principal,
        _EVERY_HOST,
        _OPERATION[binding.operation],
        _ALLOW,
    )
    response = await client.send(client.get_random_node(), request)
    for code, message in response.creation_responses:
        _raise_for(code, message, f"adding {binding.line()}")


async def apply_bindings(
    client_options: dict[str, Any], wanted: Sequence[Binding]
) -> tuple[list[Binding], list[Binding]]:
    """Create the missing bindings, signed in with `client_options` (an operator's); returns
    (created, already there). Bindings on the cluster that are not wanted are left alone:
    another system's, or an operator's."""
    client = AIOKafkaClient(**client_options)
    try:
        await client.bootstrap()
        present = await existing_bindings(client)
        missing = [b for b in wanted if b not in present]
        for binding in missing:
            await create_binding(client, binding)
    except KafkaAclError:
        raise
    except Exception as exc:
        raise KafkaAclError(f"applying the ACLs failed: {exc!r}") from exc
    finally:
        await client.close()
    return missing, [b for b in wanted if b in present]


def _raise_for(code: int, message: str | None, what: str) -> None:
    if code:
        reason = message or for_code(code).__name__
        raise KafkaAclError(f"{what} failed: {reason}")
