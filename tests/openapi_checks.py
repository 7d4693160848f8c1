"""Schemathesis with every check, as the tests run it: against the API in-process
(tests/unit/test_openapi.py) and as a process with the identity provider's tokens
(tests/e2e/test_sign_in.py). The same seed and allowances for both."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

# Schemathesis's default lists of the statuses that reject (schema-invalid requests) and
# accept (schema-valid ones), each with one addition below.
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def config(headers: dict[str, str]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 20240101,  # derandomised: the same requests on every run
            "headers": headers,
            # /v1/live/stream never ends by itself: schemathesis keeps its first event (the
            # snapshot, sent at once: the fake live view has caught up) and lets it go.
            "max-stream-events": 1,
            "request-timeout": 10,
            "generation": {"max-examples": 50, "deterministic": True, "database": "none"},
            "checks": {
                "enabled": True,
                # 413 refuses a batch over maxItems (1,000 events) as the document says:
                # a refusal, which schemathesis's default list lacks.
                "negative_data_rejection": {"expected-statuses": [*REJECTED, "413"]},
            },
            "operations": [
                {
                    "include-path": "/v1/events",
                    # The one allowance: an event that fits its JSON Schema may still break a
                    # rule no JSON Schema can state (a time within the window of the server's
                    # clock, a code of this municipality's registries, a camera active on the
                    # day); the document says so under 422. Every other refusal still fails.
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}
                    },
                },
                # The other allowance: OpenAPI cannot say that `period`'s form depends on
                # `scope` (scope=week takes 2022-W52, not 2022-12), nor that 2022-02-30 is no
                # day (/v1/series' `until`); the parameter's description and the 400 say so.
                *(
                    {
                        "include-path": path,
                        "checks": {
                            "positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}
                        },
                    }
                    for path in ("/v1/live", "/v1/live/stream", "/v1/series", "/v1/cases")
                ),
            ],
        }
    )


def failures(schema: Any) -> Iterator[str]:
    """Every failure of every check, one line each, running `schema`'s operations."""
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    if node.failure_info is not None:
                        failure = node.failure_info.failure
                        yield (
                            f"{event.recorder.label}: {node.name}: {failure.title}: "
                            + (failure.message.replace("\n", " | ")[:1500])
                        )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            yield f"error: {event!r}"
        elif isinstance(event, events.EngineFinished):
            yield from (f"after run: {f.title}: {f.message}" for f in event.failures)
