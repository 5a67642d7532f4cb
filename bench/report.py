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


@dataclass
class Growth:
    """One family's medians by size, for the growth tables."""

    family: str
    unit: str
    sizes: list[int]
    medians: dict[str, dict[int, float | None]]
    reasons: dict[str, dict[int, str]]
    pairs: list[tuple[str, str]]  # (dbtool row, peer row) for the ratio rows

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "unit": self.unit, "sizes": self.sizes,
                "medians_s": {k: {str(n): v for n, v in d.items()} for k, d in self.medians.items()}}


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
