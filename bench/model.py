"""What a benchmark run produces, and what every workload gets to work with."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.peers import Peers
from bench.pg import PgServer
from bench.timing import Case, Row, measure


@dataclass(frozen=True)
class Sizes:
    """Workload sizes: full runs follow the issue, --quick keeps the smoke test short."""

    apply: tuple[int, ...]  # files, headline tables
    apply_growth: tuple[int, ...]  # files, growth table only
    schema: tuple[int, ...]  # tables, headline
    schema_growth: tuple[int, ...]
    d1_files: tuple[int, ...]  # wrangler takes ~0.25 s a file: 1,000 files is one ~4 min run
    status_files: int

    @classmethod
    def for_mode(cls, quick: bool) -> Sizes:
        if quick:
            return cls((20,), (10, 20), (20,), (10, 20), (10,), 20)
        return cls((200, 1000), (100, 1000, 5000), (1000,), (100, 1000, 5000), (200, 1000), 200)


@dataclass
class Context:
    """Settings, peers and servers shared by every workload of one run."""

    quick: bool
    runs: int
    budget: float  # seconds of measured runs per case and size
    peers: Peers
    work: Path
    log: Callable[[str], None]
    pg: PgServer | None = None
    pg_reason: str | None = None
    sizes: Sizes = field(default_factory=lambda: Sizes.for_mode(False))
    cleanup: ExitStack = field(default_factory=ExitStack)  # closed at the end of the run

    def defer(self, callback: Callable[..., object], *args: object) -> None:
        """Run `callback` when the whole run ends (profiles may still need the state)."""
        self.cleanup.callback(callback, *args)

    @property
    def python(self) -> str:
        return sys.executable

    @property
    def dbtool(self) -> tuple[str, ...]:
        """The console script a user runs (falls back to `python -m dbtool`)."""
        script = Path(sys.executable).with_name("dbtool")
        return (str(script),) if script.is_file() else (sys.executable, "-m", "dbtool")

    def measure(self, cases: list[Case], *, budget: float | None = None,
                warmup: bool = True) -> list[Row]:
        return measure(cases, self.runs, budget=self.budget if budget is None else budget,
                       warmup=warmup, log=self.log)


@dataclass
class Workload:
    """One table of the report: rows measured alternately on the same input."""

    key: str  # e.g. "apply-sqlite-200"
    family: str  # e.g. "apply-sqlite"
    title: str
    description: str
    rows: list[Row]
    size: int | None = None
    unit: str = ""  # "files" | "tables"
    headline: bool = True  # False: shown only in the family's growth table
    notes: list[str] = field(default_factory=list)

    def row(self, label: str) -> Row | None:
        return next((r for r in self.rows if r.label == label), None)

    def subjects(self) -> list[Row]:
        return [r for r in self.rows if r.subject]

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "family": self.family, "title": self.title,
                "description": self.description, "size": self.size, "unit": self.unit,
                "headline": self.headline, "notes": self.notes,
                "rows": [r.to_dict() for r in self.rows]}


def ratio(subject: Row | None, other: Row | None) -> float | None:
    """subject median / other median (below 1: dbtool is faster)."""
    if subject is None or other is None or subject.median is None or not other.median:
        return None
    return subject.median / other.median
