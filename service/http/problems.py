"""RFC 9457 problem details: the one place HTTP error bodies are made."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.errors = errors
        self.headers = headers

    def response(self, instance: str) -> JSONResponse:
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        return JSONResponse(body, self.status, headers=self.headers, media_type=PROBLEM_JSON)


class ProblemError(BaseModel):
    """One fault: `index` and `id` name the event of a body (422), `field` the place."""

    index: int | None = None
    id: str | None = None
    field: str
    message: str


class ProblemBody(BaseModel):
    """The body of every error answer, RFC 9457 (only for the OpenAPI document: the bodies
    are made by Problem.response)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemError] | None = None


def answers(*problems: tuple[int, str] | tuple[int, str, dict[str, str]]) -> dict[int | str, Any]:
    """OpenAPI responses of a route's error answers: (status, when[, {header: about}]) each,
    as problem documents; every header named is always sent with that status."""
    documented: dict[int | str, Any] = {}
    for status, when, *more in problems:
        headers = more[0] if more else {}
        documented[status] = {
            "description": when,
            "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
            "headers": {
                name: {"description": about, "required": True, "schema": {"type": "string"}}
                for name, about in headers.items()
            },
        }
    return documented


# Answers that many routes share.
BAD_QUERY = (400, "A parameter is malformed or not one the document allows")
UNAUTHORIZED = (
    401,
    "No key, or an unknown key",
    {"WWW-Authenticate": "Always `Bearer`"},
)
FORBIDDEN_ROLE = (403, "The credential is known but lacks the role this needs")
STORE_DOWN = (503, "The store is unavailable")
