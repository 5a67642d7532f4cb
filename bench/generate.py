"""Workload generators: the same SQL, in each tool's own migration format.

Two kinds of workload:

* `small_migration` files — the issue's "small migrations": odd files create a
  table with an index, even files insert three rows into the previous table.
  Portable to SQLite, D1 and Postgres (explicit ids, no AUTOINCREMENT).
* `schema_table` — a realistic table for inspection (primary key, foreign key,
  unique, check, default, numeric type, index), grouped 50 tables per file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

TABLES_PER_FILE = 50


def small_migration(i: int) -> str:
    """File `i` (1-based): CREATE TABLE + index when odd, three INSERTs when even."""
    if i % 2:
        return (f"CREATE TABLE t{i:05d} (\n  id INTEGER PRIMARY KEY,\n  name TEXT NOT NULL,\n"
                f"  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP\n);\n"
                f"CREATE INDEX idx_t{i:05d}_name ON t{i:05d}(name);\n")
    return "".join(f"INSERT INTO t{i - 1:05d} (id, name) VALUES ({n}, 'row {n} of {i}');\n"
                   for n in range(1, 4))


def small_tables(files: int) -> int:
    """How many tables `files` small migrations create (what `verify` counts)."""
    return (files + 1) // 2


def schema_table(i: int) -> str:
    """One table of the inspection schema; table i references table i-1."""
    parent = f" REFERENCES s{i - 1:05d}(id)" if i > 1 else ""
    return (f"CREATE TABLE s{i:05d} (\n  id INTEGER PRIMARY KEY,\n"
            f"  parent_id INTEGER{parent},\n  code TEXT NOT NULL UNIQUE,\n"
            "  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),\n"
            "  amount NUMERIC(12, 2),\n  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP\n);\n"
            f"CREATE INDEX idx_s{i:05d}_parent ON s{i:05d}(parent_id);\n")


def schema_files(tables: int) -> list[str]:
    """The inspection schema as migration bodies, TABLES_PER_FILE tables each."""
    return ["".join(schema_table(i) for i in range(start, min(start + TABLES_PER_FILE, tables + 1)))
            for start in range(1, tables + 1, TABLES_PER_FILE)]


@dataclass(frozen=True)
class Migrations:
    """One workload written out once per tool format, plus the concatenated floor."""

    root: Path
    count: int

    def dir(self, tool: str) -> Path:
        return self.root / tool

    @property
    def all_sql(self) -> Path:
        return self.root / "all.sql"

    @property
    def all_tx_sql(self) -> Path:
        """The floor with dbtool's atomicity: one transaction per file."""
        return self.root / "all-tx.sql"

    @property
    def alembic_ini(self) -> Path:
        return self.root / "alembic" / "alembic.ini"


def _name(i: int, width: int) -> str:
    return f"{i:0{width}d}_step_{i}"


def write_migrations(root: Path, bodies: Iterable[str], *, tools: Iterable[str] = ("dbtool",)
                     ) -> Migrations:
    """Write the bodies as dbtool/dbmate/yoyo/alembic migrations and all.sql, from scratch."""
    bodies = list(bodies)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    width = max(4, len(str(len(bodies))))
    names = [_name(i, width) for i in range(1, len(bodies) + 1)]
    for tool in tools:
        WRITERS[tool](root / tool, names, bodies)
    (root / "all.sql").write_text("".join(bodies))
    (root / "all-tx.sql").write_text("".join(f"BEGIN;\n{body}COMMIT;\n" for body in bodies))
    return Migrations(root, len(bodies))


def _plain(folder: Path, names: list[str], bodies: list[str]) -> None:
    folder.mkdir(parents=True)
    for name, body in zip(names, bodies, strict=True):
        (folder / f"{name}.sql").write_text(body)


def _dbmate(folder: Path, names: list[str], bodies: list[str]) -> None:
    folder.mkdir(parents=True)
    for name, body in zip(names, bodies, strict=True):
        (folder / f"{name}.sql").write_text(f"-- migrate:up\n{body}\n-- migrate:down\n")


ALEMBIC_INI = """[alembic]
script_location = {root}
sqlalchemy.url = driver://set-by-env
"""

# Online mode only; one transaction per revision, as dbtool/dbmate/yoyo run one per file.
ALEMBIC_ENV = '''import os
from alembic import context
from sqlalchemy import create_engine

engine = create_engine(os.environ["BENCH_ALEMBIC_URL"])
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
'''

ALEMBIC_REVISION = '''from alembic import op

revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""{sql}""")


def downgrade():
    pass
'''


def _alembic(folder: Path, names: list[str], bodies: list[str]) -> None:
    """Raw-SQL revisions: one op.execute per file, chained by down_revision."""
    (folder / "versions").mkdir(parents=True)
    (folder / "alembic.ini").write_text(ALEMBIC_INI.format(root=folder.resolve()))
    (folder / "env.py").write_text(ALEMBIC_ENV)
    (folder / "script.py.mako").write_text("")
    previous = None
    for name, body in zip(names, bodies, strict=True):
        rev = name.split("_", 1)[0]
        (folder / "versions" / f"{name}.py").write_text(
            ALEMBIC_REVISION.format(rev=rev, down=previous, sql=body))
        previous = rev


WRITERS: dict[str, Callable[[Path, list[str], list[str]], None]] = {
    "dbtool": _plain, "yoyo": _plain, "dbmate": _dbmate, "alembic": _alembic,
}
