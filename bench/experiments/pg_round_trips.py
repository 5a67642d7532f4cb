"""Experiment behind FINDINGS.md §4 and issue #9: per-file round trips on Postgres.

    .venv/bin/python -m bench.experiments.pg_round_trips [--rounds 4] [--old-rev 3d85a2c]

Applies the 200-file workload in-process, each variant on a new database, the
variants alternated round by round:

* `old-engine`: `PostgresEngine` as it was at `--old-rev` (loaded from git, beside the
  current modules), called as `migrate` calls it: `apply` per file inside `lock()`.
* `engine`: the current `PostgresEngine`, called the same way.
* `old-raw` / `trimmed`: the raw psycopg patterns of the first experiment (the old
  per-file pattern; history DDL once with each file pipelined), as reference points.

Besides the wall time it counts round trips exactly: a libpq trace of the
connection, one round trip per ReadyForQuery the server sends. Not part of `make bench`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg.pq import Trace

from bench.generate import small_migration
from bench.pg import ADMIN_URL

HISTORY = ("CREATE TABLE IF NOT EXISTS public.h (name text PRIMARY KEY, checksum text, "
           "applied_at timestamptz DEFAULT now())")
FILES = [small_migration(i) for i in range(1, 201)]
DB = "dbtool_bench_exp_rt"
OLD_REV = "3d85a2c"  # the engine before issue #9 (~9 round trips per file)
ENGINE_MODULES = ("dbtool/engines/history_postgres.py", "dbtool/engines/postgres.py")


def _statements(body: str) -> list[str]:
    return [s.strip() for s in body.split(";") if s.strip()]


# -- raw psycopg patterns (no dbtool code) ----------------------------------------------
def old_raw(conn: Any, _url: str) -> None:
    """What engines/postgres.py did on 2026-11-22: ~9 round trips per file."""
    for i, body in enumerate(FILES):
        with conn.transaction():
            conn.execute("CREATE SCHEMA IF NOT EXISTS public")
            conn.execute(HISTORY)
            conn.execute("SELECT to_regclass('public.h')").fetchone()
            conn.execute("SELECT 1 FROM public.h WHERE name = %s", (str(i),)).fetchone()
            for sql in _statements(body):
                conn.execute(sql, prepare=False)
            conn.execute("INSERT INTO public.h (name, checksum) VALUES (%s, 'x')", (str(i),))


def trimmed(conn: Any, _url: str) -> None:
    """History DDL once; each file's statements and its history row in one pipeline."""
    conn.execute(HISTORY)
    for i, body in enumerate(FILES):
        with conn.transaction(), conn.pipeline():
            for sql in _statements(body):
                conn.execute(sql, prepare=False)
            conn.execute("INSERT INTO public.h (name, checksum) VALUES (%s, 'x')", (str(i),))


# -- the engine, old and new ------------------------------------------------------------
def _old_engine_class(rev: str) -> type:
    """`PostgresEngine` of `rev`, its history mix-in loaded from the same revision."""
    root = Path(__file__).resolve().parents[2]
    modules: dict[str, types.ModuleType] = {}
    for path in ENGINE_MODULES:
        source = subprocess.run(["git", "show", f"{rev}:src/{path}"], cwd=root, check=True,
                                capture_output=True, text=True).stdout
        name = "bench_old_" + Path(path).stem
        source = source.replace("dbtool.engines.history_postgres", "bench_old_history_postgres")
        module = types.ModuleType(name)
        module.__file__ = f"{rev}:{path}"
        sys.modules[name] = module
        exec(compile(source, module.__file__, "exec"), module.__dict__)
        modules[name] = module
    return modules["bench_old_postgres"].PostgresEngine


def _engine_runner(cls: type, folder: Path) -> Callable[[Any, str], None]:
    """Apply `folder` as `migrate_target` does: files loaded first, then apply under the lock."""
    from dbtool.engines import capabilities
    from dbtool.migrations.files import discover, load
    from dbtool.urls import parse_url

    files, _ = discover(folder)
    loaded = [load(f, "postgres") for f in files]

    def run(conn: Any, url: str) -> None:
        engine = cls(parse_url(url), capabilities("postgres"))
        engine._conn = conn  # the traced connection
        with engine.lock(30.0):
            for migration in loaded:
                engine.apply(migration, lock_timeout=30.0)

    return run


def _timed(admin: Any, apply: Callable[[Any, str], None]) -> tuple[float, int]:
    """Seconds and round trips for one variant on a new database."""
    admin.execute(f"DROP DATABASE IF EXISTS {DB}")
    admin.execute(f"CREATE DATABASE {DB}")
    try:
        url = ADMIN_URL.rsplit("/", 1)[0] + "/" + DB
        with psycopg.connect(url, autocommit=True) as conn, tempfile.TemporaryFile("w+") as trace:
            conn.pgconn.trace(trace.fileno())
            conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
            started = time.perf_counter()
            apply(conn, url)
            elapsed = time.perf_counter() - started
            conn.pgconn.untrace()
            trace.seek(0)
            trips = sum(1 for line in trace
                        if line.startswith("B\t") and "\tReadyForQuery\t" in line)
            return elapsed, trips
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--old-rev", default=OLD_REV)
    parser.add_argument("--only", nargs="*", help="variants to run (default: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i, body in enumerate(FILES, 1):
            (folder / f"{i:04d}_m.sql").write_text(body)
        variants = {"old-engine": _engine_runner(_old_engine_class(args.old_rev), folder),
                    "engine": _engine_runner(_current_engine(), folder),
                    "old-raw": old_raw, "trimmed": trimmed}
        chosen = {k: v for k, v in variants.items() if not args.only or k in args.only}
        results: dict[str, list[float]] = {name: [] for name in chosen}
        trips: dict[str, int] = {}
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            for _ in range(args.rounds):
                for name, apply in chosen.items():
                    seconds, trips[name] = _timed(admin, apply)
                    results[name].append(seconds)
    print(f"{len(FILES)} files, {args.rounds} rounds, pid {os.getpid()}")
    for name, times in results.items():
        print(f"{name:10} median {statistics.median(times):.3f} s  round trips {trips[name]:5d} "
              f"({trips[name] / len(FILES):.2f}/file)  runs {[round(t, 3) for t in times]}")


def _current_engine() -> type:
    from dbtool.engines.postgres import PostgresEngine

    return PostgresEngine


if __name__ == "__main__":
    main()
