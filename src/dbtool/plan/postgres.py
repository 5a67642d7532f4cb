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
)
from dbtool.plan import ops
from dbtool.plan.delta import TableDelta, order_parents_first
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


class PostgresPlanner(Planner):
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
            if otype in (ObjectType.SEQUENCE, ObjectType.EXTENSION):
                return f"changing a {otype.value} is not planned"
            if otype is ObjectType.PUBLICATION and change.field != "tables":
                return "changing a publication's operations or scope is not planned"
            if otype is ObjectType.ENUM and not _only_added(change.actual, change.expected):
                return "PostgreSQL can add enum values but not remove or reorder them"
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
        self._objects_before()
        deltas = self.layout.deltas
        touched = {k for k, d in deltas.items() if d.dropped_columns
                   or any("type" in c.fields for c in d.changed_columns)}
        touched |= {t.key for t in self.layout.dropped_tables} | set(self._renamed_tables())
        views = self.dependent_views(touched)
        triggers = self.dependent_triggers({t.key for t in self.layout.dropped_tables})
        self.first += [ops.DropPolicy(k, p) for k, d in sorted(deltas.items()) for p in d.dropped_policies]
        self.first += [ops.DropTrigger(t) for t in triggers] + [ops.DropView(v) for v in views]
        self.first += self.rename_ops  # the other operations name tables as they are after it
        self._constraint_drops(deltas)
        self._new_tables()
        for _, delta in sorted(deltas.items()):
            self._columns(delta)
        for _, delta in sorted(deltas.items()):
            self._constraints(delta, lock_safe)
            self._indexes(delta, lock_safe)
            self._table_flags(delta)
        self.first += [ops.CreateTrigger(t) for t in self.triggers_to_create(triggers, set())]
        self.first += [ops.CreateView(v) for v in self.views_to_create(views)]
        self._objects_after()
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

    # -- schema objects ------------------------------------------------------------------

    def _changed(self, otype: ObjectType) -> list[Change]:
        return [c for c in self.changes if c.object_type is otype]

    def _objects_before(self) -> None:
        for change in self._changed(ObjectType.EXTENSION):
            if change.kind is ChangeKind.MISSING:
                self.first.append(ops.CreateExtension(change.expected))
            elif change.kind is ChangeKind.EXTRA:
                self.late.append(ops.DropExtension(change.actual))
        for change in self._changed(ObjectType.ENUM):
            if change.kind is ChangeKind.MISSING:
                self.first.append(ops.CreateEnum(change.expected))
            elif change.kind is ChangeKind.EXTRA:
                self.late.append(ops.DropEnum(change.actual))
            else:
                self.first += _enum_additions(self.desired, change)
        for change in self._changed(ObjectType.SEQUENCE):
            if change.kind is ChangeKind.MISSING:
                self.first.append(ops.CreateSequence(change.expected))
            elif change.kind is ChangeKind.EXTRA:
                self.late.append(ops.DropSequence(change.actual))
        for change in self._changed(ObjectType.FUNCTION):
            if change.kind is ChangeKind.MISSING:
                self.first.append(ops.CreateFunction(change.expected))
            elif change.kind is ChangeKind.EXTRA:
                self.late.append(ops.DropFunction(change.actual))
        changed_functions = {c.path[0] for c in self._changed(ObjectType.FUNCTION) if c.kind is ChangeKind.CHANGED}
        for key in sorted(changed_functions):
            function = next(f for f in self.desired.functions if f.key == key)
            fields = {c.field for c in self._changed(ObjectType.FUNCTION) if c.path[0] == key}
            if fields & {"returns", "kind"}:
                old = next(f for f in self.current.functions if f.key == key)
                self.first += [ops.DropFunction(old), ops.CreateFunction(function)]
            else:
                self.first.append(ops.CreateFunction(function, replace=True))

    def _objects_after(self) -> None:
        for change in self.changes:
            if change.object_type is ObjectType.COMMENT and change.field == "comment":
                self._comment(change)
        for change in self._changed(ObjectType.PUBLICATION):
            if change.kind is ChangeKind.MISSING:
                self.late.append(ops.CreatePublication(change.expected))
            elif change.kind is ChangeKind.EXTRA:
                self.late.append(ops.DropPublication(change.actual))
            else:
                old, new = set(change.actual), set(change.expected)
                name = change.path[0]
                self.late += [ops.PublishTable(name, t, False) for t in sorted(old - new)]
                self.late += [ops.PublishTable(name, t) for t in sorted(new - old)]

    def _comment(self, change: Change) -> None:
        key = change.path[0]
        if len(change.path) == 2:
            self.first.append(ops.SetComment("column", key, change.expected, change.path[1]))
        elif key in self.des:
            self.first.append(ops.SetComment("table", key, change.expected))
        elif any(v.key == key for v in self.desired.views):
            view = next(v for v in self.desired.views if v.key == key)
            self.first.append(ops.SetComment("materialized view" if view.materialized else "view",
                                             key, change.expected))
        else:
            self.first.append(ops.SetComment("function", key, change.expected))

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
            deferred = tuple(fk for fk in table.foreign_keys
                             if fk.ref_key in new and fk.ref_key not in made and fk.ref_key != table.key)
            self.first.append(ops.CreateTable(table, deferred))
            later += [ops.AddConstraint(table.key, self._named(table, fk)) for fk in deferred]
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
        for constraint in delta.added:
            constraint = self._named(table, constraint)
            if isinstance(constraint, UniqueConstraint) and lock_safe:
                index = Index(constraint.name or "", tuple(IndexColumn(c) for c in constraint.columns), unique=True)
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


def _only_added(old: tuple[str, ...] | None, new: tuple[str, ...] | None) -> bool:
    """The new value list keeps the old values in their order (values only added)."""
    old, new = tuple(old or ()), tuple(new or ())
    it = iter(new)
    return all(value in it for value in old)


def _enum_additions(desired: Any, change: Change) -> list[ops.Op]:
    enum = next(e for e in desired.enums if e.key == change.path[0])
    old = list(change.actual or ())
    out: list[ops.Op] = []
    for i, value in enumerate(enum.values):
        if value not in old:
            out.append(ops.AddEnumValue(enum, value, after=enum.values[i - 1] if i else None,
                                        before=None if i else (old[0] if old else None)))
    return out
