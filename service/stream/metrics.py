"""Prometheus metrics of a worker process: what it makes of the input, and the store's writes.

Every worker serves its own on `WIJKWACHT_WORKER_METRICS_PORT` plus its slot number. Names and
labels are listed in docs/operations.md; deploy/grafana-dashboard.json shows them.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

# Worker: what it makes of the input
EVENTS_PROCESSED = Counter(
    "wijkwacht_worker_events",
    "Input records processed, by outcome (counted, withdrawn, duplicate, stale, replayed, "
    "rejected)",
    ["outcome"],
)
RECORDS_READ = Counter(
    "wijkwacht_worker_records_read",
    "Input records read, by path: sealed (validated by the API, read on the fast path), "
    "validated (in full: produced to Kafka directly, or the API's seal key differs), "
    "sealed-unreadable (sealed, yet not as this worker reads them; validated in full too)",
    ["path"],
)
DEAD_LETTERED = Counter(
    "wijkwacht_worker_dead_letters", "Records sent to the dead-letter topic", ["reason"]
)
PROCESSING_LATENCY = Histogram(
    "wijkwacht_processing_latency_seconds",
    "Per batch, from its oldest input record's Kafka timestamp to the batch's effects being "
    "written to the changelog",
    buckets=LATENCY_BUCKETS,
)
BATCH_SIZE = Histogram(
    "wijkwacht_worker_batch_records",
    "Input records per processed batch",
    buckets=(1, 10, 50, 100, 500, 1000, 5000, 20000),
)
STORE_UPSERT = Histogram(
    "wijkwacht_store_upsert_seconds",
    "Time of one materialiser batch write upserting totals and incidents (one transaction; "
    "more while rows the store refuses are sought)",
    buckets=LATENCY_BUCKETS,
)
STORE_ROWS = Counter("wijkwacht_store_rows_upserted", "Rows upserted into the store", ["table"])
STORE_QUARANTINED = Counter(
    "wijkwacht_store_quarantined_rows",
    "Changelog records whose row the store refused for what it holds, set aside in the store's "
    "quarantined_row table instead of being retried for ever",
)
