"""`wijkwacht watch`: the live counts in the terminal, refreshing in place (rich).

Reads GET /v1/live/stream of a running API: the snapshot, then every changed row. When the
stream breaks it says so on screen and reconnects by itself; the snapshot after reconnecting
replaces everything, so nothing is ever counted twice on screen.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from rich.console import Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from events.kinds import DAMAGE, KIND_NAMES
from service.domain.figures import ZERO, Figures
from service.domain.formats import count, whole_euros

Cell = tuple[str, str, str]  # kind, category, wijk


@dataclass
class Board:
    """What the screen shows: the rows of one scope and period, and the connection state."""

    scope: str
    period: str = ""
    rows: dict[Cell, Figures] = field(default_factory=dict)
    behind: int | None = None
    connected: bool = False
    error: str = ""

    def apply(self, name: str, body: dict[str, Any]) -> None:
        """Apply one SSE event: a snapshot replaces everything, rows update their cells."""
        if name == "snapshot":
            self.rows.clear()
        self.period = body.get("period", self.period)
        for row in body.get("rows", []):
            self.rows[(row["kind"], row["category"], row["wijk"])] = Figures(
                row["count"], row["amount_cents"], row["illegal_fireworks_cents"]
            )
        if "as_of" in body:
            self.behind = body["as_of"].get("events_behind")
        self.connected, self.error = True, ""


def render(board: Board, kind: str | None = None) -> RenderableType:
    if board.connected:
        behind = "?" if board.behind is None else count(board.behind)
        status = Text(f"● live  ({behind} achter)", style="bold green")
    else:
        status = Text(f"● verbinding verbroken {board.error}".rstrip(), style="bold red")
    title = Text(f"Wijkwacht {board.scope} {board.period}  ", style="bold")
    parts: list[RenderableType] = [title + status]
    totals = Table("Soort", "Aantal", "Schade", "waarvan illegaal vuurwerk", box=None)
    for code, name in KIND_NAMES.items():
        total = sum((v for (k, _, _), v in board.rows.items() if k == code), ZERO)
        amount = total.amount_cents
        share = f"{total.illegal_fireworks_cents * 100 / amount:.0f} %" if amount else ""
        damage = whole_euros(amount) if code == DAMAGE else ""
        totals.add_row(name, count(total.count), damage, share)
    parts.append(totals)
    if kind is not None:
        parts.append(grid(board, kind))
    return Group(*parts)


def grid(board: Board, kind: str) -> Table:
    """Wijk × category counts of one kind."""
    cells = {(c, w): v for (k, c, w), v in board.rows.items() if k == kind}
    categories = sorted({c for c, _ in cells})
    table = Table("Wijk", *categories, title=KIND_NAMES.get(kind, kind), box=None)
    for wijk in sorted({w for _, w in cells}):
        counts = [cells.get((c, wijk), ZERO).count for c in categories]
        table.add_row(wijk, *(str(n) if n else "·" for n in counts))
    return table


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event name, JSON body) of each Server-Sent Event in a stream of lines."""
    name, data = "message", list[str]()
    for line in lines:
        if line == "":
            if data:
                yield name, orjson.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


class Refused(Exception):
    """The API refused the key (401 or 403): retrying would not help."""


def watch(url: str, scope: str, kind: str | None, key: str | None) -> None:
    """Show the live counts until Ctrl-C; Refused when the key may not read."""
    headers = {"authorization": f"Bearer {key}"} if key else {}
    board = Board(scope)
    delay = 0.5
    with Live(render(board, kind), refresh_per_second=4, screen=False) as screen:
        while True:
            try:
                with httpx.stream(
                    "GET",
                    f"{url.rstrip('/')}/v1/live/stream",
                    params={"scope": scope},
                    headers=headers,
                    timeout=httpx.Timeout(10, read=30),
                ) as response:
                    if response.status_code in (401, 403):
                        response.read()
                        raise Refused(f"{response.status_code}: {response.json().get('detail')}")
                    response.raise_for_status()
                    for name, body in sse_events(response.iter_lines()):
                        board.apply(name, body)
                        screen.update(render(board, kind))
                        delay = 0.5
            except httpx.HTTPError as exc:
                board.connected, board.error = False, f"({exc.__class__.__name__})"
                screen.update(render(board, kind))
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
