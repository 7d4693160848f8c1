"""Who may call what, read from the OpenAPI document itself so that a new endpoint cannot be
forgotten: each operation's security requirements give the least role it needs, and a caller
with some roles must get through (neither 401 nor 403), be refused as unknown (401) or be
refused for lacking the role (403). Used against the API in-process with keys
(tests/unit/test_roles.py) and as a process with the identity provider's tokens
(tests/e2e/test_sign_in.py)."""

from __future__ import annotations

from typing import Any

import httpx

EXAMPLES = {"year": "2022", "base": "2021", "period": "2022", "scope": "year"}
FIELD_SYSTEM = "field system"
# The least role an operation needs, by the scheme the weakest of its callers use.
LEAST = (("fieldSystemKey", FIELD_SYSTEM), ("readerKey", "reader"), ("operatorKey", "operator"))


def operations(client: httpx.Client) -> list[tuple[str, str, dict[str, Any]]]:
    document = client.get("/openapi.json").json()
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def needs(operation: dict[str, Any]) -> str | None:
    """The role an operation needs (None: open to everyone). Operations only a session or a
    provider's token may call are the admin's."""
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    if not schemes:
        return None
    return next((role for scheme, role in LEAST if scheme in schemes), "admin")


def call(
    client: httpx.Client, method: str, path: str, operation: dict[str, Any], bearer: str | None
) -> int:
    url = path.replace("{year}", "2022")
    params = {
        p["name"]: EXAMPLES[p["name"]]
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p["name"] in EXAMPLES
    }
    headers = {"authorization": f"Bearer {bearer}"} if bearer else {}
    if path.endswith("/stream"):  # answers headers at once, then streams forever
        with client.stream(method, url, params=params, headers=headers) as response:
            return response.status_code
    return client.request(method, url, params=params, headers=headers).status_code


def check_every_operation(
    client: httpx.Client, bearer: str | None, roles: set[str] | None, caller: str = ""
) -> list[tuple[str, str, int]]:
    """Call every operation with `bearer`, a credential with `roles` (None: one the API must
    not know); assert each answer, and return them."""
    seen = []
    for method, path, operation in operations(client):
        if path.startswith("/auth/oidc/"):  # browser redirects, not calls (test_sign_in.py)
            continue
        status = call(client, method, path, operation, bearer)
        seen.append((method, path, status))
        role = needs(operation)
        if role is None or (roles is not None and role in roles):
            assert status not in (401, 403), (caller, method, path, status)
        elif roles is None:
            assert status == 401, (caller, method, path, status)
        else:
            assert status == 403, (caller, method, path, status)
    return seen
