"""Helpers the workloads share: fresh SQLite files, verification, size series."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.model import Context, Workload
from bench.timing import Case, CaseFailed, Row

MAX_PROJECTED_RUN = 35.0  # seconds: a peer projected slower than this is not run at that size


@contextmanager
def fresh_sqlite(work: Path) -> Iterator[Path]:
    """A path for a new SQLite file in its own folder, removed after the run."""
    work.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="run-", dir=work))
    try:
        yield folder / "bench.db"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sqlite_tables(path: Path, like: str) -> int:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name LIKE ?",
                           (like,)).fetchone()
    return int(row[0])


def expect(actual: int, wanted: int, what: str) -> None:
    """Verification after a run: a tool that exits 0 but did not do the work fails."""
    if actual != wanted:
        raise CaseFailed(f"expected {wanted} {what}, found {actual}")


def skip_projected(cases: list[Case], previous: dict[str, tuple[int, float]], size: int,
                   unit: str) -> None:
    """Mark peers whose smaller-size time projects (linearly) past the per-run limit."""
    for case in cases:
        if case.reason or case.subject or case.label not in previous:
            continue
        size0, seconds = previous[case.label]
        projected = seconds * size / size0
        if projected > MAX_PROJECTED_RUN:
            case.reason = (f"not run at {size:,} {unit}: {seconds:.1f} s at {size0:,} {unit} "
                           f"projects to ≥ {projected:.0f} s a run (time budget)")


def series(ctx: Context, family: str, unit: str,
           build: Callable[[int], tuple[list[Case], str, str]], *,
           headline: tuple[int, ...], growth: tuple[int, ...]) -> list[Workload]:
    """Measure one workload family at every size, smallest first.

    `build(size)` returns the cases, a title and a description. Growth-only
    sizes get half the time budget, and no warm-up above the headline sizes
    (the caches are warm by then).
    """
    previous: dict[str, tuple[int, float]] = {}
    out = []
    for size in sorted(set(headline) | set(growth)):
        ctx.log(f"  {family} at {size:,} {unit}")
        cases, title, description = build(size)
        is_headline = size in headline
        if not is_headline:  # headline sizes always run every case (with fewer runs if slow)
            skip_projected(cases, previous, size, unit)
        rows = ctx.measure(cases, budget=ctx.budget if is_headline else ctx.budget / 2,
                           warmup=is_headline or size <= max(headline))
        previous.update({r.label: (size, r.median) for r in rows if r.median is not None})
        out.append(Workload(f"{family}-{size}", family, title, description, rows, size=size,
                            unit=unit, headline=is_headline))
    return out


def first_subject(rows: list[Row]) -> Row | None:
    return next((r for r in rows if r.subject), None)
