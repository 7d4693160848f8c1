"""The HTTP API over in-memory fakes (tests/unit/fakes.py): every refusal a field system or
operator can meet (400, 401, 403, 409, 413, 415, 422, 503), what is written and what is not,
the live and yearly reads, and the API's metrics. The real Kafka path is covered by
tests/integration/test_api_kafka.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from events.registry import load_registries
from service.domain.counting import Cell, CellKey
from service.domain.figures import Figures
from service.http.app import build_api
from service.http.ports import ApiParts
from service.settings import Settings
from storage.repository import YearCell
from tests import factories
from tests.unit.fakes import FakeLive, FakeWriter, InMemoryTotals, UnreachableTotals

REGISTRIES = load_registries()
FIELD_KEY = "test-key-handhaving-0001"
OPERATOR_KEY = "test-key-operator-00001"
READER_KEY = "test-key-reader-0000001"
READER = {"authorization": f"Bearer {READER_KEY}"}
SINGLE = {"content-type": "application/cloudevents+json", "authorization": f"Bearer {FIELD_KEY}"}
BATCH = {**SINGLE, "content-type": "application/cloudevents-batch+json"}
PROBLEM = "application/problem+json"


@dataclass
class Api:
    client: TestClient
    writer: FakeWriter
    live: FakeLive
    repository: InMemoryTotals
    kafka_up: list[bool]


def start(tmp_path: Path, repository: InMemoryTotals | None = None, **settings: object) -> Api:
    writer, live, kafka_up = FakeWriter(), FakeLive(), [True]
    repository = repository or InMemoryTotals()

    async def kafka_ready() -> bool:
        return kafka_up[0]

    values = {
        "data_dir": tmp_path,
        "api_keys": f"handhaving-app:{FIELD_KEY}",
        "admin_keys": f"j-jansen:{OPERATOR_KEY}",
        "reader_keys": f"dashboard:{READER_KEY}",
        **settings,
    }
    config = Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]
    parts = ApiParts(repository=repository, writer=writer, live=live, kafka_ready=kafka_ready)
    client = TestClient(build_api(config, REGISTRIES, parts))
    return Api(client, writer, live, repository, kafka_up)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    started = start(tmp_path)
    with started.client:
        yield started


def post(api: Api, body: object, headers: dict[str, str] = BATCH) -> dict[str, object]:
    response = api.client.post("/v1/events", content=json.dumps(body), headers=headers)
    return {"status": response.status_code, "type": response.headers["content-type"],
            "body": response.json(), "headers": response.headers}  # fmt: skip


def test_202_writes_each_event_once_and_counts_repeats_as_duplicates(api: Api) -> None:
    a, b = factories.report("HH-1"), factories.report("HH-2")
    answer = post(api, [a, b, a])
    assert answer["status"] == 202
    assert answer["body"] == {"accepted": 2, "duplicates": 1, "ids": [a["id"], b["id"], a["id"]]}
    assert [e.id for e in api.writer.written] == [a["id"], b["id"]]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-known-key-at-all", f"Basic {FIELD_KEY}", "Bearer "],
)
def test_401_without_a_known_key_writes_nothing(api: Api, authorization: str | None) -> None:
    headers = {"content-type": "application/cloudevents+json"}
    if authorization is not None:
        headers["authorization"] = authorization
    answer = post(api, factories.report(), headers)
    assert answer["status"] == 401 and answer["type"] == PROBLEM
    assert answer["headers"]["www-authenticate"] == "Bearer"  # type: ignore[index]
    assert api.writer.written == []


def test_403_for_a_source_of_another_field_system(api: Api) -> None:
    answer = post(api, [factories.report(), factories.camera_incident()])
    assert answer["status"] == 403 and answer["type"] == PROBLEM
    assert answer["body"]["detail"].startswith("events [1] have a source of another")  # type: ignore[index]
    assert api.writer.written == []


def test_413_for_a_body_over_the_limit_and_a_batch_over_1000(tmp_path: Path) -> None:
    small = start(tmp_path, max_body_bytes=2048)
    with small.client:
        response = small.client.post("/v1/events", content=b" " * 4096, headers=SINGLE)
        assert response.status_code == 413 and "2048" in response.json()["detail"]
    api = start(tmp_path)
    with api.client:
        answer = post(api, [factories.report(f"HH-{n}") for n in range(1001)])
    assert answer["status"] == 413 and "1001" in answer["body"]["detail"]  # type: ignore[index]
    assert small.writer.written == api.writer.written == []


def test_415_for_another_content_type(api: Api) -> None:
    answer = post(api, factories.report(), {**SINGLE, "content-type": "application/json"})
    assert answer["status"] == 415 and answer["type"] == PROBLEM
    assert api.writer.written == []


def test_422_names_each_invalid_event_and_field_and_writes_nothing(api: Api) -> None:
    good, bad = factories.report("HH-1"), factories.report("HH-2", wijk="atlantis")
    answer = post(api, [good, bad])
    assert answer["status"] == 422 and answer["type"] == PROBLEM
    errors = answer["body"]["errors"]  # type: ignore[index]
    assert [(e["index"], e["id"], e["field"]) for e in errors] == [(1, bad["id"], "data.wijk")]
    assert "unknown code 'atlantis'" in errors[0]["message"]
    assert api.writer.written == []


def test_503_when_kafka_does_not_acknowledge_and_readyz_says_why(api: Api) -> None:
    api.writer.available, api.kafka_up[0] = False, False
    answer = post(api, factories.report(), SINGLE)
    assert answer["status"] == 503 and answer["type"] == PROBLEM
    assert api.writer.written == []
    ready = api.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["checks"] == {"store": True, "kafka": False}
    api.writer.available, api.kafka_up[0] = True, True
    assert post(api, factories.report(), SINGLE)["status"] == 202
    assert api.client.get("/readyz").json()["status"] == "ready"


def test_503_when_the_store_is_down(tmp_path: Path) -> None:
    api = start(tmp_path, UnreachableTotals())
    with api.client:
        totals = api.client.get("/v1/totals", params={"year": 2022}, headers=READER)
        closing = api.client.post(
            "/v1/years/2022/close", headers={"authorization": f"Bearer {OPERATOR_KEY}"}
        )
        ready = api.client.get("/readyz")
    assert totals.status_code == 503 and totals.headers["content-type"] == PROBLEM
    assert closing.status_code == 503
    assert ready.status_code == 503 and ready.json()["checks"] == {"store": False, "kafka": True}


def test_400_for_malformed_queries(api: Api) -> None:
    period = api.client.get(
        "/v1/live", params={"scope": "month", "period": "2022-13"}, headers=READER
    )
    assert period.status_code == 400
    assert period.json()["detail"] == "period: '2022-13' is not a month like 2022-12"
    group = api.client.get(
        "/v1/totals", params={"year": 2022, "group_by": "kind,team"}, headers=READER
    )
    assert group.status_code == 400 and "cannot group by team" in group.json()["detail"]
    scope = api.client.get("/v1/live", params={"scope": "decade"}, headers=READER)
    assert scope.status_code == 400 and scope.headers["content-type"] == PROBLEM


def test_live_rows_come_from_the_live_view_summed_over_partitions(api: Api) -> None:
    where = CellKey("jaarwisselingsschade", "verharding", "dorp", "year", "2022")
    api.live.aggregates.apply(0, where, Cell(Figures(2, 500, 100), {"": 7}))
    api.live.aggregates.apply(3, where, Cell(Figures(1, 250, 0), {"": 4}))
    api.live.behind = {"0": 5, "3": 0}
    body = api.client.get(
        "/v1/live", params={"scope": "year", "period": "2022"}, headers=READER
    ).json()
    assert body["rows"] == [
        {
            "kind": "jaarwisselingsschade",
            "category": "verharding",
            "wijk": "dorp",
            "count": 3,
            "amount_cents": 750,
            "illegal_fireworks_cents": 100,
        }
    ]
    assert body["as_of"]["events_behind"] == 5


def test_totals_show_cases_and_keep_small_sensitive_numbers_from_readers(api: Api) -> None:
    case = ("geluid", "buytenwegh-de-leyens", 2022)
    api.repository.upsert(
        [
            YearCell(0, "huiselijkgeweld", "politie", "dorp", 2022, 3, 0, 0, 1),
            YearCell(0, "huiselijkgeweld", "politie", "meerzicht", 2022, 40, 0, 0, 1),
            YearCell(0, "huiselijkgeweld", "politie", "palenstein", 2022, 12, 0, 0, 1),
            YearCell(0, "handhavingsmelding", "afval", "dorp", 2022, 1, 0, 0, 1),
            YearCell(0, "woonoverlast", *case, 30, 0, 0, 1, "corporatie"),
            YearCell(0, "woonoverlast.afgerond", *case, 10, 0, 0, 1, "corporatie"),
            YearCell(0, "woonoverlast.afgerond.eigen-jaar", *case, 10, 0, 0, 1, "corporatie"),
            YearCell(0, "woonoverlast", "geluid", "dorp", 2022, 2, 0, 0, 1, "koop"),
        ]
    )
    query = {"year": 2022, "group_by": "kind,wijk,housing"}
    operator = {"authorization": f"Bearer {OPERATOR_KEY}"}
    seen = api.client.get("/v1/totals", params=query, headers=operator).json()
    assert (seen["threshold"], seen["suppressed_rows"]) == (None, 0)
    assert len(seen["rows"]) == 4  # no case cells among the incidents' rows
    assert [(r["wijk"], r["housing"], r["registered"], r["closed"], r["open"], r["stock"])
            for r in seen["cases"]["rows"]] == [
        ("buytenwegh-de-leyens", "corporatie", 30, 10, 20, 20),
        ("dorp", "koop", 2, 0, 2, 2),
    ]  # fmt: skip
    assert seen["cases"]["total"] == {"registered": 32, "closed": 10, "open": 22, "stock": 22}

    read = api.client.get("/v1/totals", params=query, headers=READER).json()
    assert (read["threshold"], read["suppressed_rows"]) == (5, 2)
    # 3 in Dorp is hidden, and Palenstein's 12 with it: the kind's total would give it away
    assert [(r["kind"], r["wijk"]) for r in read["rows"]] == [
        ("handhavingsmelding", "dorp"),  # not sensitive: 1 is shown
        ("huiselijkgeweld", "meerzicht"),
    ]
    assert read["cases"]["rows"] == [] and read["cases"]["suppressed_rows"] == 2
    assert read["cases"]["total"] == seen["cases"]["total"]
    small = api.client.get(
        "/v1/totals", params={**query, "wijk": "dorp", "kind": "woonoverlast"}, headers=READER
    ).json()
    assert small["cases"]["total"] is None


def test_live_rows_of_sensitive_kinds_keep_small_numbers_from_readers(api: Api) -> None:
    from service.http.routers.live import LiveQuery

    day = ("day", "2022-05-01")
    for wijk, count in (("dorp", 2), ("meerzicht", 9), ("palenstein", 7)):
        where = CellKey("huiselijkgeweld", "politie", wijk, *day)
        api.live.aggregates.apply(0, where, Cell(Figures(count, 0, 0), {"": count}))
    seen = {
        who: [
            r["wijk"]
            for r in api.client.get(
                "/v1/live", params={"scope": "day", "period": day[1]}, headers=headers
            ).json()["rows"]
        ]
        for who, headers in (
            ("reader", READER),
            ("operator", {"authorization": f"Bearer {OPERATOR_KEY}"}),
        )
    }
    assert seen == {"reader": ["meerzicht"], "operator": ["dorp", "meerzicht", "palenstein"]}
    # The stream carries them to operators only; readers read them above.
    where = CellKey("huiselijkgeweld", "politie", "meerzicht", *day)
    assert not LiveQuery(*day, None, None, None, threshold=5).wants(where)
    assert LiveQuery(*day, None, None, None, threshold=None).wants(where)


def test_totals_compare_and_closing_a_year_by_an_operator(api: Api) -> None:
    for year, count in ((2021, 4), (2022, 5)):
        api.repository.upsert(
            [YearCell(0, "handhavingsmelding", "afval", "dorp", year, count, 0, 0, 1)]
        )
    totals = api.client.get(
        "/v1/totals", params={"year": 2022, "group_by": "kind"}, headers=READER
    ).json()
    assert totals["rows"] == [
        {"kind": "handhavingsmelding", "category": None, "wijk": None, "count": 5,
         "amount_cents": 0, "illegal_fireworks_cents": 0}
    ]  # fmt: skip
    compared = api.client.get(
        "/v1/totals/compare", params={"year": 2022, "base": 2021}, headers=READER
    ).json()
    assert compared["rows"][0]["difference"]["count"] == 1
    assert compared["rows"][0]["change_percent"]["count"] == 25.0
    anonymous = api.client.post("/v1/years/2022/close")
    field_system = api.client.post(
        "/v1/years/2022/close", headers={"authorization": f"Bearer {FIELD_KEY}"}
    )
    reader = api.client.post("/v1/years/2022/close", headers=READER)
    assert anonymous.status_code == 401  # who are you?
    assert (field_system.status_code, reader.status_code) == (403, 403)  # not an operator
    operator = {"authorization": f"Bearer {OPERATOR_KEY}"}
    closed = api.client.post("/v1/years/2022/close", headers=operator)
    assert closed.status_code == 201 and closed.json()["closed_by"] == "j-jansen"
    again = api.client.post("/v1/years/2022/close", headers=operator)
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM


def _samples(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = api.client.get("/metrics", headers=READER).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_count_what_happened_to_each_request(api: Api) -> None:
    before = _samples(api)
    a = factories.report("HH-M")
    post(api, [a, a])
    post(api, [factories.report("HH-X", wijk="atlantis")])
    post(api, factories.report(), {"content-type": "application/cloudevents+json"})
    api.live.measured = replace(api.live.measured, dead_letters=3)
    after = _samples(api)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    kind = "handhavingsmelding"
    assert grew("wijkwacht_events_accepted_total", kind=kind) == 1
    assert grew("wijkwacht_events_duplicate_total", kind=kind) == 1
    assert grew("wijkwacht_events_rejected_total", kind=kind, field="data") == 1
    assert grew("wijkwacht_requests_rejected_total", reason="invalid") == 1
    assert grew("wijkwacht_requests_rejected_total", reason="unauthorized") == 1
    assert after[("wijkwacht_dead_letters", ())] == 3


def test_failed_sign_ins_are_counted_and_logged_without_the_key(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    before = _samples(api)
    guess = "guessed-key-0000000000001"
    unknown = {**SINGLE, "authorization": f"Bearer {guess}"}
    assert post(api, factories.report(), unknown)["status"] == 401
    assert post(api, factories.report(), {"content-type": SINGLE["content-type"]})["status"] == 401
    closing = api.client.post("/v1/years/2022/close", headers={"authorization": f"Bearer {guess}"})
    assert closing.status_code == 401
    after = _samples(api)

    def grew(credential: str, reason: str) -> float:
        key = (
            "wijkwacht_sign_in_failures_total",
            (("credential", credential), ("reason", reason)),
        )
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("field-system", "unknown") == 1
    assert grew("field-system", "missing") == 1
    assert grew("operator", "unknown") == 1
    failures = [r.getMessage() for r in caplog.records if "sign-in failed" in r.getMessage()]
    assert failures == [
        "sign-in failed: unknown field-system key from testclient",
        "sign-in failed: missing field-system key from testclient",
        "sign-in failed: unknown operator key from testclient",
    ]
    assert all(guess not in record.getMessage() for record in caplog.records)


def test_422_for_times_outside_the_window_of_the_servers_clock(tmp_path: Path) -> None:
    """The issue's reproduction: a time in the year 9999 was accepted (202)."""
    from datetime import UTC, datetime, timedelta

    api = start(tmp_path, future_margin_seconds=3600)
    soon = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    with api.client:
        far = post(api, [factories.report("HH-1", occurred_at="9999-12-31T23:59:59+00:00")])
        ahead = post(api, [factories.report("HH-2", occurred_at=later)])
        early = post(api, [factories.report("HH-3") | {"time": "1999-12-31T23:00:00Z"}])
        fine = post(api, [factories.report("HH-4", occurred_at=soon)])
    for answer, field in ((far, "data.occurred_at"), (ahead, "data.occurred_at"), (early, "time")):
        assert answer["status"] == 422, answer
        assert [e["field"] for e in answer["body"]["errors"]] == [field]  # type: ignore[index]
    assert "3600 s after the server's clock" in ahead["body"]["errors"][0]["message"]  # type: ignore[index]
    assert fine["status"] == 202
    assert [e.subject for e in api.writer.written] == ["HH-4"]


def test_readyz_is_degraded_but_200_when_the_pipeline_needs_an_operator(api: Api) -> None:
    assert api.client.get("/readyz").json()["pipeline"]["problems"] == []
    api.live.measured = replace(api.live.measured, workers=0, lag_growing=True)
    api.live.behind = {"0": 1200}
    api.repository.quarantine([])  # nothing new: still none
    ready = api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    assert ready.json()["pipeline"]["problems"] == [
        "Verwerking staat stil: er draait geen worker",
        "Achterstand groeit: 1.200 gebeurtenissen nog niet verwerkt",
    ]
    samples = _samples(api)
    assert samples[("wijkwacht_workers", ())] == 0
    assert samples[("wijkwacht_consumer_lag_growing", ())] == 1


def test_every_answer_carries_the_security_headers(api: Api) -> None:
    answers = [
        api.client.get("/"),
        api.client.get("/openapi.json"),
        api.client.get("/v1/live", params={"period": "2022"}, headers=READER),
        api.client.post("/v1/events", content=b"{}", headers={"content-type": "text/plain"}),
        api.client.get("/no/such/page"),
    ]
    for answer in answers:
        assert answer.headers["content-security-policy"].startswith("default-src 'self'")
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
    assert [a.status_code for a in answers] == [200, 200, 200, 401, 404]


def test_the_interactive_docs_only_in_development(api: Api, tmp_path: Path) -> None:
    assert api.client.get("/docs").status_code == 404  # production, the default
    development = start(tmp_path, env="development")
    with development.client:
        docs = development.client.get("/docs")
    assert docs.status_code == 200 and "content-security-policy" not in docs.headers


def test_the_default_body_limit_holds_a_full_batch_of_the_largest_events(tmp_path: Path) -> None:
    from tests.chaos.test_faults import edge_events

    largest = max(edge_events(1), key=lambda e: len(json.dumps(e)))
    now = datetime.now(UTC).isoformat()  # the API refuses times far after its clock
    batch = [{**largest, "id": f"{n:04d}" + "\\" * 124, "time": now} for n in range(1000)]
    body = json.dumps(batch, indent=2).encode()
    system = largest["source"].rsplit(":", 1)[1]
    api = start(tmp_path, api_keys=f"{system}:{FIELD_KEY}")
    with api.client:
        answer = api.client.post("/v1/events", content=body, headers=BATCH)
    assert answer.status_code == 202, answer.text[:300]
    assert len(body) < Settings.model_fields["max_body_bytes"].default


def test_live_streams_beyond_the_cap_get_503_with_retry_after(tmp_path: Path) -> None:
    api = start(tmp_path, sse_max_subscribers=2)
    held = [api.live.subscribe(), api.live.subscribe()]  # two dashboards already watching
    with api.client:
        refused = api.client.get("/v1/live/stream", params={"period": "2022"}, headers=READER)
    assert refused.status_code == 503 and refused.headers["retry-after"] == "10"
    assert refused.headers["content-type"] == PROBLEM
    assert len(held) == api.live.subscriber_count == 2


def test_one_credential_holds_at_most_its_share_of_live_streams(tmp_path: Path) -> None:
    api = start(tmp_path, sse_max_per_credential=1, reader_keys=f"wall:{READER_KEY}")
    streams = api.client.app.state.streams  # type: ignore[attr-defined]
    assert streams.open("wall")  # a wall screen watching already
    with api.client:
        refused = api.client.get("/v1/live/stream", params={"period": "2022"}, headers=READER)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "10"
        assert "'wall' has 1 live streams open" in refused.json()["detail"]
        operator = {"authorization": f"Bearer {OPERATOR_KEY}"}  # another credential
        with api.client.stream(
            "GET", "/v1/live/stream", params={"period": "2022"}, headers=operator
        ) as other:
            assert other.status_code == 200
    streams.close("wall")
    assert streams.open("wall")


def test_a_field_system_over_its_rate_limit_gets_429_with_retry_after(tmp_path: Path) -> None:
    api = start(tmp_path, rate_limits="handhaving-app:0.5:2")
    with api.client:
        answers = [post(api, factories.report(f"RL-{n}"), SINGLE) for n in range(3)]
    assert [a["status"] for a in answers] == [202, 202, 429]
    assert answers[2]["headers"]["retry-after"] == "2"  # type: ignore[index]
    assert answers[2]["type"] == PROBLEM
    assert len(api.writer.written) == 2


def test_405_says_which_methods_are_allowed(api: Api) -> None:
    answer = api.client.delete("/v1/totals", params={"year": 2022})
    assert answer.status_code == 405 and answer.headers["content-type"] == PROBLEM
    assert answer.headers["allow"] == "GET"


def test_open_data_needs_no_sign_in_and_hides_small_numbers(api: Api) -> None:
    for category, count in (("afval", 12), ("horeca", 3)):
        api.repository.upsert(
            [YearCell(0, "handhavingsmelding", category, "dorp", 2022, count, 0, 0, 1)]
        )
    body = api.client.get("/v1/open/totals", params={"year": 2022}).json()
    assert body["threshold"] == 5 and body["month"] is None
    assert [(r["category"], r["count"], r["amount_cents"]) for r in body["rows"]] == [
        ("afval", 12, 0),
        ("horeca", "<5", None),
    ]
    assert body["kinds"] == [
        {
            "kind": "handhavingsmelding",
            "count": 12,
            "amount_cents": 0,
            "illegal_fireworks_cents": 0,
            "suppressed_rows": 1,
        }
    ]


def test_open_data_per_month_comes_from_the_live_view(tmp_path: Path) -> None:
    api = start(tmp_path, open_data_threshold=3)
    june = CellKey("jaarwisselingsschade", "verharding", "dorp", "month", "2022-06")
    july = CellKey("jaarwisselingsschade", "verharding", "dorp", "month", "2022-07")
    august = CellKey("jaarwisselingsschade", "verharding", "dorp", "month", "2022-08")
    api.live.aggregates.apply(0, june, Cell(Figures(2, 500, 100), {"": 7}))
    api.live.aggregates.apply(0, july, Cell(Figures(4, 800, 0), {"": 9}))
    api.live.aggregates.apply(0, august, Cell(Figures(9, 900, 0), {"": 11}))

    def shown(month: int) -> list[tuple[object, object]]:
        body = api.client.get("/v1/open/totals", params={"year": 2022, "month": month}).json()
        assert body["threshold"] == 3
        return [(r["count"], r["amount_cents"]) for r in body["rows"]]

    assert shown(6) == [("<3", None)]
    # July is not small, but the year less July and August would give June away: the
    # smallest month beside it is suppressed too.
    assert shown(7) == [("<3", None)]
    assert shown(8) == [(9, 900)]
    refused = api.client.get("/v1/open/totals", params={"year": 2022, "month": 13})
    assert refused.status_code == 400 and "month" in refused.json()["detail"]


def test_keys_rotate_through_the_key_file_without_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only hashes in the file; the new key added beside the old, then the old removed, each
    taking effect at the next request; a broken file leaves the keys that worked."""
    from service.http import keyring
    from service.settings.credentials import key_hash

    monkeypatch.setattr(keyring, "CHECK_SECONDS", 0.0)
    old, new = "old-key-handhaving-000001", "new-key-handhaving-000002"
    path = tmp_path / "keys.toml"

    def holds(*keys: str) -> None:
        listed = ", ".join(f'"{key_hash(k)}"' for k in keys)
        path.write_text(f'[handhaving-app]\nkeys = [{listed}]\nkinds = ["handhavingsmelding"]\n')

    holds(old)
    api = start(tmp_path, api_keys=None, api_keys_file=path)
    assert old not in path.read_text()

    def status(key: str, subject: str) -> object:
        headers = {**BATCH, "authorization": f"Bearer {key}"}
        return post(api, [factories.report(subject)], headers)["status"]

    assert (status(old, "R-1"), status(new, "R-2")) == (202, 401)
    holds(old, new)
    assert (status(old, "R-3"), status(new, "R-4")) == (202, 202)
    holds(new)
    assert (status(old, "R-5"), status(new, "R-6")) == (401, 202)
    path.write_text("[handhaving-app]\nkeys = 'not a list'\n")  # a slip while editing
    assert status(new, "R-7") == 202
    damage = factories.damage("JW-1") | {"source": factories.report()["source"]}
    refused = post(api, [damage], {**BATCH, "authorization": f"Bearer {new}"})
    assert refused["status"] == 403  # handhaving-app may report enforcement only


def test_live_cases_open_now_and_the_periods_flows(api: Api) -> None:
    from service.domain.cases import Case, Opening, Status, cell_deltas
    from tests.unit.test_case_figures import at

    def case(name: str, wijk: str, housing: str, closed: str | None) -> Case:
        statuses = {}
        if closed is not None:
            statuses["s"] = Status(f"{name}-s", 1, "s", at(closed), "afgerond", True, "opgelost")
        opening = Opening(name, 1, at("2022-03-01T10:00"), wijk, housing, "geluid")
        return Case(opening, statuses)

    cases = [case(f"A{n}", "dorp", "koop", None) for n in range(6)]
    cases += [case(f"B{n}", "dorp", "koop", "2022-03-02T10:00") for n in range(5)]
    cases += [case(f"C{n}", "meerzicht", "corporatie", None) for n in range(3)]
    cases += [case(f"D{n}", "noordhove", "particuliere-huur", None) for n in range(3)]
    totals: dict[CellKey, int] = {}
    for one in cases:
        for where, delta in cell_deltas(None, one).items():
            totals[where] = totals.get(where, 0) + delta.count
    for where, count in totals.items():
        api.live.aggregates.apply(0, where, Cell(Figures(count, 0, 0), {"": 1}))
    params = {"scope": "week", "period": "2022-W09"}  # 1 March 2022 is in week 9
    operator = {"authorization": f"Bearer {OPERATOR_KEY}"}
    seen = api.client.get("/v1/cases", params=params, headers=operator).json()
    assert [(r["wijk"], r["housing"], r["category"], r["open"], r["open_at_end"],
             r["registered"], r["closed"]) for r in seen["rows"]] == [
        ("dorp", "koop", "geluid", 6, 6, 11, 5),
        ("meerzicht", "corporatie", "geluid", 3, 3, 3, 0),
        ("noordhove", "particuliere-huur", "geluid", 3, 3, 3, 0),
    ]  # fmt: skip
    # At the end of the week before, none of them was registered yet.
    before = api.client.get(
        "/v1/cases", params={"scope": "week", "period": "2022-W08"}, headers=operator
    ).json()
    assert [(r["open"], r["open_at_end"], r["registered"]) for r in before["rows"]] == [
        (6, 0, 0), (3, 0, 0), (3, 0, 0)
    ]  # fmt: skip
    # The day after the closings: five fewer open at its end.
    day = api.client.get(
        "/v1/cases", params={"scope": "day", "period": "2022-03-02"}, headers=operator
    ).json()
    assert day["rows"][0]["open_at_end"] == 6 and day["rows"][0]["closed"] == 5
    read = api.client.get("/v1/cases", params=params, headers=READER).json()
    assert (read["threshold"], read["suppressed_rows"]) == (5, 2)
    assert [r["wijk"] for r in read["rows"]] == ["dorp"]
    assert api.client.get("/v1/cases").status_code == 401
    for scope, period in (("year", "0000"), ("week", "2022-W53"), ("day", "2022-02-30")):
        wrong = api.client.get(
            "/v1/cases", params={"scope": scope, "period": period}, headers=READER
        )
        assert wrong.status_code == 400, (period, wrong.text)
        assert f"period: '{period}' is no {scope} that exists" in wrong.json()["detail"]
