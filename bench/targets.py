"""DESIGN §9's performance targets, checked against one run's medians.

Each check names the row a profile should be taken of when it is missed, so
the report can say where the time goes instead of only that it was too much.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.model import Workload
from bench.timing import Row

LINEAR_SLACK = 1.5  # marginal cost per table may grow this much and still count as linear


@dataclass
class TargetResult:
    target: str
    measured: str
    met: bool | None  # None: not measured in this run
    row: Row | None = None  # the dbtool row to profile when missed
    profile: Any = None  # bench.profiling.Profile, filled in for missed targets

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "measured": self.measured, "met": self.met,
                "profile": self.profile.to_dict() if self.profile else None}


def _find(workloads: list[Workload], family: str, size: int | None = None) -> Workload | None:
    """The family's workload at `size` (default: its smallest headline size)."""
    found = [w for w in workloads if w.family == family and (w.headline or size is not None)]
    if size is not None:
        found = [w for w in found if w.size == size]
    return min(found, key=lambda w: w.size or 0, default=None)


def _row(workload: Workload | None, label: str) -> Row | None:
    return workload.row(label) if workload else None


def absolute(workloads: list[Workload], family: str, label: str, limit: float, text: str
             ) -> TargetResult:
    row = _row(_find(workloads, family), label)
    if row is None or row.median is None:
        return TargetResult(text, _why(row), None, row)
    return TargetResult(text, f"{row.median:.3f} s (median of {len(row.times)})",
                        row.median <= limit, row)


def relative(workloads: list[Workload], family: str, peer_label: str, limit: float, text: str,
             *, faster_by: bool = False) -> TargetResult:
    """dbtool/peer ≤ limit, or with `faster_by`, peer/dbtool ≥ limit."""
    work = _find(workloads, family)
    subject = work.subjects()[0] if work and work.subjects() else None
    peer = _row(work, peer_label)
    if subject is None or peer is None or subject.median is None or peer.median is None:
        return TargetResult(text, _why(peer if subject and subject.median else subject), None, subject)
    size = f" at {work.size:,} {work.unit}" if work and work.size else ""
    if faster_by:
        value = peer.median / subject.median
        return TargetResult(text, f"{value:.0f}× faster ({subject.median:.3f} s vs "
                            f"{peer.median:.2f} s{size})", value >= limit, subject)
    value = subject.median / peer.median
    return TargetResult(text, f"dbtool/peer = {value:.2f} ({subject.median:.3f} s vs "
                        f"{peer.median:.3f} s{size})", value <= limit, subject)


def _why(row: Row | None) -> str:
    if row is None:
        return "not measured in this run"
    return f"not measured: {row.reason}" if row.reason else "not measured"


def linear(workloads: list[Workload], family: str, label: str, text: str) -> TargetResult:
    """Marginal cost per unit between the two largest sizes vs the two smallest."""
    points = sorted((w.size, r.median) for w in workloads if w.family == family and w.size
                    and (r := w.row(label)) is not None and r.median is not None)
    if len(points) < 3:
        return TargetResult(text, "not measured: needs three sizes", None)
    (n0, t0), (n1, t1), (n2, t2) = points[0], points[-2], points[-1]
    early, late = (t1 - t0) / (n1 - n0), (t2 - t1) / (n2 - n1)
    growth = late / early if early > 0 else float("inf")
    row = _row(_find(workloads, family, n2), label)
    return TargetResult(text, f"{early * 1000:.2f} ms/table ({n0:,}→{n1:,}) vs {late * 1000:.2f} "
                        f"ms/table ({n1:,}→{n2:,}): ×{growth:.2f}", growth <= LINEAR_SLACK, row)


INSPECTOR = "dbtool inspector: python -c inspect_postgres(…)"
CHECKS: list[Callable[[list[Workload]], TargetResult]] = [
    lambda w: absolute(w, "startup", "dbtool --version", 0.15, "`dbtool --version` ≤ 0.15 s"),
    lambda w: absolute(w, "startup", "dbtool --help", 0.15, "`dbtool --help` ≤ 0.15 s"),
    lambda w: absolute(w, "status", w_status_label(w), 0.25,
                       "`dbtool status`, nothing pending, SQLite ≤ 0.25 s"),
    lambda w: relative(w, "apply-sqlite", "dbmate migrate", 1.0, "200 files on SQLite: faster than dbmate"),
    lambda w: relative(w, "apply-d1", "wrangler d1 migrations apply DB --local", 50,
                       "200 files: ≥ 50× faster than `wrangler d1 migrations apply --local`",
                       faster_by=True),
    lambda w: relative(w, "apply-sqlite", "sqlite3 db < all.sql", 1.5,
                       "200 files on SQLite: ≤ 1.5× `sqlite3 db < all.sql`"),
    lambda w: relative(w, "apply-postgres", "dbmate migrate", 1.0, "200 files on Postgres: faster than dbmate"),
    lambda w: relative(w, "apply-postgres", "yoyo apply --batch", 1.0, "200 files on Postgres: faster than yoyo"),
    lambda w: relative(w, "apply-postgres", "psql -q -f all.sql", 1.5,
                       "200 files on Postgres: ≤ 1.5× `psql -f all.sql`"),
    lambda w: relative(w, "schema-postgres", "pg_dump --schema-only", 1.0,
                       "1,000-table Postgres inspection no slower than `pg_dump --schema-only`"),
    lambda w: linear(w, "schema-postgres", INSPECTOR, "Postgres inspection grows linearly with tables"),
    lambda w: relative(w, "diff-postgres", "migra A B", 0.5,
                       "`dbtool diff` of two 1,000-table Postgres databases: ≤ 0.5× migra"),
]


def w_status_label(workloads: list[Workload]) -> str:
    work = _find(workloads, "status")
    subjects = work.subjects() if work else []
    return subjects[0].label if subjects else ""


def evaluate(workloads: list[Workload]) -> list[TargetResult]:
    return [check(workloads) for check in CHECKS]
