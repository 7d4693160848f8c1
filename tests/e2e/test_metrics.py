"""Prometheus metrics of the API (GET /metrics), of a worker and of a materialiser (each on its
own port), read after
real traffic: accepted, duplicate and invalid events, a dead letter, processing latency."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.kafka.topics import Topics
from service.settings import Settings
from tests import factories
from tests.integration.kafka_util import ensure, produce
from tests.support import READER, Process, free_port, settings_env, wait_until

pytestmark = pytest.mark.e2e
HEADERS = {
    "content-type": "application/cloudevents-batch+json",
    "authorization": "Bearer test-key-handhaving-0001",
}


def samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(url, headers=READER, timeout=10).text  # the worker's ignores it
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_api_and_worker_metrics_follow_the_traffic(settings: Settings, tmp_path: Path) -> None:
    settings = settings.model_copy(
        update={
            "api_port": free_port(),
            "worker_metrics_port": free_port(),
            "materialiser_metrics_port": free_port(),
        }
    )
    ensure(settings)
    env = settings_env(settings)
    worker = Process(["worker"], env, tmp_path / "worker.log")
    materialiser = Process(["materialise"], env, tmp_path / "materialiser.log")
    api = Process(["api"], env, tmp_path / "api.log")
    base = f"http://127.0.0.1:{settings.api_port}"
    worker_metrics = f"http://127.0.0.1:{settings.worker_metrics_port}/metrics"
    store_metrics = f"http://127.0.0.1:{settings.materialiser_metrics_port}/metrics"
    try:
        wait_until(lambda: _answers(f"{base}/readyz"), timeout=60, what="the API")
        a, b = factories.report("HH-M-1"), factories.report("HH-M-2", wijk="rokkeveen")
        accepted = httpx.post(
            f"{base}/v1/events", content=json.dumps([a, b, a]), headers=HEADERS, timeout=30
        )
        assert accepted.status_code == 202, accepted.text
        invalid = factories.report("HH-M-3", wijk="atlantis")
        refused = httpx.post(
            f"{base}/v1/events", content=json.dumps([invalid]), headers=HEADERS, timeout=30
        )
        assert refused.status_code == 422
        unauthorized = httpx.post(f"{base}/v1/events", content=b"[]", timeout=30)
        assert unauthorized.status_code == 401
        produce(settings, Topics(settings.namespace).input("handhaving-app"), [(b"k", b"{", [])])

        def worker_done() -> dict | None:
            found = samples(worker_metrics) if _answers(worker_metrics) else {}
            counted = found.get(("wijkwacht_worker_events_total", (("outcome", "counted"),)))
            rejected = found.get(("wijkwacht_worker_events_total", (("outcome", "rejected"),)))
            return found if counted == 2 and rejected == 1 else None

        worker_side = wait_until(worker_done, timeout=60, what="the worker's metrics")
        assert worker_side[("wijkwacht_worker_dead_letters_total", (("reason", "invalid"),))] == 1
        # one observation per batch, in seconds: each record waited a moment, not an epoch
        batches = worker_side[("wijkwacht_processing_latency_seconds_count", ())]
        assert 1 <= batches <= 3
        assert worker_side[("wijkwacht_processing_latency_seconds_sum", ())] < 60 * batches
        # The API's two records were read on the fast path; the one produced directly was not.
        read = {"sealed": 2, "validated": 1}
        for path, count in read.items():
            assert worker_side[("wijkwacht_worker_records_read_total", (("path", path),))] == count

        def stored() -> dict | None:
            found = samples(store_metrics) if _answers(store_metrics) else {}
            rows = found.get(("wijkwacht_store_rows_upserted_total", (("table", "incident"),)))
            return found if rows == 2 else None

        store_side = wait_until(stored, timeout=60, what="the materialiser's metrics")
        assert store_side[("wijkwacht_store_upsert_seconds_count", ())] >= 1

        def api_done() -> dict | None:
            found = samples(f"{base}/metrics")
            lag = [v for k, v in found.items() if k[0] == "wijkwacht_consumer_lag_events"]
            # one series per partition of every field system's input topic
            inputs = len(settings.field_systems) * settings.topic_partitions
            caught_up = len(lag) == inputs and set(lag) == {0}
            return found if found.get(("wijkwacht_dead_letters", ())) == 1 and caught_up else None

        api_side = wait_until(api_done, timeout=30, what="the API to see no lag, one dead letter")
        kind = (("kind", "handhavingsmelding"),)
        assert api_side[("wijkwacht_events_received_total", kind)] == 4
        assert api_side[("wijkwacht_events_accepted_total", kind)] == 2
        assert api_side[("wijkwacht_events_duplicate_total", kind)] == 1
        field = (("field", "data"), ("kind", "handhavingsmelding"))
        assert api_side[("wijkwacht_events_rejected_total", field)] == 1
        assert api_side[("wijkwacht_requests_rejected_total", (("reason", "invalid"),))] == 1
        assert api_side[("wijkwacht_requests_rejected_total", (("reason", "unauthorized"),))] == 1
        assert api_side[("wijkwacht_sse_clients", ())] == 0
    finally:
        codes = api.stop(), worker.stop(), materialiser.stop()
        assert codes[0] in (0, -signal.SIGTERM), api.output()[-2000:]
        assert codes[1] == 0, worker.output()[-2000:]
        assert codes[2] == 0, materialiser.output()[-2000:]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=3).status_code == 200
    except httpx.HTTPError:
        return False
