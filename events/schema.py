"""Published contracts: a JSON Schema per event type and an AsyncAPI 3 document of the topics."""

from __future__ import annotations

from typing import Any

from events.models import PAYLOADS, Envelope

SOURCE_DESCRIPTION = (
    "URI reference ending in :systeem:<name>: letters, digits, -._~!$&'()*+,;=:@/?# and %XX "
    "escapes only (no spaces, no control characters)"
)


def event_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema (draft 2020-12) of the structured-mode CloudEvent of each type: the envelope
    with `type` fixed and `data` the type's payload."""
    schemas = {}
    for type_, payload in PAYLOADS.items():
        schema = Envelope.model_json_schema(mode="validation")
        data = payload.model_json_schema(mode="validation")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"urn:wijkwacht:schema:{type_}"
        schema["title"] = type_
        schema["description"] = (payload.__doc__ or "").strip()
        schema["properties"]["type"] = {"const": type_}
        schema["properties"]["id"]["description"] = "Printable ASCII; unique per message"
        schema["properties"]["source"]["description"] = SOURCE_DESCRIPTION
        schema["properties"]["subject"]["description"] = (
            "The incident's stable id; for a woonoverlast case and each of its statuses, the "
            "case's (e.g. the zaak's identificatie)"
        )
        schema["properties"]["data"] = {"$ref": f"#/$defs/{payload.__name__}"}
        schema["$defs"] = {payload.__name__: data}
        schemas[type_] = schema
    return schemas


def asyncapi(namespace: str = "wijkwacht") -> dict[str, Any]:
    """AsyncAPI 3.0 document of the input, dead-letter and state topics."""
    messages = {
        _message_name(type_): {
            "name": type_,
            "title": schema["title"],
            "contentType": "application/json",
            "headers": _binary_headers(schema),
            "payload": {"$ref": f"./{type_}.schema.json#/$defs/{PAYLOADS[type_].__name__}"},
            "bindings": {"kafka": {"key": {"type": "string", "description": "source + subject"}}},
        }
        for type_, schema in event_schemas().items()
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Wijkwacht topics",
            "version": "1.0.0",
            "description": (
                "CloudEvents 1.0 on Kafka. Input is accepted in binary mode (ce_* headers, "
                "value = data) and structured mode (content-type "
                "application/cloudevents+json); Wijkwacht itself writes binary mode."
            ),
        },
        "defaultContentType": "application/json",
        "channels": {
            "events": {
                "address": f"{namespace}.events.v1.{{fieldSystem}}",
                "description": (
                    "Input: every revision and withdrawal of every incident, and every event of "
                    "every woonoverlast case, one topic per field "
                    "system. A field system producing straight to Kafka signs in as itself and "
                    "may write only its own topic (Kafka ACLs); the API writes there what the "
                    "system posts. Only the system's own incidents count there: a record whose "
                    "source names another field system goes to the dead letters as "
                    "forbidden-source. Key: source + subject, so that every revision of an "
                    "incident, and every event of a case, lands in one partition, in order."
                ),
                "parameters": {
                    "fieldSystem": {
                        "description": (
                            "The field system's name, as at the end of its sources "
                            "(`…:systeem:<name>`): 1 to 63 lowercase letters, digits and '-'."
                        ),
                    }
                },
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
            },
            "deadLetters": {
                "address": f"{namespace}.events.dlq.v1",
                "description": (
                    "Records the worker refused: the original key, value and headers plus "
                    "wijkwacht-error (a short code) and wijkwacht-error-detail (field: reason)."
                ),
                "messages": {
                    "deadLetter": {
                        "name": "dead-letter",
                        "headers": {
                            "type": "object",
                            "properties": {
                                "wijkwacht-error": {
                                    "type": "string",
                                    "enum": [
                                        "invalid",
                                        "forbidden-source",
                                        "wrong-key",
                                        "conflict-revision",
                                        "conflict-kind",
                                        "processing-error",
                                    ],
                                },
                                "wijkwacht-error-detail": {"type": "string"},
                            },
                        },
                        "payload": {"description": "the original value, unchanged"},
                    }
                },
            },
            "state": {
                "address": f"{namespace}.state.v1",
                "description": (
                    "The worker's state changelog (compacted): incident records and aggregate "
                    "cells, absolute values stamped with the input offsets. Internal."
                ),
            },
        },
        "operations": {
            "ingest": {
                "action": "receive",
                "channel": {"$ref": "#/channels/events"},
                "summary": "Field systems and the API produce; the worker consumes.",
                "messages": [{"$ref": f"#/channels/events/messages/{name}"} for name in messages],
            },
            "rejectRecord": {
                "action": "send",
                "channel": {"$ref": "#/channels/deadLetters"},
                "messages": [{"$ref": "#/channels/deadLetters/messages/deadLetter"}],
            },
        },
        "components": {"messages": messages},
    }


def _message_name(type_: str) -> str:
    return type_.removeprefix("nl.wijkwacht.").replace(".", "-")


def _binary_headers(schema: dict[str, Any]) -> dict[str, Any]:
    """The `ce_*` headers of binary mode, held to the same rules as the structured envelope."""
    envelope = schema["properties"]

    def attribute(name: str) -> dict[str, Any]:
        return {k: v for k, v in envelope[name].items() if k != "title"}

    return {
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time"],
        "properties": {
            "ce_specversion": {"const": "1.0"},
            "ce_id": attribute("id"),
            "ce_source": attribute("source"),
            "ce_type": envelope["type"],
            "ce_subject": attribute("subject"),
            "ce_time": attribute("time"),
            "content-type": {"const": "application/json"},
        },
    }
