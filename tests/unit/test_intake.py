import json

import pytest

from events.registry import load_registries
from service.http.intake import field_system_for, parse_body, validate_events
from service.http.problems import Problem
from tests import factories

SINGLE = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
KEYS = {"0123456789abcdef": "handhaving-app"}


def status(call: object, *args: object) -> Problem:
    with pytest.raises(Problem) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def test_bearer_key_names_the_field_system() -> None:
    assert field_system_for("Bearer 0123456789abcdef", KEYS) == "handhaving-app"
    assert status(field_system_for, None, KEYS).status == 401
    assert status(field_system_for, "Bearer nope", KEYS).status == 401
    assert status(field_system_for, "Basic 0123456789abcdef", KEYS).status == 401


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
    problem = status(validate_events, [good, bad, "x"], registries, "handhaving-app")
    assert problem.status == 422
    assert [(e["index"], e["field"]) for e in problem.errors or []] == [(1, "data.wijk"), (2, "")]
    assert problem.errors and problem.errors[0]["id"] == bad["id"]


def test_source_of_another_field_system_is_403() -> None:
    registries = load_registries()
    problem = status(validate_events, [factories.camera_incident()], registries, "handhaving-app")
    assert problem.status == 403
