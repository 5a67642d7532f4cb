"""Postgres: lock-safe forms by default, in at most two files.

File 1 (transactional) starts with `SET LOCAL lock_timeout`, so a statement
waiting for a busy table's lock fails fast instead of queueing every query
behind it. It holds new tables with their indexes (nobody uses them yet),
ALTERs on existing tables, and foreign keys and CHECKs added `NOT VALID`
(enforced for new rows at once, old rows not scanned under the lock).

File 2 (`-- dbtool:no-transaction`) holds what must not run inside that
transaction: `CREATE/DROP INDEX CONCURRENTLY` on existing tables (no write
lock while the index builds), unique constraints adopted from such an index,
`VALIDATE CONSTRAINT` (a SHARE UPDATE EXCLUSIVE lock: reads and writes go on;
and not in the ADD's transaction, so the ADD's lock is released first), and
SET NOT NULL through a validated `CHECK (col IS NOT NULL)`, which PostgreSQL
12+ uses to skip the scan. `--no-lock-safe` writes the plain forms in one file.

Foreign-key cycles among new tables (scenes <-> prompts): each table is
created with the keys to tables that already exist, and the keys that close
a cycle are added once every table of the cycle exists.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dbtool.diff import Change, ChangeKind, ObjectType
from dbtool.inspect.pg_names import column_addition, make_object_name
from dbtool.model import (
    CheckConstraint,
    ForeignKey,
    Index,
    IndexColumn,
    PrimaryKey,
    Table,
    UniqueConstraint,
    View,
)
from dbtool.plan import ops
from dbtool.plan.delta import TableDelta, order_parents_first
from dbtool.plan.pg_objects import PgObjects
from dbtool.plan.planner import Planner
from dbtool.plan.renames import mentions
from dbtool.plan.types import PlanFile

_UNSUPPORTED_COLUMN = {"identity", "generated", "generated_stored", "collation"}


def pg_type(spelling: str) -> tuple[str, tuple[int, ...]] | None:
    """A type as lint's type rules read it (pglast's parse), or None if it does not parse."""
    from dbtool.sql.postgres import column_defs, parse, type_name

    statement = parse(f"CREATE TABLE t (c {spelling})")
    columns = column_defs(statement.node) if statement.node is not None else []
    return type_name(columns[0].typeName) if columns else None


class PostgresPlanner(PgObjects, Planner):
    dialect = "postgres"

    def type_loses_values(self, old: str, new: str) -> bool:
        from dbtool.lint.rules.types import is_widening

        a, b = pg_type(old), pg_type(new)
        return a is None or b is None or not is_widening(a, b)

    def unsupported(self, change: Change) -> str | None:
        kind, otype = change.kind, change.object_type
        if kind is ChangeKind.CHANGED:
            if otype is ObjectType.COLUMN and change.field in _UNSUPPORTED_COLUMN:
                return f"changing a column's {change.field} is not planned by dbtool diff"
            if otype is ObjectType.TABLE and change.field == "options":
                return "changing table options (UNLOGGED, partitioning) is not planned"
            if otype is ObjectType.EXTENSION:
                return "moving an extension to another schema is not planned"
        if (otype is ObjectType.TABLE and kind is ChangeKind.MISSING
                and any(o.upper().startswith("PARTITION OF") for o in change.expected.options)):
            return "partitions are not planned"
        return None

    # -- the plan ------------------------------------------------------------------------

    def build(self) -> list[PlanFile]:
        self.first: list[ops.Op] = []
        self.second: list[ops.Op] = []
        self.late: list[ops.Op] = []  # end of file 1: drops of functions, enums, ...
        self.names: set[str] = set()
        lock_safe = self.options.lock_safe
        deltas = self.layout.deltas
        self.first += [op for c in self._changed(ObjectType.EXTENSION) for op in _extension(c, self.late)]
        early_enums, recreated_enums = self.enum_ops()
        self.first += early_enums + self.sequence_ops()
        new_functions, swapped = self.function_ops()
        self.first += new_functions
        # columns a policy may not stand on while they change type or go
        retyped = {k: {c.new.name for c in d.changed_columns if "type" in c.fields}
                   | {c.name for c in d.dropped_columns} for k, d in deltas.items()}
        for op in recreated_enums:
            for key, column, _ in op.columns:
                retyped.setdefault(key, set()).add(column)
        touched = {k for k, d in deltas.items() if d.dropped_columns} | {k for k, v in retyped.items() if v}
        touched |= {t.key for t in self.layout.dropped_tables} | set(self._renamed_tables())
        functions = self.dropped_function_names()
        views = self.dependent_views(touched, functions)
        triggers = self.dependent_triggers({t.key for t in self.layout.dropped_tables}, functions)
        policies = [p for p in self.dependent_policies(functions, retyped)
                    if p[1] not in deltas.get(p[0], _NO_DELTA).dropped_policies]
        self.first += [ops.DropPolicy(k, p) for k, d in sorted(deltas.items()) for p in d.dropped_policies]
        self.first += [ops.DropPolicy(k, p) for k, p in policies]
        self.first += [ops.DropTrigger(t) for t in triggers] + [ops.DropView(v) for v in views]
        self.first += self.rename_ops  # the other operations name tables as they are after it
        self.first += swapped + list(recreated_enums)
        self._constraint_drops(deltas)
        self._new_tables()
        for _, delta in sorted(deltas.items()):
            self._columns(delta)
        for _, delta in sorted(deltas.items()):
            self._constraints(delta, lock_safe)
            self._indexes(delta, lock_safe)
            self._table_flags(delta)
        added = {(k, p.name) for k, d in deltas.items() for p in d.added_policies}
        self.first += self.recreate_policies(policies, added)
        self.first += [ops.CreateTrigger(t) for t in self.triggers_to_create(triggers, set())]
        created_views = self.views_to_create(views)
        self.first += [ops.CreateView(v) for v in created_views]
        self._objects_after(created_views)
        first = [ops.SetSetting("lock_timeout", self.options.lock_timeout, local=True),
                 *self._function_bodies(), *self.first, *self.late]
        files = [PlanFile(tuple(first))]
        if self.second:
            second = [ops.SetSetting("lock_timeout", self.options.lock_timeout), *self.second,
                      ops.SetSetting("lock_timeout", None)]
            files.append(PlanFile(tuple(second), transactional=False, part="concurrently"))
        return files

    def _function_bodies(self) -> list[ops.Op]:
        """SQL-language bodies are checked at CREATE time; tables they read may come later
        in the file (pg_dump sets the same)."""
        if any(isinstance(op, ops.CreateFunction) for op in self.first):
            return [ops.SetSetting("check_function_bodies", "off", local=True)]
        return []

    def _renamed_tables(self) -> list[str]:
        return [op.new for op in self.rename_ops if isinstance(op, ops.RenameTable)]

    def _objects_after(self, views: list[View]) -> None:
        """Comments, publications and grants, once every object they name exists."""
        functions = [op.function for op in self.first if isinstance(op, ops.CreateFunction) and not op.replace]
        created: dict[str, tuple[str, Any]] = {t.key: ("table", t) for t in self.layout.new_tables}
        created |= {v.key: ("view", v) for v in views}
        created |= {f.key: ("function", f) for f in functions}
        created |= {op.sequence.key: ("sequence", op.sequence) for op in self.first
                    if isinstance(op, ops.CreateSequence)}
        self.first += self.comment_ops(set(created)) + self.created_comments(views, functions)
        self.late += self.publication_ops()
        self.first += self.grant_ops(created)

    # -- tables ----------------------------------------------------------------------------

    def _table_drops(self) -> None:
        """Children first; a foreign key to a table dropped earlier in that order (a cycle)
        is dropped before the tables."""
        order = order_parents_first(self.layout.dropped_tables)[::-1]
        position = {t.key: i for i, t in enumerate(order)}
        for table in order:
            for fk in table.foreign_keys:
                if fk.ref_key in position and position[fk.ref_key] < position[table.key]:
                    self.first.append(ops.DropConstraint(table.key, fk))
        self.first += [ops.DropTable(t) for t in order]

    def _new_tables(self) -> None:
        tables = order_parents_first(self.layout.new_tables)
        made: set[str] = set()
        new = {t.key for t in tables}
        later: list[ops.Op] = []
        for table in tables:
            invalid = tuple(c for c in (*table.checks, *table.foreign_keys) if c.not_valid)
            if invalid:  # NOT VALID is only kept when added by ALTER TABLE
                table = replace(table, checks=tuple(c for c in table.checks if not c.not_valid),
                                foreign_keys=tuple(f for f in table.foreign_keys if not f.not_valid))
            deferred = tuple(fk for fk in table.foreign_keys
                             if fk.ref_key in new and fk.ref_key not in made and fk.ref_key != table.key)
            self.first.append(ops.CreateTable(table, deferred))
            later += [ops.AddConstraint(table.key, self._named(table, fk)) for fk in deferred]
            later += [ops.AddConstraint(table.key, self._named(table, c), not_valid=True) for c in invalid]
            made.add(table.key)
        self.first += later
        for table in tables:
            self.first += [ops.CreateIndex(table.key, i) for i in table.indexes]
            if table.comment:
                self.first.append(ops.SetComment("table", table.key, table.comment))
            self.first += [ops.SetComment("column", table.key, c.comment, c.name)
                           for c in table.columns if c.comment]
            if table.rls_enabled or table.rls_forced:
                self.first.append(ops.SetRowLevelSecurity(table.key, table.rls_enabled or None,
                                                          table.rls_forced or None))
            self.first += [ops.CreatePolicy(table.key, p) for p in table.policies]

    def _constraint_drops(self, deltas: dict[str, TableDelta]) -> None:
        """Foreign keys first, then the dropped tables (their keys reference the rest), then
        the other constraints: a primary key or unique goes once nothing references it."""
        fks = [(k, c) for k, d in sorted(deltas.items()) for c in d.dropped if isinstance(c, ForeignKey)]
        self.first += [ops.DropConstraint(k, c) for k, c in fks]
        self._table_drops()
        for key, delta in sorted(deltas.items()):
            self.first += [ops.DropConstraint(key, c) for c in delta.dropped if not isinstance(c, ForeignKey)]
            if delta.pk_changed and delta.old.primary_key is not None:
                self.first.append(ops.DropConstraint(key, delta.old.primary_key))

    def _columns(self, delta: TableDelta) -> None:
        key = delta.key
        for column in delta.added_columns:
            fill = self.options.fill(key, column.name)
            if fill is None:
                self.first.append(ops.AddColumn(key, column))
                continue
            self.first += [ops.AddColumn(key, replace(column, nullable=True)), ops.FillColumn(key, column.name, fill)]
            if not column.nullable:
                self._set_not_null(key, column.name)
        for change in delta.changed_columns:
            self._changed_column(key, change)
        self.first += [ops.DropColumn(key, c) for c in delta.dropped_columns]

    def _changed_column(self, key: str, change: Any) -> None:
        old, new, fields = change.old, change.new, change.fields
        if "type" in fields:
            if old.default is not None:
                self.first.append(ops.SetColumnDefault(key, new.name, None))
            self.first.append(ops.AlterColumnType(key, new.name, old.type, new.type))
            if new.default is not None:
                self.first.append(ops.SetColumnDefault(key, new.name, new.default))
        elif "default" in fields:
            self.first.append(ops.SetColumnDefault(key, new.name, new.default))
        if "nullable" in fields:
            fill = self.options.fill(key, new.name)
            if fill is not None:
                self.first.append(ops.FillColumn(key, new.name, fill))
            if new.nullable:
                self.first.append(ops.SetNullable(key, new.name, True))
            else:
                self._set_not_null(key, new.name)

    def _set_not_null(self, key: str, column: str) -> None:
        if not self.options.lock_safe:
            self.first.append(ops.SetNullable(key, column, False))
            return
        table = key.rpartition(".")[2]
        check = CheckConstraint(f'"{column}" IS NOT NULL', make_object_name(table, column, "not_null"))
        self.first.append(ops.AddConstraint(key, check, not_valid=True))
        self.second += [ops.ValidateConstraint(key, check.name or ""),
                        ops.SetNullable(key, column, False, via_check=True),
                        ops.DropConstraint(key, check)]

    def _constraints(self, delta: TableDelta, lock_safe: bool) -> None:
        key, table = delta.key, delta.new
        if delta.pk_changed and table.primary_key is not None:
            self.first.append(ops.AddConstraint(key, self._named(table, table.primary_key)))
        for constraint in delta.validated:
            (self.second if lock_safe else self.first).append(ops.ValidateConstraint(key, constraint.name or ""))
        for constraint in delta.added:
            constraint = self._named(table, constraint)
            if getattr(constraint, "not_valid", False):  # declared NOT VALID: never validated
                self.first.append(ops.AddConstraint(key, constraint, not_valid=True))
            elif isinstance(constraint, UniqueConstraint) and lock_safe:
                index = Index(constraint.name or "", tuple(IndexColumn(c) for c in constraint.columns), unique=True,
                              nulls_not_distinct=constraint.nulls_not_distinct)
                self.second += [ops.CreateIndex(key, index, concurrently=True),
                                ops.AddConstraint(key, constraint, using_index=index.name)]
            elif isinstance(constraint, CheckConstraint | ForeignKey) and lock_safe:
                target = self.second if self._needs_new_unique(constraint) else self.first
                target.append(ops.AddConstraint(key, constraint, not_valid=True))
                self.second.append(ops.ValidateConstraint(key, constraint.name or ""))
            else:
                self.first.append(ops.AddConstraint(key, constraint))

    def _needs_new_unique(self, constraint: Any) -> bool:
        """A foreign key to columns whose unique constraint file 2 builds."""
        if not isinstance(constraint, ForeignKey):
            return False
        delta = self.layout.deltas.get(constraint.ref_key)
        return delta is not None and any(isinstance(c, UniqueConstraint) and c.columns == constraint.ref_columns
                                         for c in delta.added)

    def _indexes(self, delta: TableDelta, lock_safe: bool) -> None:
        key = delta.key
        target = self.second if lock_safe else self.first
        target += [ops.DropIndex(key, i, concurrently=lock_safe) for i in delta.dropped_indexes]
        target += [ops.CreateIndex(key, i, concurrently=lock_safe) for i in delta.added_indexes]

    def _table_flags(self, delta: TableDelta) -> None:
        old, new, key = delta.old, delta.new, delta.key
        enabled = new.rls_enabled if new.rls_enabled != old.rls_enabled else None
        forced = new.rls_forced if new.rls_forced != old.rls_forced else None
        if enabled is not None or forced is not None:
            self.first.append(ops.SetRowLevelSecurity(key, enabled, forced))
        self.first += [ops.CreatePolicy(key, p) for p in delta.added_policies]

    def _named(self, table: Table, constraint: Any) -> Any:
        """The constraint with the name Postgres would give it when the snapshot gives none
        (VALIDATE needs a name; the differ reads such a name as generated)."""
        if constraint.name:
            return constraint
        name = table.name
        if isinstance(constraint, PrimaryKey):
            chosen = make_object_name(name, None, "pkey")
        elif isinstance(constraint, UniqueConstraint):
            chosen = make_object_name(name, column_addition(constraint.columns), "key")
        elif isinstance(constraint, ForeignKey):
            chosen = make_object_name(name, column_addition(constraint.columns), "fkey")
        else:
            used = [c.name for c in table.columns if mentions(constraint.expression, {c.name})]
            chosen = make_object_name(name, used[0] if len(used) == 1 else None, "check")
        base, n = chosen, 0
        taken = self.names | {c.name for c in (*table.uniques, *table.checks, *table.foreign_keys) if c.name}
        while chosen in taken:
            n += 1
            label = {"pkey": "pkey", "key": "key", "fkey": "fkey"}.get(base.rsplit("_", 1)[-1], "check")
            chosen = make_object_name(name, base[len(name) + 1:-len(label) - 1] or None, f"{label}{n}")
        self.names.add(chosen)
        return replace(constraint, name=chosen, name_generated=True)


_NO_DELTA = TableDelta(Table(""), Table(""))


def _extension(change: Change, late: list[ops.Op]) -> list[ops.Op]:
    if change.kind is ChangeKind.MISSING:
        return [ops.CreateExtension(change.expected)]
    if change.kind is ChangeKind.EXTRA:
        late.append(ops.DropExtension(change.actual))
    return []
