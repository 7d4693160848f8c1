"""A real OpenID Connect provider for the tests: tests/idp/server.mjs (oidc-provider, OpenID
Certified, on the machine's Node.js) as a subprocess on loopback, issuing real signed tokens
over HTTP with a JWKS endpoint. It serves two issuers: the one the API trusts, and a stranger
with keys of its own, whose tokens the API must refuse.

People sign in on its development login page with any password and get the roles PEOPLE gives
their login; machines get JWT access tokens by the client-credentials grant with the roles
MACHINES gives their client. The tests also hold the trusted issuer's private key, to make
tokens it would never issue (expired ones) signed as it signs."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from pydantic import SecretStr

from tests.support import die_with_parent, free_port

SERVER = Path(__file__).resolve().parent / "idp" / "server.mjs"
AUDIENCE = "https://wijkwacht.test/api"
DASHBOARD = "wijkwacht-dashboard"  # the API's client, which signs people in
SECRET = "a-client-secret-for-the-tests-0001"
PEOPLE = {"lies-lezer": ["reader"], "olaf-operator": ["operator"], "anne-admin": ["admin"]}
MACHINES = {
    "reader-app": ["reader"],
    "operator-app": ["operator"],
    "admin-app": ["admin"],
    "roleless-app": [],
}


@dataclass
class Idp:
    issuer: str
    stranger: str  # another issuer, which the API does not trust
    private_key: rsa.RSAPrivateKey
    kid: str

    def token(self, client: str, issuer: str | None = None, audience: str = AUDIENCE) -> str:
        """An access token for `audience`, by the client-credentials grant."""
        answer = httpx.post(
            f"{issuer or self.issuer}/token",
            data={"grant_type": "client_credentials", "resource": audience, "scope": "roles"},
            auth=(client, SECRET),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    def signed(self, claims: dict[str, Any], key: rsa.RSAPrivateKey | None = None) -> str:
        """A token made here, signed with the issuer's own key (or `key`, unknown to it)."""
        now = int(time.time())
        body = {"iss": self.issuer, "aud": AUDIENCE, "sub": "made-up", "iat": now, **claims}
        kid = self.kid if key is None else f"unknown-{uuid.uuid4().hex[:8]}"
        return jwt.encode(body, key or self.private_key, algorithm="RS256", headers={"kid": kid})

    def settings(self) -> dict[str, Any]:
        """The API's WIJKWACHT_OIDC_* settings for this provider."""
        return {
            "oidc_issuer": self.issuer,
            "oidc_client_id": DASHBOARD,
            "oidc_client_secret": SecretStr(SECRET),
            "oidc_audience": AUDIENCE,
            "oidc_scopes": "openid profile roles",
        }


def _issuer(
    port: int, redirect_uris: list[str], key: rsa.RSAPrivateKey, kid: str
) -> dict[str, Any]:
    jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    jwk.update(kid=kid, alg="RS256", use="sig")
    machine = {"client_secret": SECRET, "grant_types": ["client_credentials"]}
    return {
        "port": port,
        "keys": [jwk],
        "cookieKey": uuid.uuid4().hex,
        "rolesClaim": "roles",
        "audience": AUDIENCE,
        "people": PEOPLE,
        "machines": MACHINES,
        "clients": [
            {
                "client_id": DASHBOARD,
                "client_secret": SECRET,
                "redirect_uris": redirect_uris,
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            },
            *(
                {"client_id": name, **machine, "response_types": [], "redirect_uris": []}
                for name in MACHINES
            ),
        ],
    }


@contextmanager
def identity_provider(workdir: Path, redirect_uris: list[str]) -> Iterator[Idp]:
    """Both issuers running; `redirect_uris` are where the dashboard client may be sent back."""
    node = shutil.which("node")
    if node is None or not (SERVER.parent / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("node and tests/idp/node_modules are missing: `make idp` installs them")
    workdir.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ports = free_port(), free_port()
    config = {
        "providers": [
            _issuer(ports[0], redirect_uris, key, "trusted-1"),
            _issuer(
                ports[1],
                [],
                rsa.generate_private_key(public_exponent=65537, key_size=2048),
                "stranger-1",
            ),
        ]
    }
    (workdir / "idp.json").write_text(json.dumps(config))
    log = (workdir / "idp.log").open("w")
    process = subprocess.Popen(
        [node, str(SERVER), str(workdir / "idp.json")],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent,
    )
    try:
        issuers = [f"http://127.0.0.1:{port}" for port in ports]
        deadline = time.monotonic() + 30
        while (workdir / "idp.log").read_text().count("ready ") < 2:
            assert process.poll() is None, (workdir / "idp.log").read_text()
            assert time.monotonic() < deadline, "the identity provider did not start"
            time.sleep(0.1)
        yield Idp(issuers[0], issuers[1], key, "trusted-1")
    finally:
        process.terminate()
        process.wait(10)
        log.close()
