"""The `status` table as lines that fit the terminal (80 columns in CI logs).

Why a layout of its own rather than Rich's table: Rich fits a table by cutting cells
(`0001_create_us…`) and wrapping dates, and a column is shown even when every cell is
empty. Here file names are never cut, a column with nothing in it is dropped, times
read the same for every engine (UTC, `2026-12-06 15:42:55`), and what does not fit on
a row's line — the source, a note, at worst the time — moves to an indented line
below it. The terminal and a piped log get the same lines (colour only on a terminal).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass

HEADERS = ("migration", "state", "applied at (UTC)", "source", "note")
GAP = "  "
INDENT = "    "


@dataclass(frozen=True)
class Row:
    """One migration's cells, in HEADERS order."""

    cells: tuple[str, str, str, str, str]

    @property
    def state(self) -> str:
        return self.cells[1]


def terminal_width() -> int:
    """$COLUMNS, the terminal's width, else 80 (a pipe or a CI log)."""
    return max(40, shutil.get_terminal_size((80, 24)).columns)


def utc_time(value: str | None) -> str:
    """`2026-12-06 15:44:00.444162+00` (Postgres), `2026-12-06T15:42:55Z`, `2026-12-06
    15:42:55` (SQLite's CURRENT_TIMESTAMP, which is UTC) -> `2026-12-06 15:44:00`."""
    if not value:
        return ""
    from datetime import UTC, datetime

    text = value.strip().replace("Z", "+00:00")
    if len(text) > 3 and text[-3] in "+-" and text[-3:].lstrip("+-").isdigit():
        text += ":00"  # `+00` -> `+00:00`, for Python 3.11's fromisoformat
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return value  # an unknown format is shown as recorded, never dropped
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Line:
    """A laid-out row: its text, where its state cell is (for colour), and the lines below."""

    text: str
    state: slice | None = None
    more: tuple[str, ...] = ()


def layout(rows: Sequence[Row], width: int) -> list[Line]:
    """The header and every row: the columns that fit in `width`, in HEADERS order, and the
    rest of each row indented below it."""
    present = [i for i in range(len(HEADERS)) if i < 2 or any(r.cells[i] for r in rows)]
    shown = _fitting(rows, present, width)
    widths = {i: max(len(HEADERS[i]), *(len(r.cells[i]) for r in rows)) for i in shown}
    out = [Line(GAP.join(HEADERS[i].ljust(widths[i]) for i in shown).rstrip())]
    start = widths[0] + len(GAP)
    for row in rows:
        text = GAP.join(row.cells[i].ljust(widths[i]) for i in shown).rstrip()
        moved = [f"{HEADERS[i]}: {row.cells[i]}" for i in present
                 if i not in shown and row.cells[i]]
        out.append(Line(text, slice(start, start + len(row.state)),
                        tuple(_wrapped("; ".join(moved), width)) if moved else ()))
    return out


def _fitting(rows: Sequence[Row], present: list[int], width: int) -> list[int]:
    """The longest run of the present columns whose row lines fit; the migration and the
    state always stay (a long name makes a long line, never a cut one)."""
    for count in range(len(present), 2, -1):
        chosen = present[:count]
        total = sum(max(len(HEADERS[i]), *(len(r.cells[i]) for r in rows)) for i in chosen)
        if total + len(GAP) * (len(chosen) - 1) <= width:
            return chosen
    return present[:2]


def _wrapped(text: str, width: int) -> list[str]:
    """Continuation text, wrapped at spaces (a long word — a path — is left whole)."""
    import textwrap

    return textwrap.wrap(text, width=max(20, width - len(INDENT)), break_long_words=False,
                         break_on_hyphens=False, initial_indent=INDENT, subsequent_indent=INDENT)


def title_lines(head: str, database: str, width: int) -> list[str]:
    """`api (embedded: sqlite:///…) — 3 applied` on one line when it fits, else the
    database on a line of its own."""
    service, _, summary = head.partition(" — ")
    one = f"{service} ({database}) — {summary}" if database else head
    if len(one) <= width:
        return [one]
    return [head, f"{INDENT}{database}"] if database else [head]
