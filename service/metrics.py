"""Prometheus metrics of the API and the worker (prometheus-client).

Each process exposes its own: the API at `GET /metrics`, every worker on its own port
(`WIJKWACHT_WORKER_METRICS_PORT` plus its slot number). Names and labels are listed in
docs/operations.md; deploy/grafana-dashboard.json shows them.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from events.models import PAYLOADS

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

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
CONSUMER_LAG = Gauge(
    "wijkwacht_consumer_lag_events",
    "Input events the workers have not yet reflected, per partition",
    ["partition"],
)
DEAD_LETTERS = Gauge("wijkwacht_dead_letters", "Records in the dead-letter topic")
SSE_CLIENTS = Gauge("wijkwacht_sse_clients", "Open GET /v1/live/stream connections")

# Worker: what it makes of the input
EVENTS_PROCESSED = Counter(
    "wijkwacht_worker_events",
    "Input records processed, by outcome (counted, withdrawn, duplicate, stale, replayed, "
    "rejected)",
    ["outcome"],
)
DEAD_LETTERED = Counter(
    "wijkwacht_worker_dead_letters", "Records sent to the dead-letter topic", ["reason"]
)
PROCESSING_LATENCY = Histogram(
    "wijkwacht_processing_latency_seconds",
    "From an input record's Kafka timestamp to its effects being written to the changelog",
    buckets=LATENCY_BUCKETS,
)
BATCH_SIZE = Histogram(
    "wijkwacht_worker_batch_records",
    "Input records per processed batch",
    buckets=(1, 10, 50, 100, 500, 1000, 5000, 20000),
)
STORE_UPSERT = Histogram(
    "wijkwacht_store_upsert_seconds",
    "Time of one materialiser transaction upserting totals and incidents",
    buckets=LATENCY_BUCKETS,
)
STORE_ROWS = Counter("wijkwacht_store_rows_upserted", "Rows upserted into the store", ["table"])

REJECTION_REASONS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid",
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
