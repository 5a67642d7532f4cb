"""SQLite and D1: ALTER TABLE where SQLite can, else a rebuild that loses nothing.

SQLite's ALTER TABLE can add a column (within its rules), rename a table or
column, and drop a column nothing else uses. Every other table change is a
rebuild. A rebuild drops the old table, and on D1 foreign keys are always
enforced (PRAGMA foreign_keys is ignored; on SQLite it is a no-op inside the
file's transaction), so DROP TABLE's implicit DELETE would fire every
child's ON DELETE CASCADE / SET NULL / SET DEFAULT, and a RESTRICT child
fails it outright. So a rebuild takes along, transitively, every table that
references a rebuilt one with such an action: all of them are rebuilt in one
file, their old rows copied before any old table is dropped, children
dropped before parents, and the new tables reference only new tables.

Two ways to set the old rows aside (`RebuildTables.via`):
- "rename": `ALTER TABLE t RENAME TO dbtool_old_t` for every table of the
  group; SQLite rewrites the group's references to follow, so dropping the
  old tables afterwards touches only old tables. One copy per row.
- "copy": when a table outside the group references one inside it (only NO
  ACTION can, by construction), a rename would drag that reference along to
  the old table. The rows are copied into plain holding tables instead, the
  originals dropped and recreated under the same name, and the rows copied
  back. `PRAGMA defer_foreign_keys = on` makes the outside references'
  violations count until commit; copying the rows back resolves every one of
  them (measured: the rename order leaves the count up and the commit fails).

Alembic's batch mode cannot serve here: in offline mode `batch_alter_table(recreate=
"always")` writes `CREATE TABLE _alembic_tmp_p …; INSERT … SELECT … FROM p; DROP TABLE p;
ALTER TABLE _alembic_tmp_p RENAME TO p` for one table at a time -- the textbook rebuild whose
DROP cascades into the children. The sequence is ordered here instead, and each statement in
it is still compiled by SQLAlchemy (CREATE TABLE, INSERT … SELECT, DROP TABLE) or Alembic
(RENAME).
"""

from __future__ import annotations

import re

from dbtool.model import Column, Table
from dbtool.plan.delta import TableDelta, order_parents_first, table_delta
from dbtool.plan.ops import (
    AddColumn,
    ColumnCopy,
    CreateIndex,
    CreateTable,
    CreateTrigger,
    CreateView,
    DeferForeignKeys,
    DropColumn,
    DropIndex,
    DropTable,
    DropTrigger,
    DropView,
    FillColumn,
    Op,
    RebuildTables,
    RebuiltTable,
    RenameColumn,
    RenameTable,
)
from dbtool.plan.planner import Planner
from dbtool.plan.renames import mentions
from dbtool.plan.types import PlanFile

CASCADING = frozenset({"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT"})
_CONSTANT = re.compile(r"""^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|'(?:[^']|'')*'|[xX]'[0-9a-fA-F]*'
                          |NULL|TRUE|FALSE)$""", re.X | re.I)
_AFFINITY_RANK = {"INTEGER": 0, "REAL": 1, "NUMERIC": 2, "TEXT": 3, "BLOB": 4}


def affinity(declared: str) -> str:
    """SQLite's column affinity rules (datatype3.html section 3.1)."""
    upper = declared.upper()
    if "INT" in upper:
        return "INTEGER"
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in upper or not upper.strip():
        return "BLOB"
    if any(word in upper for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


class SqlitePlanner(Planner):
    dialect = "sqlite"
    max_statements: int | None = None  # D1's batch limit, per file

    def type_loses_values(self, old: str, new: str) -> bool:
        """A value can change when the new affinity converts what the old one kept:
        text to a number ('007' -> 7) or a real to an integer-looking value. Text and
        BLOB (no affinity) keep every value; INTEGER fits in REAL and NUMERIC."""
        a, b = affinity(old), affinity(new)
        return not (a == b or b in ("TEXT", "BLOB") or (a == "INTEGER" and b in ("REAL", "NUMERIC")))

    # -- what ALTER TABLE can do -------------------------------------------------------

    def addable(self, column: Column, table: Table) -> bool:
        """ALTER TABLE ADD COLUMN's restrictions (lang_altertable.html)."""
        keyed = table.primary_key and column.name in table.primary_key.columns
        unique = any(column.name in u.columns for u in table.uniques)
        default_ok = column.default is None or bool(_CONSTANT.match(column.default.strip()))
        fill = self.options.fill(table.key, column.name)
        return not (keyed or unique or column.identity or (column.generated and column.generated_stored)
                    or not default_ok or (not column.nullable and column.default is None)
                    or (fill is not None and not column.nullable))

    def droppable(self, column: Column, delta: TableDelta) -> bool:
        """ALTER TABLE DROP COLUMN's restrictions: nothing else in the table uses it."""
        old, name = delta.old, {column.name}
        gone = {i.name for i in delta.dropped_indexes}
        used = (
            (old.primary_key and column.name in old.primary_key.columns)
            or any(column.name in u.columns for u in old.uniques)
            or any(column.name in fk.columns for fk in old.foreign_keys)
            or any(mentions(c.expression, name) for c in old.checks)
            or any(mentions(c.generated, name) for c in old.columns)
            or column.generated is not None
            or any(i.name not in gone and (any(mentions(t.name, name) for t in i.columns)
                                           or mentions(i.where, name)) for i in old.indexes)
            or any(fk.ref_key == old.key and column.name in fk.ref_columns
                   for t in self.current.tables for fk in t.foreign_keys)
        )
        return not used

    def needs_rebuild(self, delta: TableDelta) -> bool:
        return bool(
            delta.options_changed or delta.constraint_changes
            or any(c.fields - {"comment"} for c in delta.changed_columns)
            or any(not self.addable(c, delta.new) for c in delta.added_columns)
            or any(not self.droppable(c, delta) for c in delta.dropped_columns)
        )

    def rebuild_group(self, seed: set[str]) -> set[str]:
        """`seed` and every surviving table reaching it through a cascading foreign key."""
        group = set(seed)
        dropped = {t.key for t in self.layout.dropped_tables}
        grew = True
        while grew:
            grew = False
            for table in self.current.tables:
                if table.key in group or table.key in dropped or table.key not in self.des:
                    continue
                if any(fk.ref_key in group and fk.on_delete.upper() in CASCADING for fk in table.foreign_keys):
                    group.add(table.key)
                    grew = True
        return group

    # -- the plan ----------------------------------------------------------------------

    def build(self) -> list[PlanFile]:
        layout = self.layout
        deltas = dict(layout.deltas)
        seed = {k for k, d in deltas.items() if self.needs_rebuild(d)}
        group = self.rebuild_group(seed)
        for key in group - deltas.keys():
            deltas[key] = table_delta(self.cur[key], self.des[key])
        altered = {k for k, d in deltas.items() if k not in group and d.dropped_columns}
        dropped = {t.key for t in layout.dropped_tables}
        touched = group | altered | dropped | _renamed(self.rename_ops)
        views = self.dependent_views(touched)
        triggers = self.dependent_triggers(touched)
        units: list[list[Op]] = [[DropView(v)] for v in views] + [[DropTrigger(t)] for t in triggers]
        units += [[DropIndex(k, i)] for k, d in sorted(deltas.items()) if k not in group for i in d.dropped_indexes]
        units += [[op] for op in self.rename_ops]
        early, late = self._table_drops(group)
        units += [[op] for op in early] + [[op] for op in self._column_ops(deltas, group)]
        before, after = self._new_table_order(group)
        units += [self._create(t) for t in before]  # a rebuilt table may reference one
        for rebuild in self._rebuild(deltas, group, before):  # with its indexes: never a file without them
            units.append([rebuild, *(CreateIndex(t.new.key, i) for t in rebuild.tables for i in t.new.indexes)])
        units += [self._create(t) for t in after]  # children of rebuilt tables: after their rebuild
        units += [[op] for op in late]
        units += [[CreateIndex(k, i)] for k, d in sorted(deltas.items()) if k not in group for i in d.added_indexes]
        units += [[CreateTrigger(t)] for t in self.triggers_to_create(triggers, group)]
        units += [[CreateView(v)] for v in self.views_to_create(views)]
        prelude: list[Op] = [DeferForeignKeys()] if group or dropped else []
        return self._files(prelude, units)

    def _new_table_order(self, group: set[str]) -> tuple[list[Table], list[Table]]:
        """New tables created before the rebuilds and after them. A new table that references
        a rebuilt one (or a new table created after) is created after the rebuilds: created
        before, it could be in an earlier file than the rebuild (D1 splits a long plan), and
        lint of that file on its own rightly counts it as a table holding rows the parent's
        DROP TABLE cascades into (DL102); its reference would also pin the group's names
        (a "copy" rebuild). A new table a rebuilt table references, directly or through other
        new tables, must exist before the rebuild copies rows into it: created before."""
        new = {t.key: t for t in self.layout.new_tables}
        needed: set[str] = set()
        todo = [fk.ref_key for k in group for fk in self.des[k].foreign_keys if fk.ref_key in new]
        while todo:
            key = todo.pop()
            if key not in needed:
                needed.add(key)
                todo += [fk.ref_key for fk in new[key].foreign_keys if fk.ref_key in new]
        later: set[str] = set()
        grew = True
        while grew:
            grew = False
            for key, table in new.items():
                if key not in needed and key not in later and any(
                        fk.ref_key in group or fk.ref_key in later for fk in table.foreign_keys):
                    later.add(key)
                    grew = True
        tables = self.layout.new_tables
        return [t for t in tables if t.key not in later], [t for t in tables if t.key in later]

    def _table_drops(self, group: set[str]) -> tuple[list[Op], list[Op]]:
        """Dropped tables, children first; those a surviving table references now go after
        the rebuild that removes the reference."""
        tables = order_parents_first(self.layout.dropped_tables)[::-1]
        gone = {t.key for t in tables}
        referenced = {fk.ref_key for t in self.current.tables if t.key not in gone for fk in t.foreign_keys}
        early = [DropTable(t) for t in tables if t.key not in referenced]
        late = [DropTable(t) for t in tables if t.key in referenced]
        return early, late

    def _column_ops(self, deltas: dict[str, TableDelta], group: set[str]) -> list[Op]:
        ops: list[Op] = []
        for key, delta in sorted(deltas.items()):
            if key in group:
                continue
            for column in delta.added_columns:
                ops.append(AddColumn(key, column))
                fill = self.options.fill(key, column.name)
                if fill is not None:
                    ops.append(FillColumn(key, column.name, fill))
            ops += [DropColumn(key, c) for c in delta.dropped_columns]
        return ops

    def _rebuild(self, deltas: dict[str, TableDelta], group: set[str],
                 created: list[Table]) -> list[RebuildTables]:
        """One RebuildTables per connected part of the group (tables linked by a foreign
        key, now or after): independent parts can go to different files."""
        out: list[RebuildTables] = []
        for part in self._components(group):
            members = order_parents_first([deltas[k].new for k in part])
            rebuilt = tuple(RebuiltTable(deltas[t.key].old, t, self._mapping(deltas[t.key])) for t in members)
            outside = any(fk.ref_key in part for t in self._outside(group, created) for fk in t.foreign_keys)
            out.append(RebuildTables(rebuilt, "copy" if outside else "rename"))
        return out

    def _outside(self, group: set[str], created: list[Table]) -> list[Table]:
        """Tables outside the group that exist while it is rebuilt (`created`: the new tables
        created before the rebuilds), as they are then: a reference from one of them pins the
        group's table names."""
        surviving = [t for t in self.current.tables if t.key not in group and t.key in self.des]
        return surviving + created

    def _components(self, group: set[str]) -> list[list[str]]:
        links: dict[str, set[str]] = {k: set() for k in group}
        for tables in (self.cur, self.des):
            for key in group:
                table = tables.get(key)
                for fk in table.foreign_keys if table else ():
                    if fk.ref_key in group and fk.ref_key != key:
                        links[key].add(fk.ref_key)
                        links[fk.ref_key].add(key)
        parts: list[list[str]] = []
        seen: set[str] = set()
        for start in sorted(group):
            if start in seen:
                continue
            part, todo = [], [start]
            while todo:
                key = todo.pop()
                if key not in seen:
                    seen.add(key)
                    part.append(key)
                    todo += sorted(links[key] - seen)
            parts.append(sorted(part))
        return parts

    def _mapping(self, delta: TableDelta) -> tuple[ColumnCopy, ...]:
        """Each new column and the expression over the old row that fills it."""
        old = {c.name: c for c in delta.old.columns}
        out = []
        for column in delta.new.columns:
            if column.generated is not None:
                continue
            fill = self.options.fill(delta.key, column.name)
            if column.name in old and old[column.name].generated is None:
                source = _quote(column.name)
                if fill is not None:
                    source = f"coalesce({source}, {fill})"
                out.append(ColumnCopy(column.name, source))
            elif fill is not None:
                out.append(ColumnCopy(column.name, fill))
        return tuple(out)

    def _create(self, table: Table) -> list[Op]:
        return [CreateTable(table), *(CreateIndex(table.key, i) for i in table.indexes)]

    # -- files ---------------------------------------------------------------------------

    def _files(self, prelude: list[Op], units: list[list[Op]]) -> list[PlanFile]:
        """One file, or on D1 as many as its statement limit needs, split between units."""
        ops = prelude + [op for unit in units for op in unit]
        limit = self.max_statements
        if limit is None or sum(statement_count(op) for op in ops) <= limit:
            return [PlanFile(tuple(ops))]
        files: list[list[Op]] = [[]]
        for unit in units:
            size = sum(statement_count(op) for op in unit)
            current = sum(statement_count(op) for op in prelude + files[-1])
            if files[-1] and current + size > limit:
                files.append([])
            files[-1] += unit
        self.notices.append(f"the plan needs more than {limit} statements, D1's limit per file: "
                            f"it is split into {len(files)} files, applied in order (views and "
                            "triggers it recreates come back in the last one)")
        return [PlanFile(tuple(prelude + f), part=f"part {n}" if n > 1 else "")
                for n, f in enumerate(files, 1)]


class D1Planner(SqlitePlanner):
    dialect = "d1"

    def __init__(self, *args, **kwargs) -> None:
        from dbtool.d1.limits import MAX_STATEMENTS

        super().__init__(*args, **kwargs)
        self.max_statements = MAX_STATEMENTS


def statement_count(op: Op) -> int:
    """Statements the SQLite renderer writes for `op` (see render.sqlite)."""
    if isinstance(op, RebuildTables):
        from dbtool.plan.render.sqlite import counted

        per_table, per_counter = (4, 2) if op.via == "rename" else (6, 4)
        return per_table * len(op.tables) + per_counter * sum(1 for t in op.tables if counted(t))
    return 1


def _renamed(ops: list[Op]) -> set[str]:
    """Tables a rename touches: both names of a renamed table, the table of a renamed column."""
    names: set[str] = set()
    for op in ops:
        if isinstance(op, RenameTable):
            names |= {op.old, op.new}
        elif isinstance(op, RenameColumn):
            names.add(op.table)
    return names


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
