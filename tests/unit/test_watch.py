"""The terminal view: SSE parsing, snapshot and row updates, rendering."""

from __future__ import annotations

import io
import json

from rich.console import Console

from service.devtools.watch import Board, render, sse_events
from service.domain.formats import whole_euros as euros


def rendered(board: Board, kind: str | None = None) -> str:
    console = Console(width=120, record=True, color_system=None, file=io.StringIO())
    console.print(render(board, kind))
    return console.export_text()


def row(kind: str, category: str, wijk: str, count: int, amount: int = 0, fw: int = 0) -> dict:
    return {
        "kind": kind,
        "category": category,
        "wijk": wijk,
        "count": count,
        "amount_cents": amount,
        "illegal_fireworks_cents": fw,
    }


def test_sse_lines_become_events() -> None:
    body = {"period": "2022", "rows": []}
    lines = ["event: snapshot", f"data: {json.dumps(body)}", "", ": ping", "", "event: rows"]
    lines += ['data: {"rows": [1]}', ""]
    assert list(sse_events(iter(lines))) == [("snapshot", body), ("rows", {"rows": [1]})]


def test_a_snapshot_replaces_and_rows_update_in_place() -> None:
    board = Board("year")
    board.apply(
        "snapshot",
        {
            "period": "2022",
            "as_of": {"events_behind": 3},
            "rows": [
                row("handhavingsmelding", "afval", "dorp", 5),
                row("jaarwisselingsschade", "verharding", "dorp", 2, 6_985_400, 2_375_036),
            ],
        },
    )
    board.apply("rows", {"rows": [row("handhavingsmelding", "afval", "dorp", 6)]})
    text = rendered(board, "handhavingsmelding")
    assert "Wijkwacht year 2022" in text and "live  (3 achter)" in text
    lines = [line.split() for line in text.splitlines()]
    assert ["Handhavingsmeldingen", "6"] in lines
    assert ["Jaarwisselingsschade", "2", "€", "69.854", "34", "%"] in lines
    assert ["dorp", "6"] in lines  # the wijk × category grid of the kind asked for
    board.apply("snapshot", {"period": "2022", "rows": []})  # after a reconnect
    assert board.rows == {}


def test_disconnected_state_is_shown() -> None:
    board = Board("day", connected=False, error="(ConnectError)")
    assert "verbinding verbroken (ConnectError)" in rendered(board)


def test_euros_use_dutch_thousands() -> None:
    assert euros(11_633_100) == "€ 116.331"
    assert euros(0) == "€ 0"
