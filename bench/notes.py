"""The Notes section: how the figures were taken, and what a reader must know to trust them."""

from __future__ import annotations

from bench.model import Workload
from bench.paths import BENCH
from bench.timing import LONG_RUN
from bench.workloads.common import MAX_PROJECTED_RUN

METHOD = [
    "Method: each round runs every case once, in an order rotated every round, so background "
    "load (other jobs on this 2-core machine) falls on dbtool and the peers alike; round 0 is a "
    f"warm-up (kept as a run when it takes ≥ {LONG_RUN:g} s). Each run gets fresh state (a new "
    "SQLite file / a new Postgres database, dropped afterwards even on failure / a fresh copy of "
    "the wrangler project); only the tool's own processes are timed, and every apply is "
    "verified afterwards (table or history row count), so a tool that exits 0 without doing the "
    "work fails instead of looking fast.",
    "A case whose warm-up shows it cannot do the requested runs within the per-case budget gets "
    "fewer runs (the runs column says how many); growth-only sizes get half the budget. At a "
    "growth-only size, a peer whose time at the previous size projects (linearly) past "
    f"{MAX_PROJECTED_RUN:g} s a run is not run, and the table says so; headline sizes run "
    "every case.",
    "Floors: `sqlite3 db < all.sql` and `psql -f all.sql` run every statement in its own "
    "autocommit transaction (one journal sync per statement); the `all-tx.sql` floors wrap each "
    "file in BEGIN/COMMIT, which is the same atomicity and sync count as dbtool (one commit per "
    "file) and is the like-for-like floor.",
    "dbmate runs as the Go binary that its npm package installs through the optional "
    "dependency `@dbmate/linux-x64` (the file `npx dbmate` execs); it needs no network at run "
    "time. yoyo uses psycopg 3 (`postgresql+psycopg://`); alembic runs raw-SQL revisions "
    "(one `op.execute` per file) with `transaction_per_migration=True`, both from their own venv "
    "in bench/.peers/venv.",
    "Every timed command runs with bytecode caching on (PYTHONDONTWRITEBYTECODE removed, "
    "caches under bench/.work/pycache via PYTHONPYCACHEPREFIX), as for a pip-installed tool; "
    "this session's environment sets PYTHONDONTWRITEBYTECODE=1, which would make every dbtool "
    "run recompile its source.",
    "Inspection is timed as processes: dbtool's inspector through `python -c` (interpreter "
    "start and imports included), against `pg_dump --schema-only` / `sqlite3 .schema`. The "
    "JSON has the in-process inspection time too (`in_process_median_s`).",
]


def _inner_notes(workloads: list[Workload]) -> list[str]:
    out = []
    for work in workloads:
        for row in work.rows:
            if row.inner and row.median:
                inner = sorted(row.inner)[len(row.inner) // 2]
                out.append(f"{work.title}: the inspection itself took {inner * 1000:.0f} ms of the "
                           f"{row.median * 1000:.0f} ms process (the rest is interpreter start, "
                           "imports and connecting).")
    return out


def _failed(workloads: list[Workload]) -> list[str]:
    return [f"{work.title}: {row.label} — {row.reason}" for work in workloads for row in work.rows
            if row.reason and row.reason.startswith("failed")]


def notes_for(workloads: list[Workload], install: dict[str, str]) -> list[str]:
    notes = list(METHOD)
    notes.append("Peer install times (into bench/.peers/, git-ignored): "
                 + "; ".join(f"{name}: {text}" for name, text in install.items()) + ".")
    notes += [f"{w.title}: {w.description}" for w in workloads if not w.rows]
    notes += [f"{w.title}: {n}" for w in workloads for n in w.notes if not w.headline]
    notes += _inner_notes(workloads)
    notes += [f"Failed: {text}" for text in _failed(workloads)]
    if (BENCH / "d1_local.py").is_file():
        notes.append("The “D1 local apply” section below this one is written by bench/d1_local.py "
                     "(best-of-N dbtool runs, one wrangler run); the apply-d1 table above is "
                     "this harness's own alternated measurement of the same files.")
    return notes
