"""The annual report (`wijkwacht report`): the figures built from the store's yearly totals,
rendered as a table, a JSON document, CSV rows or a chart, and the number formats they share.

It may import `service.read`, `service.domain`, `events` and `storage`.
"""

from service.report.build import NoFigures, Report, ReportError, build_report
from service.report.chart import CHART_SUFFIXES, write_chart
from service.report.document import render_json, to_document
from service.report.rows import render_csv
from service.report.table import print_table

__all__ = [
    "CHART_SUFFIXES",
    "NoFigures",
    "Report",
    "ReportError",
    "build_report",
    "print_table",
    "render_csv",
    "render_json",
    "to_document",
    "write_chart",
]
