"""Authority on the direct path, on the secured broker with the production ACLs: a field system
producing straight to Kafka, signed in as itself, counts its own incidents and cannot count,
revise or withdraw another system's, whatever `source` it writes."""

from __future__ import annotations

import pytest
from aiokafka.errors import TopicAuthorizationFailedError

from events.binding import to_kafka
from events.models import parse_event
from events.registry import load_registries
from service.kafka.topics import Topics
from service.settings import Settings
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.repository import SqlTotalsRepository
from tests import factories
from tests.integration.kafka_util import produce, read_all
from tests.support import Process, wait_until

pytestmark = pytest.mark.integration
REGISTRIES = load_registries()
CAMERA, HANDHAVING = "camera-app", "handhaving-app"


def binary(event: dict) -> tuple[bytes, bytes, list]:
    return to_kafka(parse_event(event, REGISTRIES))


def test_a_record_claiming_another_systems_source_is_dead_lettered_and_counts_nowhere(
    settings: Settings, worker: Process
) -> None:
    topics = Topics(settings.namespace)
    # handhaving-app reports an incident in its own topic.
    produce(settings, topics.input(HANDHAVING), [binary(factories.report("HH-1"))], HANDHAVING)
    # camera-app reports its own incident, then poses as handhaving-app in its own topic:
    # a new incident, a revision to another category and a withdrawal of HH-1.
    posing = [
        binary(factories.report("HH-2", category="horeca")),
        binary(factories.report("HH-1", revision=2, category="horeca")),
        binary(factories.withdrawal("HH-1", revision=3)),
    ]
    own = binary(factories.camera_incident("CAM-1", category="geweld"))
    produce(settings, topics.input(CAMERA), [own, *posing], CAMERA)
    # ... and it cannot write handhaving-app's topic at all.
    with pytest.raises(TopicAuthorizationFailedError):
        produce(settings, topics.input(HANDHAVING), posing, CAMERA)

    upgrade(settings.store_url)
    repository = SqlTotalsRepository(make_engine(settings.store_url))

    def totals() -> dict | None:
        rows = {
            (r.kind, r.category): r.count
            for r in repository.totals(year=2022, group_by=["kind", "category"])
        }
        return rows if len(rows) == 2 else None

    assert wait_until(totals, timeout=60, what="both incidents stored") == {
        ("handhavingsmelding", "afval"): 1,  # HH-1 as handhaving-app reported it
        ("cameraincident", "geweld"): 1,
    }
    dead = wait_until(
        lambda: r if len(r := read_all(settings, topics.dlq)) >= 3 else None,
        timeout=30,
        what="three dead letters",
    )
    assert sorted(r.value for r in dead) == sorted(value for _, value, _ in posing)
    for record in dead:
        headers = dict(record.headers)
        assert headers["wijkwacht-error"] == b"forbidden-source"
        detail = headers["wijkwacht-error-detail"].decode()
        assert detail.startswith("source: ") and f"field system {CAMERA}" in detail
    assert totals() == {("handhavingsmelding", "afval"): 1, ("cameraincident", "geweld"): 1}
    assert worker.alive()
