"""Renderer base: operations -> SQL statements, one method per operation kind.

Table-level DDL goes through SQLAlchemy's DDL compiler (CREATE/DROP TABLE,
CREATE/DROP INDEX, INSERT ... SELECT, UPDATE), ALTER forms through Alembic's
`Operations` in offline (`as_sql`) mode, which writes the statement to a
buffer instead of running it. Rendered from the model, because neither
library expresses them: views (SQLAlchemy's CreateView, 2.1+ only, compiles
a Select object, and the model keeps the view's query as text), triggers,
functions, policies, row-level security, comments on functions, publications,
VALIDATE CONSTRAINT, lock_timeout and PRAGMAs.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex as SaCreateIndex
from sqlalchemy.schema import CreateTable as SaCreateTable
from sqlalchemy.schema import DropIndex as SaDropIndex
from sqlalchemy.schema import DropTable as SaDropTable

from dbtool.model import Schema, Table
from dbtool.plan import ops
from dbtool.plan.render.ddl import bare_table, sa_column, sa_index, sa_table


class Unrenderable(Exception):
    """The operation has no form in this dialect (the planner should not have chosen it)."""


class Renderer:
    """Base renderer; `sa_dialect` names SQLAlchemy's and Alembic's dialect."""

    sa_dialect = "sqlite"
    dialect = "sqlite"

    def __init__(self, current: Schema, desired: Schema) -> None:
        from importlib import import_module

        self.current = current
        self.desired = desired
        self.tables = ({t.key: t for t in desired.tables}, {t.key: t for t in current.tables})
        self.engine = import_module(f"sqlalchemy.dialects.{self.sa_dialect}").dialect()
        self.preparer = self.engine.identifier_preparer
        self._alembic: tuple[io.StringIO, Any] | None = None

    # -- dispatch ------------------------------------------------------------------

    def render(self, op: ops.Op) -> list[str]:
        method = getattr(self, f"r_{op.kind}", None)
        if method is None:
            raise Unrenderable(f"{self.dialect} cannot {op.describe()}")
        return [s for s in method(op) if s]

    # -- helpers -------------------------------------------------------------------

    def compile(self, construct: Any) -> str:
        text = str(construct.compile(dialect=self.engine)).replace("\t", "    ")
        return "\n".join(line.rstrip() for line in text.strip().splitlines())

    def alter(self, action: Callable[[Any], None]) -> list[str]:
        """Statements Alembic writes for `action(op)` in offline mode."""
        if self._alembic is None:
            from alembic.migration import MigrationContext
            from alembic.operations import Operations

            buffer = io.StringIO()
            context = MigrationContext.configure(dialect_name=self.sa_dialect,
                                                 opts={"as_sql": True, "output_buffer": buffer})
            self._alembic = (buffer, Operations(context))
        buffer, operations = self._alembic
        buffer.seek(0)
        buffer.truncate()
        action(operations)
        text = buffer.getvalue()
        return [s.strip() for s in text.split(";\n\n") if s.strip()]

    def q(self, name: str) -> str:
        return self.preparer.quote(name)

    def qt(self, key: str) -> str:
        """A table/view key (`name` or `schema.name`) quoted."""
        schema, _, name = key.rpartition(".")
        return self.preparer.format_table(sa.table(name, schema=schema or None))

    def table(self, key: str, *, desired: bool = True) -> Table:
        first, second = self.tables if desired else self.tables[::-1]
        found = first.get(key) or second.get(key)
        if found is None:
            raise Unrenderable(f"no table {key}")
        return found

    def sa(self, table: Table, *, name: str | None = None, **kw: Any) -> sa.Table:
        return sa_table(table, sa.MetaData(), self.dialect, name=name, **kw)

    def bare(self, table: Table) -> sa.Table:
        return bare_table(table, sa.MetaData(), self.dialect)

    @staticmethod
    def split_key(key: str) -> tuple[str | None, str]:
        schema, _, name = key.rpartition(".")
        return schema or None, name

    # -- shared operations -----------------------------------------------------------

    def r_create_table(self, op: ops.CreateTable) -> list[str]:
        inline = tuple(fk for fk in op.table.foreign_keys if fk not in op.deferred_fks)
        return [self.compile(SaCreateTable(self.sa(op.table, foreign_keys=inline)))]

    def r_drop_table(self, op: ops.DropTable) -> list[str]:
        return [self.compile(SaDropTable(self.bare(op.table)))]

    def r_rename_table(self, op: ops.RenameTable) -> list[str]:
        schema, old = self.split_key(op.old)
        _, new = self.split_key(op.new)
        return self.alter(lambda o: o.rename_table(old, new, schema=schema))

    def r_add_column(self, op: ops.AddColumn) -> list[str]:
        schema, name = self.split_key(op.table)
        column = sa_column(op.column, self.dialect)
        return self.alter(lambda o: o.add_column(name, column, schema=schema))

    def r_drop_column(self, op: ops.DropColumn) -> list[str]:
        schema, name = self.split_key(op.table)
        return self.alter(lambda o: o.drop_column(name, op.column.name, schema=schema))

    def r_rename_column(self, op: ops.RenameColumn) -> list[str]:
        schema, name = self.split_key(op.table)
        return self.alter(lambda o: o.alter_column(name, op.old, new_column_name=op.new, schema=schema))

    def r_fill_column(self, op: ops.FillColumn) -> list[str]:
        table = self.bare(self.table(op.table))
        column = table.c[op.column]
        update = sa.update(table).values({column: sa.literal_column(op.value)}).where(column.is_(None))
        return [self.compile(update)]

    def r_create_index(self, op: ops.CreateIndex) -> list[str]:
        table = self.bare(self.table(op.table))
        kw = {"postgresql_concurrently": True} if op.concurrently else {}
        return [self.compile(SaCreateIndex(sa_index(op.index, table, **kw)))]

    def r_drop_index(self, op: ops.DropIndex) -> list[str]:
        table = self.bare(self.table(op.table, desired=False))
        kw = {"postgresql_concurrently": True} if op.concurrently else {}
        return [self.compile(SaDropIndex(sa_index(op.index, table, **kw), if_exists=op.concurrently))]

    def r_drop_view(self, op: ops.DropView) -> list[str]:
        kind = "MATERIALIZED VIEW" if op.view.materialized else "VIEW"
        return [f"DROP {kind} {self.qt(op.view.key)}"]

    def r_create_view(self, op: ops.CreateView) -> list[str]:
        kind = "MATERIALIZED VIEW" if op.view.materialized else "VIEW"
        return [f"CREATE {kind} {self.qt(op.view.key)} AS {op.view.definition.rstrip().rstrip(';')}"]
