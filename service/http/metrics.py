"""Prometheus metrics of the API process, served at `GET /metrics` (prometheus-client).

Workers have their own (service/stream/metrics.py). Names and labels are listed in
docs/operations.md; deploy/grafana-dashboard.json shows them.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge

from events.models import PAYLOADS

# API: what field systems send
EVENTS_RECEIVED = Counter(
    "wijkwacht_events_received", "Events in well-formed POST /v1/events bodies", ["kind"]
)
EVENTS_ACCEPTED = Counter(
    "wijkwacht_events_accepted", "Events durably written to the input topic", ["kind"]
)
EVENTS_DUPLICATE = Counter(
    "wijkwacht_events_duplicate", "Events repeated within one request (written once)", ["kind"]
)
EVENTS_REJECTED = Counter(
    "wijkwacht_events_rejected", "Invalid events refused with 422", ["kind", "field"]
)
REQUESTS_REJECTED = Counter(
    "wijkwacht_requests_rejected", "POST /v1/events refused as a whole", ["reason"]
)
SIGN_IN_FAILURES = Counter(
    "wijkwacht_sign_in_failures",
    "Requests refused with 401: no key, or one nobody has (credential: field-system, operator)",
    ["credential", "reason"],
)
CONSUMER_LAG = Gauge(
    "wijkwacht_consumer_lag_events",
    "Input events the workers have not yet reflected, per partition",
    ["partition"],
)
DEAD_LETTERS = Gauge("wijkwacht_dead_letters", "Records in the dead-letter topic")
WORKERS = Gauge("wijkwacht_workers", "Members of the worker group (0: nothing is processed)")
MATERIALISERS = Gauge(
    "wijkwacht_materialisers", "Members of the materialiser group (0: the store stands still)"
)
LAG_GROWING = Gauge(
    "wijkwacht_consumer_lag_growing",
    "1 while the workers' lag has grown for 30 s without shrinking, else 0",
)
STORE_LAG = Gauge(
    "wijkwacht_store_lag_records", "State changelog records the store does not have yet"
)
QUARANTINED = Gauge(
    "wijkwacht_quarantined_rows", "Changelog records the store refused and set aside"
)
SSE_CLIENTS = Gauge("wijkwacht_sse_clients", "Open GET /v1/live/stream connections")
CHANGELOG_UNDECODABLE = Gauge(
    "wijkwacht_live_changelog_undecodable",
    "State changelog records the live view skipped because they do not decode",
)

REJECTION_REASONS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid",
    429: "too-many-requests",
    503: "unavailable",
}


def kind_label(document: Any) -> str:
    """The kind of an event document for a label: one of the known types, else `unknown`
    (a label never takes arbitrary input)."""
    kind = document.get("type") if isinstance(document, dict) else None
    return kind.split(".")[2] if isinstance(kind, str) and kind in PAYLOADS else "unknown"


ENVELOPE_FIELDS = frozenset(
    ("specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data")
)


def field_label(field: str) -> str:
    """The top-level field an error names, for a label; `other` for anything else (an
    unknown field's name is the sender's input and must not become a label value)."""
    top = field.split(".")[0].split("[")[0]
    return top if top in ENVELOPE_FIELDS else "other"
