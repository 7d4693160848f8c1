"""The topics Wijkwacht creates keep records as long as the settings say (AVG): the input as
long as a replay needs it (forever unless set), dead letters 30 days unless set; a topic that
exists with weaker settings is refused with one line naming the setting."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from service.kafka.errors import TopicError
from service.kafka.topics import Topics
from service.settings import Settings
from tests.integration.kafka_util import client_options, ensure

pytestmark = pytest.mark.integration


async def _retention(settings: Settings, topics: list[str]) -> dict[str, str]:
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in topics]
        found = {}
        for response in await admin.describe_configs(resources):
            for _, _, _, name, entries in response.resources:
                found[name] = next(e[1] for e in entries if e[0] == "retention.ms")
        return found
    finally:
        await admin.close()


DAY = 86_400_000  # milliseconds


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ({}, ("-1", str(30 * DAY))),
        (
            {"input_retention_days": 400, "dead_letter_retention_days": 7},
            (str(400 * DAY), str(7 * DAY)),
        ),
    ],
    ids=["defaults", "set"],
)
def test_topics_are_created_with_their_retention(
    settings: Settings, days: dict[str, int], expected: tuple[str, str]
) -> None:
    settings = settings.model_copy(update=days)
    ensure(settings)
    topics = Topics(settings.namespace)
    inputs = [topics.input(name) for name in settings.field_systems]
    found = asyncio.run(_retention(settings, [*inputs, topics.dlq]))
    assert {found[name] for name in inputs} == {expected[0]}
    assert found[topics.dlq] == expected[1]


def test_a_topic_that_exists_with_weaker_settings_is_reported_naming_the_setting(
    settings: Settings,
) -> None:
    """The state topic made by someone else without compaction: a worker would lose state
    when Kafka deletes old segments. Wijkwacht refuses to run on it, with one line."""
    topics = Topics(settings.namespace)

    async def create_uncompacted() -> None:
        admin = AIOKafkaAdminClient(**client_options(settings))
        await admin.start()
        try:
            await admin.create_topics(
                [NewTopic(topics.state, settings.topic_partitions, 1, topic_configs={})]
            )
        finally:
            await admin.close()

    asyncio.run(create_uncompacted())
    with pytest.raises(TopicError) as refused:
        ensure(settings)
    assert str(refused.value) == (
        f"topic {topics.state} exists with weaker settings: cleanup.policy=delete, the state "
        "must be compacted"
    )
