"""`dbtool diff --from A --to B` on two 1,000-table Postgres databases, side by side with migra.

A is the inspection schema (bench/generate.schema_table: 1,000 tables, each with a
primary key, a foreign key, a UNIQUE, a CHECK, defaults and an index); B is a copy
of A (CREATE DATABASE … TEMPLATE) with 100 tables changed: a column added, an
index added, a CHECK added or a type changed, 25 tables each. Both tools print the
SQL that turns A into B. Untimed, once: each tool's SQL is applied to another copy
of A and dbtool's differ compares the result with B (the notes say what is left).
"""

from __future__ import annotations

import subprocess

from bench.generate import schema_files
from bench.model import Context, Workload
from bench.pg import PgServer
from bench.timing import Case, CaseFailed, Cmd

CHANGES = ("ALTER TABLE {t} ADD COLUMN note text",
           "CREATE INDEX idx_{t}_code_status ON {t} (code, status)",
           "ALTER TABLE {t} ADD CONSTRAINT {t}_amount_check CHECK (amount >= 0)",
           "ALTER TABLE {t} ALTER COLUMN amount TYPE numeric(14,2)")
DBTOOL = "dbtool diff --from A --to B"
MIGRA = "migra A B"


def _psql(pg: PgServer, db: str, sql: str) -> None:
    proc = subprocess.run(("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", pg.url(db)),
                          input=sql, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CaseFailed(f"setup psql failed: {proc.stderr.strip()[-300:]}")


def _pair(ctx: Context, pg: PgServer, tables: int) -> tuple[str, str]:
    a = pg.create()
    ctx.defer(pg.drop, a)
    _psql(pg, a, "".join(schema_files(tables)))
    b = pg.new_name()
    pg.conn.execute(f'CREATE DATABASE "{b}" TEMPLATE "{a}"')
    ctx.defer(pg.drop, b)
    changed = [CHANGES[i % len(CHANGES)].format(t=f"s{i:05d}") for i in range(1, tables // 10 + 1)]
    _psql(pg, b, ";\n".join(changed) + ";\n")
    return a, b


def _residue(ctx: Context, pg: PgServer, a: str, b: str, sql: str) -> str:
    """Apply `sql` to a copy of A and count what still differs from B (dbtool's differ)."""
    copy = pg.new_name()
    pg.conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{a}"')
    try:
        proc = subprocess.run(("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", pg.url(copy)),
                              input=sql, capture_output=True, text=True)
        if proc.returncode != 0:
            return f"applying it failed: {proc.stderr.strip().splitlines()[-1][:160]}"
        code = ("import sys\nfrom pathlib import Path\nfrom dbtool.config import Service\n"
                "from dbtool.core.schema_ops import inspect_url\nfrom dbtool.diff import diff\n"
                "from dbtool.urls import parse_url\ns = Service('b', 'postgres', Path('.'))\n"
                "print(len(diff(inspect_url(s, parse_url(sys.argv[2])), inspect_url(s, parse_url(sys.argv[1])))))")
        out = subprocess.run((ctx.python, "-c", code, pg.url(copy), pg.url(b)), capture_output=True,
                             text=True, check=True).stdout.strip()
        return f"{out} difference(s) left"
    finally:
        pg.drop(copy)


def _run(argv: tuple[str, ...], ok: tuple[int, ...] = (0,)) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode not in ok:
        raise CaseFailed(f"{argv[0]} exited {proc.returncode}: {proc.stderr.strip()[-200:]}")
    return proc.stdout


def _verify_statements(minimum: int):  # type: ignore[no-untyped-def]
    def verify(_state: object, out: str) -> None:
        found = sum(1 for line in out.splitlines() if line.rstrip().endswith(";"))
        if found < minimum:
            raise CaseFailed(f"printed {found} statements, expected at least {minimum}")
    return verify


def diff_postgres(ctx: Context) -> list[Workload]:
    pg = ctx.pg
    title = "`dbtool diff` of two Postgres databases vs migra"
    if pg is None:
        return [Workload("diff-postgres", "diff-postgres", title, f"not measured: {ctx.pg_reason}", [])]
    tables = 20 if ctx.quick else 1000
    a, b = _pair(ctx, pg, tables)
    migra = ctx.peers.get("migra")
    changed = tables // 10
    cases = [
        Case("dbtool", DBTOOL, lambda _s: [Cmd((*ctx.dbtool, "diff", "--from", pg.url(a), "--to", pg.url(b)))],
             verify=_verify_statements(changed), subject=True, against=MIGRA),
        Case("migra", MIGRA, lambda _s: [Cmd((*migra.argv, pg.url(a, "postgresql+psycopg2"),
                                              pg.url(b, "postgresql+psycopg2")), ok_codes=(0, 2))],
             verify=_verify_statements(changed), against=DBTOOL, reason=migra.missing),
    ]
    rows = ctx.measure(cases)
    notes = ["dbtool's SQL applied to a copy of A: " + _residue(
        ctx, pg, a, b, _run((*ctx.dbtool, "diff", "--from", pg.url(a), "--to", pg.url(b))))]
    if migra.available:
        notes.append(f"migra {migra.version}'s SQL applied to a copy of A: " + _residue(
            ctx, pg, a, b, _run((*migra.argv, pg.url(a, "postgresql+psycopg2"),
                                 pg.url(b, "postgresql+psycopg2")), ok=(0, 2))))
    description = (f"A: {tables:,} tables (bench/generate.schema_table); B: a copy of A with {changed} "
                   "tables changed (a column added, an index, a CHECK, a type change: a quarter each). "
                   "Each tool prints the SQL from A to B; migra exits 2 when it prints changes.")
    return [Workload(f"diff-postgres-{tables}", "diff-postgres", f"{title} ({tables:,} tables, "
                     f"{changed} changed)", description, rows, size=tables, unit="tables", notes=notes)]


__all__ = ["diff_postgres"]

