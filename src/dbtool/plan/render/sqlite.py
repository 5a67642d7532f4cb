"""SQLite/D1 rendering: the rebuild sequences, PRAGMAs and SQLite triggers."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.schema import CreateTable as SaCreateTable
from sqlalchemy.schema import DropTable as SaDropTable

from dbtool.model import Table
from dbtool.plan import ops
from dbtool.plan.render.base import Renderer
from dbtool.plan.render.ddl import Verbatim

HOLD_PREFIX = "dbtool_old_"  # dbtool_* tables are never part of a service's schema


def hold_name(table: Table) -> str:
    return HOLD_PREFIX + table.name


class SqliteRenderer(Renderer):
    sa_dialect = "sqlite"
    dialect = "sqlite"

    def r_defer_foreign_keys(self, op: ops.DeferForeignKeys) -> list[str]:
        return ["PRAGMA defer_foreign_keys = on"]

    def r_rebuild_tables(self, op: ops.RebuildTables) -> list[str]:
        """See dbtool.plan.sqlite for why these steps, in this order."""
        members = list(op.tables)  # parents first
        out: list[str] = []
        if op.via == "rename":
            out += [s for m in members for s in self.r_rename_table(ops.RenameTable(m.old.key, hold_name(m.old)))]
        else:
            for m in members:
                out.append(self.compile(SaCreateTable(self._holding(m.old))))
                out.append(self._copy(self._holding(m.old), _plain_copy(m.old), m.old.name))
                if counted(m):  # DROP TABLE deletes the counter row by name: keep it aside
                    out.append(f"UPDATE sqlite_sequence SET name = {_lit(hold_name(m.old))} "
                               f"WHERE name = {_lit(m.old.name)}")
            out += [self.compile(SaDropTable(self.bare(m.old))) for m in reversed(members)]
        out += [self.compile(SaCreateTable(self.sa(m.new))) for m in members]
        out += [self._copy(self.bare(m.new), m.mapping, hold_name(m.old)) for m in members]
        out += [s for m in members if counted(m) for s in self._counter(m, op.via)]
        out += [f"DROP TABLE {self.q(hold_name(m.old))}" for m in reversed(members)]
        return out

    def _counter(self, m: ops.RebuiltTable, via: str) -> list[str]:
        """AUTOINCREMENT never reuses an id: the new table's counter (sqlite_sequence) starts
        where the old one was, not at the highest id copied (rows may have been deleted)."""
        old, new = _lit(hold_name(m.old)), _lit(m.new.name)
        seq = f"(SELECT seq FROM sqlite_sequence WHERE name = {old})"
        out = [f"INSERT INTO sqlite_sequence (name, seq) SELECT {new}, seq FROM sqlite_sequence "
               f"WHERE name = {old} AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = {new})",
               f"UPDATE sqlite_sequence SET seq = {seq} WHERE name = {new} AND seq < {seq}"]
        if via == "copy":  # a holding table has no counter of its own: remove the one set aside
            out.append(f"DELETE FROM sqlite_sequence WHERE name = {old}")
        return out

    def _holding(self, table: Table) -> sa.Table:
        """A plain table for the rows: no types (so no affinity converts a value), no keys."""
        columns = [sa.Column(c.name, Verbatim("")) for c in table.columns if c.generated is None]
        return sa.Table(hold_name(table), sa.MetaData(), *columns)

    def _copy(self, target: sa.Table, mapping: tuple[ops.ColumnCopy, ...], source: str) -> str:
        names = [m.column for m in mapping]
        select = sa.select(*(sa.literal_column(m.source) for m in mapping)).select_from(sa.table(source))
        return self.compile(sa.insert(target).from_select(names, select))

    def r_create_trigger(self, op: ops.CreateTrigger) -> list[str]:
        t = op.trigger
        event = " OR ".join(t.events)
        if t.columns:
            event += " OF " + ", ".join(self.q(c) for c in t.columns)
        head = f"CREATE TRIGGER {self.q(t.name)} {t.timing} {event} ON {self.qt(t.table)} FOR EACH ROW"
        if t.condition:
            head += f" WHEN {t.condition}"
        body = (t.body or "").strip()
        if not body.endswith(";"):
            body += ";"
        return [f"{head}\nBEGIN\n    {body}\nEND"]

    def r_drop_trigger(self, op: ops.DropTrigger) -> list[str]:
        return [f"DROP TRIGGER {self.q(op.trigger.name)}"]


def counted(m: ops.RebuiltTable) -> bool:
    """Both versions of the table have an AUTOINCREMENT counter."""
    return all(any(c.identity == "AUTOINCREMENT" for c in t.columns) for t in (m.old, m.new))


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _plain_copy(table: Table) -> tuple[ops.ColumnCopy, ...]:
    return tuple(ops.ColumnCopy(c.name, '"' + c.name.replace('"', '""') + '"')
                 for c in table.columns if c.generated is None)
