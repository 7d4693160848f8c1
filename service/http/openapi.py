"""The OpenAPI document, completed where FastAPI cannot see: the event JSON Schemas as the
request bodies of POST /v1/events, the problem document of every error answer, the keys as
security schemes. Integrators generate clients from it; tests/unit/test_openapi.py holds the
API to it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from events.binding import BATCH_CONTENT_TYPE, MAX_BATCH, STRUCTURED_CONTENT_TYPE
from events.models import PAYLOADS
from events.schema import event_schemas
from service.http.problems import ProblemBody

COMPONENTS = "#/components/schemas/"
EVENT_REF = f"{COMPONENTS}Event"
# An HTTP Authorization header, `Bearer <key>`: the scheme name (OpenAPI) of each key kind.
FIELD_SYSTEM_KEY = "fieldSystemKey"
OPERATOR_KEY = "operatorKey"
READER_KEY = "readerKey"
SESSION = "session"
PROVIDER_TOKEN = "providerToken"  # noqa: S105 (a scheme name, not a secret)
# The roles of docs/roles/: who may call an operation, as OpenAPI security requirements (any one
# of them will do). A provider's token and a session carry roles of their own.
Requirements = list[dict[str, list[str]]]
ADMINS: Requirements = [{PROVIDER_TOKEN: []}, {SESSION: []}]
OPERATORS: Requirements = [{OPERATOR_KEY: []}, *ADMINS]
READERS: Requirements = [{READER_KEY: []}, *OPERATORS]
SECURITY_SCHEMES = {
    PROVIDER_TOKEN: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token of the municipality's identity provider "
        "(WIJKWACHT_OIDC_*) for this API's audience; the roles in its roles claim decide",
    },
    READER_KEY: {
        "type": "http",
        "scheme": "bearer",
        "description": "A reader's key (WIJKWACHT_READER_KEYS): dashboards' machines, Prometheus",
    },
    SESSION: {
        "type": "apiKey",
        "in": "cookie",
        "name": "wijkwacht_session",
        "description": "The dashboard's session, from signing in at the identity provider "
        "(GET /auth/oidc/login) or with a reader's or operator's key (POST /auth/session); "
        "its roles are the person's or the key's",
    },
    FIELD_SYSTEM_KEY: {
        "type": "http",
        "scheme": "bearer",
        "description": "A field system's API key (WIJKWACHT_API_KEYS)",
    },
    OPERATOR_KEY: {
        "type": "http",
        "scheme": "bearer",
        "description": "An operator's key (WIJKWACHT_ADMIN_KEYS)",
    },
}


def event_bodies() -> dict[str, Any]:
    """The request body of POST /v1/events per content type: one event, or a batch."""
    return {
        "required": True,
        "content": {
            STRUCTURED_CONTENT_TYPE: {"schema": {"$ref": EVENT_REF}},
            BATCH_CONTENT_TYPE: {
                "schema": {
                    "type": "array",
                    "items": {"$ref": EVENT_REF},
                    "minItems": 1,
                    "maxItems": MAX_BATCH,
                }
            },
        },
    }


def install(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json (made once, on the first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            app.openapi_schema = complete(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _drop_fastapi_validation_errors(document, schemas)
    problem = ProblemBody.model_json_schema(ref_template=COMPONENTS + "{model}")
    schemas.update(_components({**problem, "title": "Problem"}, "Problem"))
    event_refs = []
    for type_, schema in event_schemas().items():
        name = f"{PAYLOADS[type_].__name__}Event"
        schema = {k: v for k, v in schema.items() if k not in ("$schema", "$id")}
        schemas.update(_components(schema, name))
        event_refs.append({"$ref": COMPONENTS + name})
    # Each event type fixes `type` to its own constant: exactly one of them fits an event.
    schemas["Event"] = {"title": "Event", "oneOf": event_refs}
    components["securitySchemes"] = SECURITY_SCHEMES
    return document


def _components(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """`schema` as component `name`, with its `$defs` beside it and its local references
    pointing there."""
    rewritten: dict[str, Any] = _rewrite(schema)
    return {**rewritten.pop("$defs", {}), name: rewritten}


def _rewrite(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (COMPONENTS + v.removeprefix("#/$defs/"))
            if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/")
            else _rewrite(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rewrite(v) for v in value]
    return value


def _drop_fastapi_validation_errors(document: dict[str, Any], schemas: dict[str, Any]) -> None:
    """FastAPI documents a 422 with its own body on every route with parameters; this API
    answers a malformed parameter with a 400 problem (app.py), and 422 only for invalid
    events, which POST /v1/events documents itself."""
    fastapi_422 = f"{COMPONENTS}HTTPValidationError"
    for path in document.get("paths", {}).values():
        for operation in path.values():
            answer = operation.get("responses", {}).get("422", {})
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") == fastapi_422:
                del operation["responses"]["422"]
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
