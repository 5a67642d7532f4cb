"""Inspect / snapshot / audit a large schema (N tables), Postgres and SQLite.

Each size is a small dbtool project (dbtool.toml, N/50 migration files of 50
tables each, schemas/bench.yaml) plus a live database built once with
`dbtool migrate` (untimed; inspection does not change it, so every run reads
the same state). Timed:

* dbtool's inspector through `python -c` (process start included; the
  in-process inspection time is reported too) vs `pg_dump --schema-only` /
  `sqlite3 db .schema`;
* `dbtool audit bench --url LIVE` (inspect + diff with the snapshot + history);
* `dbtool snapshot bench` (build a scratch database from the migrations, inspect,
  write YAML) vs the glue it replaces: create, `psql -f all.sql`, `pg_dump -s`, drop.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.generate import schema_files, write_migrations
from bench.model import Context, Workload
from bench.pg import PgServer
from bench.timing import Case, CaseFailed, Cmd
from bench.workloads.common import fresh_sqlite, series

PG_INSPECT = """import sys, time
import psycopg
from dbtool.inspect import inspect_postgres
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    started = time.perf_counter()
    schema = inspect_postgres(conn, ("public",))
    print(sum(t.name.startswith("s") for t in schema.tables), time.perf_counter() - started)
"""
SQLITE_INSPECT = """import sqlite3, sys, time
from dbtool.inspect import SqliteRunner, inspect_sqlite
conn = sqlite3.connect(sys.argv[1])
started = time.perf_counter()
schema = inspect_sqlite(SqliteRunner(conn))
print(sum(t.name.startswith("s") for t in schema.tables), time.perf_counter() - started)
"""
GLUE_PG = "createdb; psql -f all.sql; pg_dump --schema-only; dropdb"
GLUE_SQLITE = "sqlite3 new.db < all.sql; sqlite3 new.db .schema"
TOML = ('[services.bench]\ndialect = "{dialect}"\nmigrations = "dbtool"\n'
        'snapshot = "schemas/bench.yaml"\n')


def _project(ctx: Context, family: str, dialect: str, tables: int) -> Path:
    root = write_migrations(ctx.work / f"{family}-{tables}", schema_files(tables)).root
    (root / "dbtool.toml").write_text(TOML.format(dialect=dialect))
    return root


def _dbtool(ctx: Context, root: Path, *args: str, env: dict[str, str] | None = None) -> None:
    """An untimed setup step (build the live database, write the first snapshot)."""
    from bench.peers import clean_env

    proc = subprocess.run((*ctx.dbtool, *args), cwd=root, capture_output=True, text=True,
                          env={**clean_env(), **(env or {})})
    if proc.returncode != 0:
        raise CaseFailed(f"setup `dbtool {' '.join(args)}` failed: {proc.stderr.strip()[-300:]}")


def _inspected(tables: int):  # type: ignore[no-untyped-def]
    def verify(_state: object, out: str) -> None:
        found = int(out.split()[0])
        if found != tables:
            raise CaseFailed(f"inspector saw {found} tables, expected {tables}")
    return verify


def _inner(out: str) -> float:
    return float(out.split()[1])


@contextmanager
def _no_snapshot(root: Path) -> Iterator[None]:
    """Each snapshot run writes the YAML from nothing (audit reads the last one)."""
    (root / "schemas" / "bench.yaml").unlink(missing_ok=True)
    yield None


@contextmanager
def _glue_db(pg: PgServer) -> Iterator[str]:
    """A database name for the glue, which creates the database itself; dropped after."""
    name = pg.new_name()
    try:
        yield name
    finally:
        pg.drop(name)


ABOVE_HEADLINE = ("not run above the headline size (time budget): the growth target is about "
                  "inspection, which is measured at every size")


def _whole_project(ctx: Context, tables: int) -> bool:
    """audit / snapshot / glue (and the setup snapshot) only up to the headline size."""
    return tables <= max(ctx.sizes.schema)


def _limit(cases: list[Case], full: bool) -> list[Case]:
    for case in cases:
        if not full and (case.tool == "glue" or "audit" in case.label or "snapshot" in case.label):
            case.reason = ABOVE_HEADLINE
    return cases


def _pg_cases(ctx: Context, root: Path, live: str, tables: int) -> list[Case]:
    pg = ctx.pg
    assert pg is not None
    scratch = {"DBTOOL_SCRATCH_URL": pg.admin_url}
    dump = root / "dump.sql"
    conn = ["-h", "127.0.0.1", "-U", "postgres"]
    inspector = "dbtool inspector: python -c inspect_postgres(…)"
    snap = "dbtool snapshot bench (scratch build + inspect + YAML)"
    glue = f"glue: {GLUE_PG}"
    return _limit([
        Case("dbtool", inspector, lambda _s: [Cmd((ctx.python, "-c", PG_INSPECT, pg.url(live)))],
             verify=_inspected(tables), subject=True, inner=_inner, against="pg_dump --schema-only"),
        Case("dbtool", "dbtool audit bench --url postgresql://…", lambda _s: [Cmd(
            (*ctx.dbtool, "audit", "bench", "--url", pg.url(live)), cwd=root)], subject=True,
            against="pg_dump --schema-only"),
        Case("dbtool", snap, lambda _s: [Cmd((*ctx.dbtool, "snapshot", "bench"), cwd=root,
                                             env=scratch)],
             lambda: _no_snapshot(root), subject=True, against=glue),
        Case("pg_dump", "pg_dump --schema-only", lambda _s: [Cmd(
            ("pg_dump", "--schema-only", "-f", str(dump), pg.url(live)))], against=inspector),
        Case("glue", glue, lambda db: [
            Cmd(("createdb", *conn, db)), Cmd(("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                                                "-d", pg.url(db), "-f", str(root / "all.sql"))),
            Cmd(("pg_dump", "--schema-only", "-f", str(dump), pg.url(db))),
            Cmd(("dropdb", *conn, db))], lambda: _glue_db(pg), against=snap),
    ], _whole_project(ctx, tables))


def schema_postgres(ctx: Context) -> list[Workload]:
    pg = ctx.pg
    if pg is None:
        return [Workload("schema-postgres", "schema-postgres", "inspect a Postgres schema",
                         f"not measured: {ctx.pg_reason}", [])]

    def build(n: int) -> tuple[list[Case], str, str]:
        root = _project(ctx, "schema-postgres", "postgres", n)
        live = pg.create()
        ctx.defer(pg.drop, live)  # kept until the end: a missed target's profile reads it
        _dbtool(ctx, root, "migrate", "bench", "--url", pg.url(live))
        if _whole_project(ctx, n):
            _dbtool(ctx, root, "snapshot", "bench", env={"DBTOOL_SCRATCH_URL": pg.admin_url})
        return (_pg_cases(ctx, root, live, n),
                f"inspect / audit / snapshot a {n:,}-table Postgres schema", _describe(n))

    return series(ctx, "schema-postgres", "tables", build,
                  headline=ctx.sizes.schema, growth=ctx.sizes.schema_growth)


def _describe(n: int) -> str:
    return (f"{n:,} tables (6 columns: integer PK, FK to the previous table, UNIQUE text, CHECK "
            f"enum with default, numeric, text default) + 1 index each, in {max(1, n // 50)} "
            "migration files.")


def _sqlite_cases(ctx: Context, root: Path, live: Path, tables: int) -> list[Case]:
    inspector = "dbtool inspector: python -c inspect_sqlite(…)"
    snap = "dbtool snapshot bench (scratch build + inspect + YAML)"
    glue = f"glue: {GLUE_SQLITE}"
    return _limit([
        Case("dbtool", inspector, lambda _s: [Cmd((ctx.python, "-c", SQLITE_INSPECT, str(live)))],
             verify=_inspected(tables), subject=True, inner=_inner, against="sqlite3 db .schema"),
        Case("dbtool", "dbtool audit bench --url sqlite:///…", lambda _s: [Cmd(
            (*ctx.dbtool, "audit", "bench", "--url", f"sqlite:///{live}"), cwd=root)],
            subject=True, against="sqlite3 db .schema"),
        Case("dbtool", snap, lambda _s: [Cmd((*ctx.dbtool, "snapshot", "bench"), cwd=root)],
             lambda: _no_snapshot(root), subject=True, against=glue),
        Case("sqlite3", "sqlite3 db .schema", lambda _s: [Cmd(("sqlite3", str(live), ".schema"))],
             against=inspector),
        Case("glue", glue, lambda db: [Cmd(("sqlite3", str(db)), stdin=root / "all.sql"),
                                       Cmd(("sqlite3", str(db), ".schema"))],
             lambda: fresh_sqlite(root / "runs"), against=snap),
    ], _whole_project(ctx, tables))


def schema_sqlite(ctx: Context) -> list[Workload]:
    def build(n: int) -> tuple[list[Case], str, str]:
        root = _project(ctx, "schema-sqlite", "sqlite", n)
        live = root / "live.db"
        live.unlink(missing_ok=True)
        _dbtool(ctx, root, "migrate", "bench", "--url", f"sqlite:///{live}")
        if _whole_project(ctx, n):
            _dbtool(ctx, root, "snapshot", "bench")
        return (_sqlite_cases(ctx, root, live, n),
                f"inspect / audit / snapshot a {n:,}-table SQLite database", _describe(n))

    return series(ctx, "schema-sqlite", "tables", build,
                  headline=ctx.sizes.schema, growth=ctx.sizes.schema_growth)
