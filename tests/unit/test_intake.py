import json

import pytest

from events.registry import load_registries
from service.http.intake import parse_body, plain_keys, signed_in, validate_events
from service.http.problems import Problem
from service.settings.credentials import Authority, key_hash
from tests import factories

SINGLE = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
KEYS = {"0123456789abcdef": "handhaving-app"}
HANDHAVING = Authority("handhaving-app", (key_hash("0123456789abcdef"),))


def status(call: object, *args: object) -> Problem:
    with pytest.raises(Problem) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def test_bearer_key_names_the_field_system() -> None:
    find = plain_keys(KEYS)
    assert signed_in("Bearer 0123456789abcdef", find) == "handhaving-app"
    assert status(signed_in, None, find).status == 401
    assert status(signed_in, "Bearer nope", find).status == 401
    assert status(signed_in, "Basic 0123456789abcdef", find).status == 401


def test_content_types() -> None:
    assert status(parse_body, b"{}", "application/json").status == 415
    assert parse_body(b"{}", SINGLE + "; charset=utf-8") == [{}]
    assert parse_body(b"[{}, {}]", BATCH) == [{}, {}]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{", "not valid JSON"),
        (b'{"a": 1, "a": 2}', "duplicate key"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"[" * 100 + b"]" * 100, "nested"),
        (b'{"id": Infinity}', "Infinity is not valid JSON"),
        (b'{"id": NaN}', "NaN is not valid JSON"),
    ],
)
def test_unusable_bodies_are_400(body: bytes, reason: str) -> None:
    problem = status(parse_body, body, SINGLE)
    assert problem.status == 400 and reason in problem.detail


def test_batch_limits() -> None:
    assert status(parse_body, json.dumps([{}] * 1001).encode(), BATCH).status == 413
    assert status(parse_body, b"[]", BATCH).status == 400
    assert status(parse_body, b"{}", BATCH).status == 400


def test_invalid_events_listed_per_index_and_nothing_passes() -> None:
    registries = load_registries()
    good, bad = factories.report("A"), factories.report("B", wijk="atlantis")
    problem = status(validate_events, [good, bad, "x"], registries, HANDHAVING)
    assert problem.status == 422
    assert [(e["index"], e["field"]) for e in problem.errors or []] == [(1, "data.wijk"), (2, "")]
    assert problem.errors and problem.errors[0]["id"] == bad["id"]


def test_source_of_another_field_system_is_403() -> None:
    registries = load_registries()
    problem = status(validate_events, [factories.camera_incident()], registries, HANDHAVING)
    assert problem.status == 403


def test_a_field_system_reports_only_the_kinds_and_cameras_it_may() -> None:
    registries = load_registries()
    cameras = Authority("camera-app", ("sha256:" + "0" * 64,), frozenset({"cameraincident"}))
    narrow = Authority("camera-app", cameras.key_hashes, cameras.kinds, frozenset({"stadshart"}))
    own = factories.camera_incident("CAM-1", camera="buytenwegh")
    assert validate_events([own], registries, cameras)  # any camera of its kind
    problem = status(validate_events, [own], registries, narrow)
    assert problem.status == 403
    assert [(e["index"], e["field"]) for e in problem.errors or []] == [(0, "data.camera")]
    report = factories.report("HH-9") | {"source": own["source"]}
    problem = status(validate_events, [report], registries, cameras)
    assert problem.status == 403
    assert [(e["index"], e["field"]) for e in problem.errors or []] == [(0, "type")]
    withdrawn = factories.withdrawal("CAM-1", revision=2, source=own["source"])
    assert validate_events([withdrawn], registries, narrow)  # its own, whatever the kind
