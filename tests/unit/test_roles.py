"""Who may call what: every operation of the OpenAPI document against every kind of caller,
read from the document itself so that a new endpoint cannot be forgotten; and the dashboard's
session cookie."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from events.registry import load_registries
from service.http.app import build_api
from service.http.auth import SESSION_COOKIE
from service.http.ports import ApiParts
from service.settings import Settings
from tests.roles import FIELD_SYSTEM, check_every_operation
from tests.unit.fakes import FakeLive, FakeWriter, InMemoryTotals

REGISTRIES = load_registries()
KEYS = {
    "field system": "test-key-handhaving-0001",
    "reader": "test-key-reader-0000001",
    "operator": "test-key-operator-00001",
}
# The roles each kind of caller has (None: the API must not know it).
ROLES: dict[str, set[str] | None] = {
    "none": None,
    "unknown key": None,
    "field system": {FIELD_SYSTEM},
    "reader": {"reader"},
    "operator": {"reader", "operator"},
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        api_keys=f"handhaving-app:{KEYS['field system']}",
        reader_keys=f"dashboard:{KEYS['reader']}",
        admin_keys=f"j-jansen:{KEYS['operator']}",
    )

    async def ready() -> bool:
        return True

    parts = ApiParts(InMemoryTotals(), FakeWriter(), FakeLive(), ready)
    with TestClient(build_api(settings, REGISTRIES, parts)) as test_client:
        yield test_client


@pytest.mark.parametrize("caller", list(ROLES))
def test_every_operation_admits_exactly_the_roles_it_declares(
    client: TestClient, caller: str
) -> None:
    key = KEYS.get(caller, "no-such-key-0000000001" if caller == "unknown key" else None)
    seen = check_every_operation(client, key, ROLES[caller])
    readers = [s for s in seen if s[1] in ("/v1/live", "/v1/totals", "/v1/registries", "/metrics")]
    assert len(readers) == 4  # the document does list the read endpoints
    admins = [s for s in seen if s[1].startswith("/v1/admin/")]
    assert len(admins) == 2 and all(status in (401, 403) for *_, status in admins)


def test_health_and_open_data_need_no_sign_in(client: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/", "/openapi.json"):
        assert client.get(path).status_code == 200, path
    assert client.get("/v1/open/totals", params={"year": 2022}).status_code == 200


def test_a_session_carries_the_roles_of_the_key_it_was_made_with(client: TestClient) -> None:
    signed_in = client.post("/auth/session", json={"key": KEYS["reader"]})
    assert signed_in.status_code == 204
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=28800" in cookie
    assert client.get("/auth/session").json() == {"name": "dashboard", "roles": ["reader"]}
    assert client.get("/v1/live", params={"period": "2022"}).status_code == 200
    assert client.post("/v1/years/2022/close").status_code == 403  # a reader
    client.post("/auth/session", json={"key": KEYS["operator"]})
    assert client.get("/auth/session").json()["roles"] == ["operator", "reader"]
    assert client.post("/v1/years/2022/close").status_code == 201
    assert client.delete("/auth/session").status_code == 204
    client.cookies.clear()
    assert client.get("/v1/live", params={"period": "2022"}).status_code == 401


def test_no_session_from_a_field_system_key_an_unknown_one_or_a_forged_cookie(
    client: TestClient,
) -> None:
    assert client.post("/auth/session", json={"key": KEYS["field system"]}).status_code == 403
    assert client.post("/auth/session", json={"key": "guessed-0000000000001"}).status_code == 401
    assert client.post("/auth/session", json={}).status_code == 400
    client.cookies.set(SESSION_COOKIE, "eyJuYW1lIjoieCIsInJvbGVzIjpbIm9wZXJhdG9yIl19.forged")
    refused = client.get("/v1/live", params={"period": "2022"})
    assert refused.status_code == 401 and "sign in again" in refused.json()["detail"]


def test_a_session_expires(client: TestClient) -> None:
    client.post("/auth/session", json={"key": KEYS["reader"]})
    client.app.state.auth.session_seconds = -1  # type: ignore[attr-defined]
    assert client.get("/v1/live", params={"period": "2022"}).status_code == 401


def test_a_session_ends_when_its_key_is_taken_away(tmp_path: Path) -> None:
    """With one session secret across restarts, a session made with a key that is no longer
    configured is refused."""

    async def ready() -> bool:
        return True

    def api(readers: str) -> TestClient:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=tmp_path,
            reader_keys=readers,
            session_secret="the-same-secret-000000001",
        )
        parts = ApiParts(InMemoryTotals(), FakeWriter(), FakeLive(), ready)
        return TestClient(build_api(settings, REGISTRIES, parts))

    before = api(f"dashboard:{KEYS['reader']},wall:test-key-wall-screen-01")
    before.post("/auth/session", json={"key": KEYS["reader"]})
    cookie = before.cookies[SESSION_COOKIE]
    after = api("wall:test-key-wall-screen-01")  # restarted without the dashboard's key
    after.cookies.set(SESSION_COOKIE, cookie)
    assert after.get("/v1/live", params={"period": "2022"}).status_code == 401
    again = api(f"dashboard:{KEYS['reader']}")
    again.cookies.set(SESSION_COOKIE, cookie)
    assert again.get("/v1/live", params={"period": "2022"}).status_code == 200
