"""The municipality's identity provider (OpenID Connect), as the API uses it.

Two uses of one provider:

- Bearer JWTs: access tokens for this API, which a machine or another application brings.
  PyJWT checks them against the provider's published keys (JWKS): signature, issuer, audience,
  expiry. The keys are cached; a token naming a key the cache lacks makes it fetch them again,
  at most once per `REFETCH_SECONDS`, so made-up key ids cannot make the API hammer the
  provider.
- People signing in on the dashboard: the authorization code flow with PKCE, run by the API (a
  backend-for-frontend). The browser never holds a token, only the session cookie it gets at
  the end (service/http/routers/session.py).

Roles come from a claim of the token (or of the provider's userinfo when the ID token leaves
it out), mapped by WIJKWACHT_OIDC_ROLE_NAMES. Everything here is blocking I/O: FastAPI runs
the sync endpoints and dependencies that call it in its thread pool.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from service.settings import Settings
from service.settings.checks import oidc_role_map
from service.settings.credentials import ROLES

log = logging.getLogger(__name__)

# Signatures a provider may use; never `none` nor a shared-secret HMAC, which anyone holding
# the client secret could forge.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]
LEEWAY_SECONDS = 30  # clocks of the API and the provider may differ this much
METADATA_SECONDS = 3600  # how long the provider's discovery document is kept
KEYS_SECONDS = 300  # how long its JWKS is kept
REFETCH_SECONDS = 30  # at most one JWKS fetch per this for a key id the cache lacks
TIMEOUT_SECONDS = 10


class TokenRefused(Exception):
    """A token that signs nobody in; `reason` is a short code for logs and metrics."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class ProviderUnavailable(Exception):
    """The identity provider could not be asked (down, or not answering as OIDC says)."""


@dataclass(frozen=True, slots=True)
class Person:
    """Who a token or a sign-in names, and their Wijkwacht roles."""

    name: str
    roles: frozenset[str]


@dataclass(frozen=True, slots=True)
class Pending:
    """What the API remembers (in a signed cookie) between sending a person to the provider
    and their coming back: to check the answer is to this request, and where to go then."""

    state: str
    nonce: str
    verifier: str
    next: str


def implied(roles: set[str]) -> frozenset[str]:
    """Each role with the ones it includes: an operator reads, an admin operates."""
    granted = set(roles)
    for rank, role in enumerate(ROLES):
        if role in roles:
            granted |= set(ROLES[:rank])
    return frozenset(granted)


class IdentityProvider:
    def __init__(self, settings: Settings, http: httpx.Client | None = None) -> None:
        assert settings.oidc_issuer is not None and settings.oidc_client_id is not None
        self.issuer = settings.oidc_issuer
        self.client_id = settings.oidc_client_id
        secret = settings.oidc_client_secret
        self._client_secret = secret.get_secret_value() if secret is not None else None
        self.audience = settings.oidc_audience or settings.oidc_client_id
        self._claim = settings.oidc_roles_claim.split(".")
        self._role_map = oidc_role_map(settings)
        self._scopes = settings.oidc_scopes
        self._http = http or httpx.Client(timeout=TIMEOUT_SECONDS)
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: jwt.PyJWKClient | None = None
        self._refetched_at = -float(REFETCH_SECONDS)

    # ---- the provider's metadata and keys ----

    def metadata(self) -> dict[str, Any]:
        """The discovery document (cached); ProviderUnavailable when it cannot be had."""
        with self._lock:
            if self._metadata is None or time.monotonic() - self._metadata_at > METADATA_SECONDS:
                self._metadata = self._discover()
                self._metadata_at = time.monotonic()
                self._keys = jwt.PyJWKClient(
                    self._metadata["jwks_uri"], lifespan=KEYS_SECONDS, timeout=TIMEOUT_SECONDS
                )
            return self._metadata

    def _discover(self) -> dict[str, Any]:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = self._http.get(url)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(f"{url}: {exc}") from None
        if document.get("issuer") != self.issuer:
            raise ProviderUnavailable(
                f"{url} names issuer {document.get('issuer')!r}, not WIJKWACHT_OIDC_ISSUER "
                f"{self.issuer!r}"
            )
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(field), str):
                raise ProviderUnavailable(f"{url} has no {field}")
        return document

    def _signing_key(self, token: str, kid: str | None) -> jwt.PyJWK:
        self.metadata()
        assert self._keys is not None
        try:
            key = self._keys.match_kid(self._keys.get_signing_keys(), kid) if kid else None
            if key is None and time.monotonic() - self._refetched_at >= REFETCH_SECONDS:
                # A key the cache lacks may be new (the provider rotated): ask once more.
                self._refetched_at = time.monotonic()
                keys = self._keys.get_signing_keys(refresh=True)
                key = self._keys.match_kid(keys, kid) if kid else None
        except jwt.PyJWKClientConnectionError as exc:
            raise ProviderUnavailable(f"the provider's keys: {exc}") from None
        except jwt.PyJWKClientError as exc:
            raise TokenRefused("key", f"the provider's keys cannot be used: {exc}") from None
        if key is None:
            raise TokenRefused(
                "key", "the token is signed with a key the provider does not publish"
            )
        return key

    # ---- tokens ----

    def verify(self, token: str, audience: str, nonce: str | None = None) -> dict[str, Any]:
        """The claims of a token the provider signed for `audience`; TokenRefused otherwise."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            raise TokenRefused("malformed", "the token is not a JWT") from None
        if header.get("alg") not in ALGORITHMS:
            raise TokenRefused("algorithm", f"tokens signed with {header.get('alg')!r} are refused")
        if unverified.get("iss") != self.issuer:  # before fetching keys for a stranger's token
            raise TokenRefused("issuer", "the token is from another issuer")
        key = self._signing_key(token, header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRefused("expired", "the token has expired") from None
        except jwt.InvalidAudienceError:
            raise TokenRefused("audience", "the token is not meant for this API") from None
        except jwt.InvalidSignatureError:
            raise TokenRefused("signature", "the token's signature is not valid") from None
        except jwt.InvalidTokenError as exc:
            raise TokenRefused("invalid", f"the token is not valid: {exc}") from None
        if nonce is not None and not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise TokenRefused("nonce", "the ID token answers another sign-in")
        return claims

    def of_access_token(self, token: str) -> Person:
        """Who a bearer access token for this API names."""
        return self._person(self.verify(token, self.audience))

    def _person(self, claims: dict[str, Any]) -> Person:
        name = claims.get("preferred_username") or claims.get("name") or claims["sub"]
        return Person(str(name), self.roles(claims))

    def roles(self, claims: dict[str, Any]) -> frozenset[str]:
        """The Wijkwacht roles the roles claim grants (none if it is missing)."""
        value: Any = claims
        for part in self._claim:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str):
            value = value.split()
        if not isinstance(value, list):
            return frozenset()
        return implied({self._role_map[v] for v in value if v in self._role_map})

    def _has_roles_claim(self, claims: dict[str, Any]) -> bool:
        value: Any = claims
        for part in self._claim:
            if not isinstance(value, dict) or part not in value:
                return False
            value = value[part]
        return True

    # ---- a person's sign-in (authorization code flow with PKCE) ----

    def begin(self, redirect_uri: str, next_path: str) -> tuple[str, Pending]:
        """Where to send the person, and what to remember until they come back."""
        pending = Pending(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            verifier=secrets.token_urlsafe(48),
            next=next_path,
        )
        challenge = hashlib.sha256(pending.verifier.encode()).digest()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": self._scopes,
                "state": pending.state,
                "nonce": pending.nonce,
                "code_challenge": base64.urlsafe_b64encode(challenge).rstrip(b"=").decode(),
                "code_challenge_method": "S256",
            }
        )
        return f"{self.metadata()['authorization_endpoint']}?{query}", pending

    def finish(self, pending: Pending, code: str, redirect_uri: str) -> Person:
        """The person a code names: exchanged for tokens, the ID token checked."""
        metadata = self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pending.verifier,
        }
        if self._client_secret is None:
            form["client_id"] = self.client_id  # a public client: PKCE is its proof
            secret: dict[str, Any] = {}
        else:
            secret = {"auth": (self.client_id, self._client_secret)}
        try:
            response = self._http.post(metadata["token_endpoint"], data=form, **secret)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"the token endpoint: {exc}") from None
        if response.status_code != 200:
            log.warning(
                "the provider refused the code: %s %s", response.status_code, response.text[:200]
            )
            raise TokenRefused("code", "the identity provider did not accept the sign-in")
        tokens = response.json()
        if not isinstance(tokens.get("id_token"), str):
            raise TokenRefused("code", "the identity provider sent no ID token")
        claims = self.verify(tokens["id_token"], self.client_id, nonce=pending.nonce)
        if not self._has_roles_claim(claims) and metadata.get("userinfo_endpoint"):
            claims = {**claims, **self._userinfo(metadata, tokens, claims["sub"])}
        return self._person(claims)

    def _userinfo(
        self, metadata: dict[str, Any], tokens: dict[str, Any], subject: str
    ) -> dict[str, Any]:
        """The person's claims from the userinfo endpoint, when the ID token leaves the roles
        out (OIDC Core puts scope claims there for the code flow)."""
        try:
            response = self._http.get(
                metadata["userinfo_endpoint"],
                headers={"authorization": f"Bearer {tokens.get('access_token', '')}"},
            )
            response.raise_for_status()
            info: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(f"the userinfo endpoint: {exc}") from None
        if info.get("sub") != subject:  # OIDC Core 5.3.2: else it may be someone else's
            raise TokenRefused("userinfo", "the provider's userinfo names another person")
        return info
