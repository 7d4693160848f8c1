"""The report as one JSON document (`to_document`, `render_json`); schema in docs/report.md."""

from __future__ import annotations

from typing import Any

import orjson

from events.kinds import CAMERA, DAMAGE, ENFORCEMENT
from service.report.build import CAMERA_NOTE, Adjustment, Report, YearStatus
from service.report.home import HomeSafety
from service.report.measures import Measure

SCHEMA_VERSION = 1


def to_document(report: Report) -> dict[str, Any]:
    """The report as one JSON-ready document (schema in docs/report.md)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "year": report.year,
        "base_year": report.base_year,
        "years": {
            "report": _status_document(report.status),
            "base": None if report.base_status is None else _status_document(report.base_status),
        },
        "enforcement": {
            "count": _measure_document(report.counts[ENFORCEMENT]),
            "by_year": [
                {
                    "year": c.year,
                    "count": c.count,
                    "change": c.change,
                    "change_percent": c.change_percent,
                }
                for c in report.enforcement_by_year
            ],
        },
        "damage": {
            "items": _measure_document(report.counts[DAMAGE]),
            "amount_cents": _measure_document(report.damage_cents),
            "illegal_fireworks_cents": _measure_document(report.illegal_fireworks_cents),
            "illegal_fireworks_share_percent": {
                "value": report.illegal_fireworks_share.value,
                "base": report.illegal_fireworks_share.base,
                "difference_points": report.illegal_fireworks_share.difference,
            },
            "top_categories": [
                {
                    "rank": c.rank,
                    "category": c.category,
                    "name": c.name,
                    "amount_cents": _measure_document(c.amount_cents),
                }
                for c in report.top_damage_categories
            ],
        },
        "camera_incidents": {
            "grouped_by": "wijk",
            "note": CAMERA_NOTE,
            "count": _measure_document(report.counts[CAMERA]),
            "areas": [
                {
                    "wijk": a.wijk,
                    "name": a.name,
                    "cameras": [
                        {
                            "id": c.id,
                            "name": c.name,
                            "fixed": c.fixed,
                            "active_from": c.active_from.isoformat(),
                            "active_until": c.active_until and c.active_until.isoformat(),
                        }
                        for c in a.cameras
                    ],
                    "count": _measure_document(a.count),
                }
                for a in report.camera_areas
            ],
        },
        "wijken": [
            {
                "wijk": w.wijk,
                "name": w.name,
                "counts": {k: _measure_document(m) for k, m in w.counts.items()},
                "damage_amount_cents": _measure_document(w.damage_cents),
            }
            for w in report.wijken
        ],
        "home": _home_document(report.home),
        "trend": [
            {
                "year": p.year,
                "closed": p.closed,
                "counts": p.counts,
                "damage_amount_cents": p.damage_cents,
            }
            for p in report.trend
        ],
    }


def render_json(report: Report) -> str:
    return orjson.dumps(to_document(report), option=orjson.OPT_INDENT_2).decode()


def _measure_document(measure: Measure) -> dict[str, Any]:
    return {
        "value": measure.value,
        "base": measure.base,
        "difference": measure.difference,
        "change_percent": measure.change_percent,
    }


def _status_document(status: YearStatus) -> dict[str, Any]:
    closing = status.closing
    return {
        "year": status.year,
        "figures": "current" if closing is None else "published",
        "closed_at": None if closing is None else closing.closed_at.isoformat(),
        "closed_by": None if closing is None else closing.closed_by,
        "adjustments": {
            "by_kind": [_adjustment_document(a) for a in status.adjustment_totals],
            "rows": [_adjustment_document(a) for a in status.adjustments],
        },
    }


def _adjustment_document(adjustment: Adjustment) -> dict[str, Any]:
    return {
        "kind": adjustment.kind,
        "category": adjustment.category,
        "wijk": adjustment.wijk,
        "count": adjustment.figures.count,
        "amount_cents": adjustment.figures.amount_cents,
        "illegal_fireworks_cents": adjustment.figures.illegal_fireworks_cents,
    }


def _home_document(home: HomeSafety) -> dict[str, Any]:
    most = home.most_open
    return {
        "woonoverlast": {
            "registered": _measure_document(home.registered),
            "closed": _measure_document(home.closed),
            "open": _measure_document(home.open),
            "stock": _measure_document(home.stock),
            "open_by_housing": [
                {"housing": h.housing, "name": h.name, "open": _measure_document(h.open)}
                for h in home.by_housing
            ],
            "most_open_wijk": None
            if most is None
            else {"wijk": most.wijk, "name": most.name, "open": most.open},
        },
        "domestic_violence": {"count": _measure_document(home.domestic_violence)},
        "restraining_orders": {"count": _measure_document(home.restraining_orders)},
    }
