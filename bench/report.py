"""The run's results as data, as text for the terminal, and as JSON.

Markdown (bench/RESULTS.md) is in `report_md`; this module holds the shared
pieces: the result document, number formatting, ratios and growth series.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.model import Workload, ratio
from bench.targets import TargetResult
from bench.timing import Row


@dataclass
class Results:
    """Everything one `python -m bench` run produced."""

    machine: dict[str, str | None]
    settings: dict[str, Any]
    workloads: list[Workload]
    targets: list[TargetResult]
    install: dict[str, str] = field(default_factory=dict)  # peer -> install time / reason
    notes: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"machine": self.machine, "settings": self.settings, "elapsed_s": round(self.elapsed, 1),
                "peer_install": self.install, "targets": [t.to_dict() for t in self.targets],
                "workloads": [w.to_dict() for w in self.workloads],
                "growth": [g.to_dict() for g in growth_series(self.workloads)], "notes": self.notes}


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def ratio_text(value: float | None) -> str:
    """0.52 (1.9× faster): dbtool's time over the peer's, and what it means."""
    if value is None:
        return "—"
    if value <= 1:
        return f"{value:.2f} ({1 / value:.1f}× faster)" if value > 0 else "0"
    return f"{value:.2f} ({value:.1f}× slower)"


def pair(workload: Workload, row: Row) -> tuple[Row | None, Row | None]:
    """(dbtool row, peer row) for `row`'s ratio, following `against` when given."""
    subjects = workload.subjects()
    if row.subject:
        return (row, workload.row(row.against)) if row.against else (None, None)
    subject = workload.row(row.against) if row.against else (subjects[0] if subjects else None)
    return subject, row


def row_ratio(workload: Workload, row: Row) -> tuple[float | None, str]:
    """The ratio for the table cell and the other row's label."""
    subject, peer = pair(workload, row)
    if subject is None or peer is None:
        return None, ""
    other = peer.label if row.subject else subject.label
    return ratio(subject, peer), other


FIT_MAX = 1_000  # the fit covers the sizes the targets are about, not the largest runs


@dataclass(frozen=True)
class Fit:
    """t(n) ≈ fixed + per_unit · n over the sizes up to FIT_MAX: the fixed share is
    start-up (interpreter, imports, connect), the slope the cost of each file or table.
    It says why a ratio changes with size, which a single ratio cannot."""

    fixed: float
    per_unit: float

    def to_dict(self) -> dict[str, float]:
        return {"fixed_s": round(self.fixed, 4), "per_unit_ms": round(self.per_unit * 1000, 4)}


def linear_fit(medians: dict[int, float | None], max_size: int = FIT_MAX) -> Fit | None:
    """Least squares through the medians measured at sizes ≤ max_size (two or more)."""
    points = [(n, t) for n, t in medians.items() if t is not None and n <= max_size]
    if len(points) < 2:
        return None
    mean_n = sum(n for n, _ in points) / len(points)
    mean_t = sum(t for _, t in points) / len(points)
    spread = sum((n - mean_n) ** 2 for n, _ in points)
    slope = sum((n - mean_n) * (t - mean_t) for n, t in points) / spread
    return Fit(mean_t - slope * mean_n, slope)


def crossover_text(subject: Fit | None, peer: Fit | None, unit: str) -> str:
    """Where the two fitted lines cross: from which size dbtool is the faster one.
    The lines hold up to FIT_MAX; beyond it the growth columns are the evidence."""
    if subject is None or peer is None:
        return "—"
    gap_fixed = subject.fixed - peer.fixed
    gap_slope = peer.per_unit - subject.per_unit
    if gap_slope == 0:
        return "faster at every size" if gap_fixed < 0 else f"slower at every size up to {FIT_MAX:,}"
    at = gap_fixed / gap_slope
    if gap_slope > 0:
        return "faster at every size" if at < 1 else f"faster above ~{at:,.0f} {unit}"
    if at < 1:
        return f"slower at every size up to {FIT_MAX:,}"
    return f"faster below ~{at:,.0f} {unit}"


@dataclass
class Growth:
    """One family's medians by size, for the growth tables."""

    family: str
    unit: str
    sizes: list[int]
    medians: dict[str, dict[int, float | None]]
    reasons: dict[str, dict[int, str]]
    pairs: list[tuple[str, str]]  # (dbtool row, peer row) for the ratio rows

    def fits(self) -> dict[str, Fit | None]:
        return {label: linear_fit(medians) for label, medians in self.medians.items()}

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "unit": self.unit, "sizes": self.sizes,
                "medians_s": {k: {str(n): v for n, v in d.items()} for k, d in self.medians.items()},
                "fit_max_size": FIT_MAX,
                "fit": {k: f.to_dict() if f else None for k, f in self.fits().items()}}


def growth_series(workloads: list[Workload]) -> list[Growth]:
    """A growth table for each family measured at three or more sizes."""
    out = []
    for family in dict.fromkeys(w.family for w in workloads):
        members = sorted((w for w in workloads if w.family == family and w.size),
                         key=lambda w: w.size or 0)
        if len(members) < 3:
            continue
        medians: dict[str, dict[int, float | None]] = {}
        reasons: dict[str, dict[int, str]] = {}
        for work in members:
            for row in work.rows:
                medians.setdefault(row.label, {})[work.size or 0] = row.median
                if row.reason:
                    reasons.setdefault(row.label, {})[work.size or 0] = row.reason
        first = members[0]
        pairs = [(subject.label, row.label) for row in first.rows if not row.subject
                 for subject, _peer in [pair(first, row)] if subject is not None]
        out.append(Growth(family, first.unit, [w.size or 0 for w in members], medians,
                          reasons, pairs))
    return out


def render_text(results: Results) -> str:
    """A compact terminal summary: every row with its median and ratio, then the targets."""
    lines = []
    for work in results.workloads:
        lines.append(f"\n{work.title}")
        for row in work.rows:
            value, _other = row_ratio(work, row)
            extra = f"  dbtool/peer {ratio_text(value)}" if value is not None else ""
            state = f"not measured: {row.reason}" if row.reason else seconds(row.median)
            lines.append(f"  {row.label[:58]:58} {state}{extra}")
    lines.append("\nTargets (DESIGN §9)")
    for target in results.targets:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[target.met]
        lines.append(f"  [{verdict:^12}] {target.target}: {target.measured}")
    lines.append(f"\ntotal run time: {results.elapsed:.0f} s")
    return "\n".join(lines) + "\n"


def write_json(results: Results, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results.to_dict(), indent=2, ensure_ascii=False) + "\n")
