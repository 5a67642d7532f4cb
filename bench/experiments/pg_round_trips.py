"""Experiment behind FINDINGS.md §4: per-file round trips on Postgres.

    .venv/bin/python -m bench.experiments.pg_round_trips [--rounds 4]

Applies the 200-file workload in-process twice per round, alternately, each time on a
new database: once with dbtool's per-file call pattern (history DDL and two look-ups per file,
one round trip per statement), once trimmed (history DDL once per run, statements
and history INSERT pipelined). It does not touch dbtool; it measures what the
recommended change could save. Not part of `make bench`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import psycopg

from bench.generate import small_migration
from bench.pg import ADMIN_URL

HISTORY = ("CREATE TABLE IF NOT EXISTS public.h (name text PRIMARY KEY, checksum text, "
           "applied_at timestamptz DEFAULT now())")
FILES = [small_migration(i) for i in range(1, 201)]


def _statements(body: str) -> list[str]:
    return [s.strip() for s in body.split(";") if s.strip()]


def current_pattern(conn: Any) -> None:
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


def trimmed_pattern(conn: Any) -> None:
    """History DDL once; each file's statements and its history row in one pipeline."""
    conn.execute(HISTORY)
    for i, body in enumerate(FILES):
        with conn.transaction(), conn.pipeline():
            for sql in _statements(body):
                conn.execute(sql, prepare=False)
            conn.execute("INSERT INTO public.h (name, checksum) VALUES (%s, 'x')", (str(i),))


def _timed(admin: Any, apply: Callable[[Any], None]) -> float:
    admin.execute("DROP DATABASE IF EXISTS dbtool_bench_exp_rt")
    admin.execute("CREATE DATABASE dbtool_bench_exp_rt")
    try:
        url = ADMIN_URL.rsplit("/", 1)[0] + "/dbtool_bench_exp_rt"
        with psycopg.connect(url, autocommit=True) as conn:
            started = time.perf_counter()
            apply(conn)
            return time.perf_counter() - started
    finally:
        admin.execute("DROP DATABASE IF EXISTS dbtool_bench_exp_rt WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    rounds = parser.parse_args().rounds
    results: dict[str, list[float]] = {"current": [], "trimmed": []}
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        for _ in range(rounds):
            results["current"].append(_timed(admin, current_pattern))
            results["trimmed"].append(_timed(admin, trimmed_pattern))
    for name, times in results.items():
        print(f"{name:8} median {statistics.median(times):.3f} s  runs {[round(t, 3) for t in times]}")


if __name__ == "__main__":
    main()
