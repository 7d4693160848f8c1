"""Signing in with the municipality's identity provider: a real OpenID Connect provider
(tests/idp.py) beside a worker and an API as processes on the real broker. Its access tokens
get exactly the roles they carry on every operation of the OpenAPI document, and no more;
tokens that are expired, from another issuer, for another audience or signed with a key it
does not publish are refused; a person signs in on the dashboard in Chromium through the
provider's own pages (authorization code flow with PKCE)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import Browser, Page, expect

from service.settings import Settings
from tests.e2e.dashboard import Stack, cell, report_today, running_stack, screenshot, status
from tests.idp import Idp, identity_provider
from tests.openapi_checks import config, failures
from tests.roles import check_every_operation
from tests.support import READER

pytestmark = pytest.mark.e2e
ALL = {"reader", "operator", "admin"}


@pytest.fixture(scope="module")
def api_port() -> int:
    from tests.support import free_port

    return free_port()


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory, api_port: int) -> Iterator[Idp]:
    callback = f"http://127.0.0.1:{api_port}/auth/oidc/callback"
    with identity_provider(tmp_path_factory.mktemp("idp"), [callback]) as provider:
        yield provider


@pytest.fixture
def stack(settings: Settings, tmp_path: Path, idp: Idp, api_port: int) -> Iterator[Stack]:
    with_provider = settings.model_copy(update={"api_port": api_port, **idp.settings()})
    with running_stack(with_provider, tmp_path) as stack:
        yield stack


def test_provider_tokens_get_exactly_the_roles_they_carry(stack: Stack, idp: Idp) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    callers: dict[str, tuple[str, set[str] | None]] = {
        "reader": (idp.token("reader-app"), {"reader"}),
        "operator": (idp.token("operator-app"), {"reader", "operator"}),
        "admin": (idp.token("admin-app"), ALL),
        "no role": (idp.token("roleless-app"), set()),
        "expired": (idp.signed({"exp": int(time.time()) - 3600, "roles": ["admin"]}), None),
        "another issuer": (idp.token("admin-app", issuer=idp.stranger), None),
        "another audience": (idp.signed({"exp": int(time.time()) + 300, "aud": "x"}), None),
        "unknown key": (idp.signed({"exp": int(time.time()) + 300}, key=stranger), None),
    }
    with httpx.Client(base_url=stack.base, timeout=30) as client:
        for name, (token, roles) in callers.items():
            seen = check_every_operation(client, token, roles, name)  # tokens send no events
            assert {"/v1/live", "/v1/admin/settings", "/v1/events"} <= {p for _, p, _ in seen}
        refused = client.get(
            "/v1/live", params={"period": "2022"}, headers=bearer(callers["expired"][0])
        )
        assert refused.json()["detail"] == "the token has expired"
        assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        stranger_token = callers["another issuer"][0]
        refused = client.get("/v1/live", params={"period": "2022"}, headers=bearer(stranger_token))
        assert refused.json()["detail"] == "the token is from another issuer"
        metrics = client.get("/metrics", headers=READER).text
        for reason in ("expired", "issuer", "audience", "key"):
            counted = rf'sign_in_failures_total\{{credential="token",reason="{reason}"\}} [1-9]'
            assert re.search(counted, metrics), reason


def test_an_admin_sees_the_field_systems_and_the_settings_with_secrets_masked(
    stack: Stack, idp: Idp
) -> None:
    admin = bearer(idp.token("admin-app"))
    with httpx.Client(base_url=stack.base, timeout=30) as client:
        systems = client.get("/v1/admin/field-systems", headers=admin).json()
        assert [s["name"] for s in systems] == ["handhaving-app", "schade-app", "zaken-app"]
        assert all(re.fullmatch(r"sha256:[0-9a-f]{12}", k) for s in systems for k in s["keys"])
        shown = client.get("/v1/admin/settings", headers=admin).json()
        assert shown["WIJKWACHT_OIDC_ISSUER"] == idp.issuer
        for secret in ("OIDC_CLIENT_SECRET", "API_KEYS", "READER_KEYS", "SESSION_SECRET"):
            assert shown[f"WIJKWACHT_{secret}"] == "**********", secret
        operator = bearer(idp.token("operator-app"))
        assert client.get("/v1/admin/settings", headers=operator).status_code == 403


@pytest.mark.timeout(300)
@pytest.mark.parametrize("client", ["admin-app", "reader-app"])
def test_the_running_api_answers_a_provider_token_as_its_openapi_document_says(
    stack: Stack, idp: Idp, client: str
) -> None:
    """Schemathesis, every check, against the API process with the identity provider's token:
    the admin's (every operation open to it) and a reader's (the admin's refused)."""
    headers = {"Authorization": f"Bearer {idp.token(client)}"}
    schema = schemathesis.openapi.from_url(f"{stack.base}/openapi.json", config=config(headers))
    found = sorted(set(failures(schema)))
    assert found == [], f"{len(found)} kinds of failure:\n" + "\n".join(found)


def test_a_person_signs_in_at_the_provider_reads_live_and_cannot_close_a_year(
    stack: Stack, page: Page, browser: Browser, tmp_path: Path
) -> None:
    page.goto(f"{stack.base}/?scope=day&kind=handhavingsmelding")
    expect(page.locator("#signin")).to_be_visible(timeout=30_000)
    expect(page.locator("main")).to_be_hidden()
    provider = page.locator("#signin-provider-link")
    expect(provider).to_be_focused()
    screenshot(page, tmp_path, "sign-in-with-provider.png")
    provider.click()
    at_provider(page, "lies-lezer")
    expect(status(page)).to_have_attribute("data-state", "live", timeout=30_000)
    assert page.url.endswith("/?scope=day&kind=handhavingsmelding")  # back where they were
    stack.post(report_today("OIDC-1", wijk="dorp", category="afval"))
    expect(cell(page, "dorp", "afval")).to_have_text("1", timeout=60_000)
    session = {c["name"]: c for c in page.context.cookies()}["wijkwacht_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert "wijkwacht_oidc" not in {c["name"] for c in page.context.cookies()}  # used up
    assert fetch_status(page, "POST", "/v1/years/2022/close") == 403  # a reader
    assert fetch_status(page, "GET", "/v1/admin/settings") == 403
    page.click("#signout")
    expect(page.locator("#signin")).to_be_visible(timeout=10_000)
    assert fetch_status(page, "GET", "/v1/registries") == 401

    admin = browser.new_page(locale="nl-NL")  # another person, in a browser of their own
    try:
        admin.goto(f"{stack.base}/")
        admin.click("#signin-provider-link")
        at_provider(admin, "anne-admin")
        expect(status(admin)).to_have_attribute("data-state", "live", timeout=30_000)
        assert fetch_status(admin, "GET", "/v1/admin/settings") == 200
        assert fetch_status(admin, "POST", "/v1/years/2021/close") == 201  # admins operate too
    finally:
        admin.close()


def test_a_person_without_a_role_is_told_so_and_sees_nothing(stack: Stack, page: Page) -> None:
    page.goto(f"{stack.base}/")
    page.click("#signin-provider-link")
    at_provider(page, "someone-else")
    expect(page.locator("#signin-provider-error")).to_have_text(
        "Uw account heeft geen rol voor Wijkwacht; vraag die aan bij de beheerder."
    )
    expect(page.locator("main")).to_be_hidden()
    assert "signin_error" not in page.url
    assert fetch_status(page, "GET", "/v1/registries") == 401


def at_provider(page: Page, login: str) -> None:
    """Sign in on the provider's own pages, as a person does, and consent."""
    page.locator("input[name=login]").fill(login, timeout=30_000)
    page.locator("input[name=password]").fill("any password will do here")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click(timeout=30_000)  # consent


def fetch_status(page: Page, method: str, path: str) -> int:
    status: int = page.evaluate(
        "async ([method, path]) => (await fetch(path, {method})).status", [method, path]
    )
    return status


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}
