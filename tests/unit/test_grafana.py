"""deploy/grafana-dashboard.json only charts metrics the service really exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

import service.metrics  # noqa: F401  (registers the metrics)

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
