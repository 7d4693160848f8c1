"""deploy/grafana-dashboard.json only charts metrics the service really exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

import service.http.metrics
import service.stream.metrics  # noqa: F401

DASHBOARD = Path(__file__).parents[2] / "deploy" / "grafana-dashboard.json"


def test_every_charted_metric_exists() -> None:
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"], "gauge": [""]}
    exposed = {
        family.name + suffix
        for family in REGISTRY.collect()
        if family.name.startswith("wijkwacht_")
        for suffix in suffixes[family.type]
    }
    panels = json.loads(DASHBOARD.read_text())["panels"]
    charted = {
        name
        for panel in panels
        for target in panel["targets"]
        for name in re.findall(r"wijkwacht_[a-z_]+", target["expr"])
    }
    assert charted, "the dashboard charts nothing"
    assert charted <= exposed, sorted(charted - exposed)


def test_labels_never_take_a_senders_input() -> None:
    from service.http.metrics import field_label, kind_label

    assert field_label("data.wijk") == "data"
    assert field_label("source") == "source"
    assert field_label("x-evil-" + "a" * 50) == "other"
    assert kind_label({"type": "nl.wijkwacht.cameraincident.v1"}) == "cameraincident"
    assert kind_label({"type": "made.up.type"}) == "unknown"
    assert kind_label(["not", "an", "object"]) == "unknown"
    assert kind_label({"type": []}) == "unknown"  # found by the API fuzzer: was a 500
    assert kind_label({"type": {"a": 1}}) == "unknown"
