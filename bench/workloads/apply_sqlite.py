"""Apply N small migrations to a new SQLite file: dbtool vs dbmate vs yoyo vs sqlite3.

Two floors: `sqlite3 db < all.sql` as the issue names it (every statement its
own autocommit transaction, so one journal sync per statement), and the same
with one BEGIN/COMMIT per file — the floor with dbtool's atomicity, one sync
per file. Every tool gets a new file each run and must leave N/2 tables.
"""

from __future__ import annotations

from pathlib import Path

from bench.generate import Migrations, small_migration, small_tables, write_migrations
from bench.model import Context, Workload
from bench.timing import Case, Cmd
from bench.workloads.common import expect, fresh_sqlite, series, sqlite_tables

DESCRIPTION = ("{n:,} files: odd ones CREATE TABLE + CREATE INDEX, even ones 3 INSERTs into the "
               "previous table; a new database file each run; each tool's own history table.")


def _verify(n: int):  # type: ignore[no-untyped-def]
    def check(path: Path, _out: str) -> None:
        expect(sqlite_tables(path, "t%"), small_tables(n), "tables")
    return check


def sqlite_cases(ctx: Context, mig: Migrations) -> list[Case]:
    """The five ways to apply `mig` to a new SQLite file, each verified."""
    dbmate, yoyo = ctx.peers.get("dbmate"), ctx.peers.get("yoyo")
    fresh = lambda: fresh_sqlite(mig.root / "runs")  # noqa: E731
    verify = _verify(mig.count)
    return [
        Case("dbtool", "dbtool migrate --dir … --url sqlite:///…", lambda db: [Cmd((
            *ctx.dbtool, "migrate", "--dir", str(mig.dir("dbtool")), "--url", f"sqlite:///{db}"))],
            fresh, verify, subject=True),
        Case("dbmate", "dbmate migrate", lambda db: [Cmd((
            *dbmate.argv, "--url", f"sqlite:{db}", "--migrations-dir", str(mig.dir("dbmate")),
            "--no-dump-schema", "migrate"))], fresh, verify, reason=dbmate.missing),
        Case("yoyo", "yoyo apply --batch", lambda db: [Cmd((
            *yoyo.argv, "apply", "--batch", "--no-config-file", "--database", f"sqlite:///{db}",
            str(mig.dir("yoyo"))))], fresh, verify, reason=yoyo.missing),
        Case("floor", "sqlite3 db < all.sql", lambda db: [Cmd(("sqlite3", str(db)), stdin=mig.all_sql)],
             fresh, verify),
        Case("floor", "sqlite3 db < all-tx.sql (BEGIN/COMMIT per file)",
             lambda db: [Cmd(("sqlite3", str(db)), stdin=mig.all_tx_sql)], fresh, verify),
    ]


def apply_sqlite(ctx: Context) -> list[Workload]:
    def build(n: int) -> tuple[list[Case], str, str]:
        mig = write_migrations(ctx.work / f"apply-sqlite-{n}",
                               [small_migration(i) for i in range(1, n + 1)],
                               tools=("dbtool", "dbmate", "yoyo"))
        return sqlite_cases(ctx, mig), f"apply {n:,} migrations to SQLite", DESCRIPTION.format(n=n)

    return series(ctx, "apply-sqlite", "files", build,
                  headline=ctx.sizes.apply, growth=ctx.sizes.apply_growth)
