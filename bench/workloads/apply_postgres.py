"""Apply N small migrations to a new Postgres database.

dbtool vs dbmate vs yoyo (psycopg 3) vs alembic (raw-SQL revisions: one
`op.execute` per file, `transaction_per_migration=True` so every tool commits
once per file) vs the `psql -f all.sql` floor, plus the floor with one
BEGIN/COMMIT per file. Each run gets its own database, dropped afterwards.
"""

from __future__ import annotations

from bench.generate import Migrations, small_migration, small_tables, write_migrations
from bench.model import Context, Workload
from bench.pg import PgServer
from bench.timing import Case, Cmd
from bench.workloads.common import expect, series

TOOLS = ("dbtool", "dbmate", "yoyo", "alembic")
DESCRIPTION = ("{n:,} files (the SQLite workload's SQL); a new database each run, dropped "
               "afterwards; 127.0.0.1 over TCP, trust auth.")


def psql(pg: PgServer, db: str, script: object) -> Cmd:
    return Cmd(("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", pg.url(db), "-f", str(script)))


def postgres_cases(ctx: Context, mig: Migrations) -> list[Case]:
    """The six ways to apply `mig` to a fresh database, each verified by counting tables."""
    pg = ctx.pg
    assert pg is not None
    dbmate, yoyo, alembic = (ctx.peers.get(n) for n in ("dbmate", "yoyo", "alembic"))

    def verify(db: str, _out: str) -> None:
        expect(pg.count_tables(db, "t%"), small_tables(mig.count), "tables")

    def case(tool: str, label: str, commands, reason=None, subject=False) -> Case:  # type: ignore[no-untyped-def]
        return Case(tool, label, commands, pg.fresh, verify, subject=subject, reason=reason)

    return [
        case("dbtool", "dbtool migrate --dir … --url postgresql://…", lambda db: [Cmd((
            *ctx.dbtool, "migrate", "--dir", str(mig.dir("dbtool")), "--url", pg.url(db)))],
            subject=True),
        case("dbmate", "dbmate migrate", lambda db: [Cmd((
            *dbmate.argv, "--url", pg.dbmate_url(db), "--migrations-dir", str(mig.dir("dbmate")),
            "--no-dump-schema", "migrate"))], dbmate.missing),
        case("yoyo", "yoyo apply --batch", lambda db: [Cmd((
            *yoyo.argv, "apply", "--batch", "--no-config-file", "--database",
            pg.url(db, "postgresql+psycopg"), str(mig.dir("yoyo"))))], yoyo.missing),
        case("alembic", "alembic upgrade head (op.execute per file)", lambda db: [Cmd(
            (*alembic.argv, "-c", str(mig.alembic_ini), "upgrade", "head"),
            env={"BENCH_ALEMBIC_URL": pg.url(db, "postgresql+psycopg")})], alembic.missing),
        case("floor", "psql -q -f all.sql", lambda db: [psql(pg, db, mig.all_sql)]),
        case("floor", "psql -q -f all-tx.sql (BEGIN/COMMIT per file)",
             lambda db: [psql(pg, db, mig.all_tx_sql)]),
    ]


def apply_postgres(ctx: Context) -> list[Workload]:
    if ctx.pg is None:
        return [Workload("apply-postgres", "apply-postgres", "apply migrations to Postgres",
                         f"not measured: {ctx.pg_reason}", [])]

    def build(n: int) -> tuple[list[Case], str, str]:
        mig = write_migrations(ctx.work / f"apply-postgres-{n}",
                               [small_migration(i) for i in range(1, n + 1)], tools=TOOLS)
        return postgres_cases(ctx, mig), f"apply {n:,} migrations to Postgres", DESCRIPTION.format(n=n)

    return series(ctx, "apply-postgres", "files", build,
                  headline=ctx.sizes.apply, growth=ctx.sizes.apply_growth)
