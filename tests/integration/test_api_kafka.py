"""POST /v1/events against the real broker: what is written, and what is not."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.bootstrap import Wiring
from service.kafka.topics import Topics
from service.settings import Settings
from tests import factories
from tests.integration.kafka_util import ensure, read_all
from tests.support import READER, free_port

pytestmark = pytest.mark.integration
KEY = {"Authorization": "Bearer test-key-handhaving-0001"}
SINGLE = {"content-type": "application/cloudevents+json", **KEY}
BATCH = {"content-type": "application/cloudevents-batch+json", **KEY}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    ensure(settings)
    with TestClient(Wiring(settings).api()) as client:
        yield client


def written(settings: Settings) -> list:
    return read_all(settings, Topics(settings.namespace).input("handhaving-app"))


def test_one_event_is_written_in_binary_mode_keyed_by_incident(
    client: TestClient, settings: Settings
) -> None:
    event = factories.report("HH-42")
    response = client.post("/v1/events", content=json.dumps(event), headers=SINGLE)
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 1, "duplicates": 0, "ids": [event["id"]]}
    [record] = written(settings)
    assert record.key == (event["source"] + "HH-42").encode()
    headers = dict(record.headers)
    assert headers["ce_id"] == event["id"].encode()
    assert headers["ce_type"] == b"nl.wijkwacht.handhavingsmelding.v1"
    assert headers["content-type"] == b"application/json"
    assert json.loads(record.value) == event["data"]


def test_batch_with_a_retry_inside_counts_it_as_duplicate(
    client: TestClient, settings: Settings
) -> None:
    a, b = factories.report("A"), factories.report("B")
    response = client.post("/v1/events", content=json.dumps([a, b, a]), headers=BATCH)
    assert response.status_code == 202
    assert response.json()["accepted"] == 2 and response.json()["duplicates"] == 1
    assert len(written(settings)) == 2


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"content-type": "application/cloudevents+json"}, "{}", 401),
        (
            {
                "content-type": "application/cloudevents+json",
                "Authorization": "Bearer wrong-key-000000",
            },
            "{}",
            401,
        ),
        ({**KEY, "content-type": "application/json"}, "{}", 415),
        (SINGLE, "{not json", 400),
    ],
)
def test_refusals_write_nothing(
    client: TestClient, settings: Settings, headers: dict, body: str, status: int
) -> None:
    response = client.post("/v1/events", content=body, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert written(settings) == []


def test_one_invalid_event_in_a_batch_writes_nothing(
    client: TestClient, settings: Settings
) -> None:
    batch = [factories.report("A"), factories.report("B", category="fietsendiefstal")]
    response = client.post("/v1/events", content=json.dumps(batch), headers=BATCH)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (
        error["index"] == 1 and error["field"] == "data.category" and error["id"] == batch[1]["id"]
    )
    assert written(settings) == []


def test_foreign_source_is_403(client: TestClient, settings: Settings) -> None:
    response = client.post(
        "/v1/events", content=json.dumps(factories.camera_incident()), headers=SINGLE
    )
    assert response.status_code == 403
    assert written(settings) == []


def test_body_over_the_limit_is_413_and_says_the_limit(settings: Settings) -> None:
    small = settings.model_copy(update={"max_body_bytes": 2048})
    with TestClient(Wiring(small).api()) as client:
        response = client.post("/v1/events", content=b" " * 4096, headers=SINGLE)
    assert response.status_code == 413 and "2048" in response.json()["detail"]


def test_kafka_unavailable_is_503(settings: Settings) -> None:
    down = settings.model_copy(update={"kafka_bootstrap": f"127.0.0.1:{free_port()}"})
    with TestClient(Wiring(down).api()) as client:
        response = client.post("/v1/events", content=json.dumps(factories.report()), headers=SINGLE)
        assert response.status_code == 503
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"] == {
            "store": True,
            "kafka": False,
        }


def test_readyz_and_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["checks"] == {"store": True, "kafka": True}


def test_registries_are_served(client: TestClient) -> None:
    body = client.get("/v1/registries", headers=READER).json()
    assert "buytenwegh-de-leyens" in {w["code"] for w in body["wijken"]}
    assert {"verharding", "afvalbakken"} <= {
        c["code"] for c in body["categories"]["jaarwisselingsschade"]
    }
