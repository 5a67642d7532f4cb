"""The planner's shared half: safety refusals, table classification, dependent objects.

A dialect planner (`sqlite.py`, `postgres.py`) subclasses `Planner` and
decides the forms: what ALTER TABLE can do, what needs a rebuild, what must
wait for a second file. Everything here is dialect-free: which changes are
destructive (the dialect says whether a type change loses values), which
drops look like renames, which views and triggers depend on a table, and in
what order views can be created.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dbtool.diff import Change, ObjectType
from dbtool.model import Column, Schema, Table, Trigger, View
from dbtool.plan.delta import TableDelta, table_delta
from dbtool.plan.ops import Op
from dbtool.plan.renames import mentions
from dbtool.plan.types import Plan, PlanFile, PlanOptions, Refusal

DESTRUCTIVE_HINT = "pass --allow-drop if that is intended"


@dataclass
class Layout:
    """The schema-level picture both planners start from."""

    new_tables: list[Table] = field(default_factory=list)
    dropped_tables: list[Table] = field(default_factory=list)
    deltas: dict[str, TableDelta] = field(default_factory=dict)


class Planner:
    """Turns (current, desired, changes) into files of operations, or refusals."""

    dialect = "generic"

    def __init__(self, current: Schema, desired: Schema, options: PlanOptions,
                 rename_ops: Iterable[Op] = ()) -> None:
        self.current = current
        self.desired = desired
        self.cur = {t.key: t for t in current.tables}  # Schema.table() scans: look up here
        self.des = {t.key: t for t in desired.tables}
        self.options = options
        self.rename_ops = list(rename_ops)
        self.notices: list[str] = []
        self.refusals: list[Refusal] = []

    # -- entry point -----------------------------------------------------------------

    def plan(self, changes: list[Change]) -> Plan:
        self.changes = changes
        self.layout = self._layout(changes)
        self._check_safety()
        self._check_supported()
        self._check_references()
        self.check_objects()
        if self.refusals:
            return Plan(refusals=self.refusals, notices=self.notices)
        files = [f for f in self.build() if f.operations] if changes or self.rename_ops else []
        return Plan(files=files, refusals=self.refusals, notices=self.notices)

    def build(self) -> list[PlanFile]:  # pragma: no cover - every dialect overrides it
        raise NotImplementedError

    # -- dialect questions (overridden) ---------------------------------------------

    def type_loses_values(self, old: str, new: str) -> bool:
        return old.casefold() != new.casefold()

    def unsupported(self, change: Change) -> str | None:
        """Why this dialect cannot plan `change`, or None."""
        return None

    def check_objects(self) -> None:
        """The dialect's refusals for objects other than tables (none by default)."""

    # -- layout ----------------------------------------------------------------------

    def _layout(self, changes: list[Change]) -> Layout:
        layout = Layout()
        touched = {c.path[0] for c in changes if c.object_type not in _NON_TABLE}
        for key in sorted(touched):
            old, new = self.cur.get(key), self.des.get(key)
            if old is None and new is not None:
                layout.new_tables.append(new)
            elif new is None and old is not None:
                layout.dropped_tables.append(old)
            elif old is not None and new is not None:
                layout.deltas[key] = table_delta(old, new)
        return layout

    # -- safety ----------------------------------------------------------------------

    def _check_safety(self) -> None:
        layout, allow = self.layout, self.options.allow_drop
        new_keys = {t.key for t in layout.new_tables}
        for table in layout.dropped_tables:
            twin = _similar_table(table, layout.new_tables)
            if twin is not None:
                self._rename_or_drop(f"table {table.key} is gone from {self.options.desired} and "
                                     f"table {twin.key} is new", f"--rename {table.key}={twin.key}")
            elif not allow:
                self.refuse("destructive", f"{self.options.desired} drops table {table.key} and every "
                            "row in it", DESTRUCTIVE_HINT)
            for other in self.desired.tables:
                if other.key not in new_keys and any(fk.ref_key == table.key for fk in other.foreign_keys):
                    self.refuse("unsupported", f"table {other.key} still references {table.key}, "
                                f"which {self.options.desired} drops", "remove or change that foreign key too")
        for delta in layout.deltas.values():
            self._column_safety(delta)

    def _column_safety(self, delta: TableDelta) -> None:
        allow = self.options.allow_drop
        for column in delta.dropped_columns:
            twin = next((c for c in delta.added_columns if _same_type(c, column)), None)
            if twin is not None:
                self._rename_or_drop(f"column {delta.key}.{column.name} is gone and "
                                     f"{delta.key}.{twin.name} is new",
                                     f"--rename {delta.key}.{column.name}={twin.name}")
            elif not allow:
                self.refuse("destructive", f"{self.options.desired} drops column "
                            f"{delta.key}.{column.name} and its values", DESTRUCTIVE_HINT)
        for change in delta.changed_columns:
            if (change.old.nullable and not change.new.nullable
                    and self.options.fill(delta.key, change.new.name) is None):
                self.refuse("needs-value", f"column {delta.key}.{change.new.name} becomes NOT NULL, "
                            "so rows holding NULL need a value",
                            f"give one with --fill {delta.key}.{change.new.name}=SQL (e.g. its default)")
            if "type" in change.fields and self.type_loses_values(change.old.type, change.new.type) and not allow:
                self.refuse("destructive", f"changing {delta.key}.{change.new.name} from "
                            f"{change.old.type} to {change.new.type} can lose or reject values",
                            DESTRUCTIVE_HINT)
        for column in delta.added_columns:
            if needs_value(column) and self.options.fill(delta.key, column.name) is None:
                self.refuse("needs-value", f"new column {delta.key}.{column.name} is NOT NULL "
                            "without a default, so existing rows need a value",
                            f"give one with --fill {delta.key}.{column.name}=SQL, or declare a default")

    def _rename_or_drop(self, what: str, rename: str) -> None:
        if self.options.allow_drop:
            self.notices.append(f"{what}: dropped and created as --allow-drop asks "
                                f"(if it is a rename, use {rename})")
            return
        self.refuse("rename", f"{what}: a rename, or a drop and an add?",
                    f"dbtool never guesses: say {rename} to keep the data, or --allow-drop")

    def _check_supported(self) -> None:
        for change in self.changes:
            why = self.unsupported(change)
            if why:
                self.refuse("unsupported", f"{change.describe()}: {why}",
                            "write this part of the migration by hand (`dbtool new`), "
                            "then `dbtool diff` the rest")

    def _check_references(self) -> None:
        """Every foreign key of the desired schema references a key of its parent (both
        engines refuse or break on anything else)."""
        for table in self.desired.tables:
            for fk in table.foreign_keys:
                parent = self.des.get(fk.ref_key)
                if parent is not None and set(fk.ref_columns) not in _keys(parent):
                    self.refuse("invalid", f"foreign key {table.key} ({', '.join(fk.columns)}) references "
                                f"{fk.ref_key} ({', '.join(fk.ref_columns)}), which is not its primary "
                                "key or a unique constraint", f"fix {self.options.desired}")

    def refuse(self, code: str, message: str, hint: str = "") -> None:
        self.refusals.append(Refusal(code, message, hint))

    # -- dependent objects -------------------------------------------------------------

    def changed_keys(self, object_type: ObjectType) -> set[tuple[str, ...]]:
        return {c.path for c in self.changes if c.object_type is object_type}

    def dependent_views(self, tables: set[str], functions: set[str] = frozenset()) -> list[View]:
        """Current views that change, go, or read any of `tables` or call any of `functions`
        (dropped or recreated), and the views reading those."""
        changed = {p[0] for p in self.changed_keys(ObjectType.VIEW)}
        names = tables | functions
        found = {v.key for v in self.current.views if v.key in changed or mentions(v.definition, names)}
        grew = True
        while grew:
            grew = False
            for view in self.current.views:
                if view.key not in found and mentions(view.definition, found):
                    found.add(view.key)
                    grew = True
        return view_order([v for v in self.current.views if v.key in found], reverse=True)

    def dependent_triggers(self, tables: set[str], functions: set[str] = frozenset()) -> list[Trigger]:
        """Current triggers that change, go, sit on or mention any of `tables`, or call one of
        `functions` (dropped or recreated)."""
        changed = self.changed_keys(ObjectType.TRIGGER)
        dropped = {t.key for t in self.layout.dropped_tables}
        return [t for t in self.current.triggers
                if t.table not in dropped
                and (t.key in changed or t.table in tables
                     or mentions(t.body, tables) or mentions(t.condition, tables)
                     or (functions and (mentions((t.function or "").partition("(")[0], functions)
                                        or mentions(t.condition, functions))))]

    def views_to_create(self, dropped: list[View]) -> list[View]:
        gone = {v.key for v in dropped}
        have = {v.key for v in self.current.views}
        return view_order([v for v in self.desired.views if v.key in gone or v.key not in have])

    def triggers_to_create(self, dropped: list[Trigger], rebuilt: set[str]) -> list[Trigger]:
        gone = {t.key for t in dropped}
        have = {t.key for t in self.current.triggers}
        return [t for t in self.desired.triggers
                if t.key in gone or t.key not in have or t.table in rebuilt]


_NON_TABLE = {ObjectType.VIEW, ObjectType.TRIGGER, ObjectType.FUNCTION, ObjectType.ENUM,
              ObjectType.SEQUENCE, ObjectType.EXTENSION, ObjectType.PUBLICATION}


def _keys(table: Table) -> list[set[str]]:
    keys = [set(u.columns) for u in table.uniques]
    if table.primary_key is not None:
        keys.append(set(table.primary_key.columns))
    keys += [{c.name for c in i.columns} for i in table.indexes
             if i.unique and i.where is None and not any(c.expression for c in i.columns)]
    return keys


def needs_value(column: Column) -> bool:
    """A new NOT NULL column nothing fills by itself."""
    return (not column.nullable and column.default is None and column.generated is None
            and column.identity is None)


def _same_type(a: Column, b: Column) -> bool:
    return " ".join(a.type.split()).casefold() == " ".join(b.type.split()).casefold()


def _similar_table(gone: Table, new_tables: list[Table]) -> Table | None:
    """A new table with mostly the same columns: what a rename looks like."""
    names = {c.name for c in gone.columns}
    for table in new_tables:
        other = {c.name for c in table.columns}
        if names and len(names & other) * 2 >= max(len(names), len(other)):
            return table
    return None


def view_order(views: list[View], *, reverse: bool = False) -> list[View]:
    """Views ordered so that a view comes after the views it reads (dropped in reverse)."""
    keys = {v.key for v in views}
    done: list[View] = []
    pending = sorted(views, key=lambda v: v.key)
    while pending:
        placed = {d.key for d in done}
        ready = [v for v in pending if not (mentions(v.definition, keys - placed - {v.key}))] or pending[:1]
        for view in ready:
            done.append(view)
            pending.remove(view)
    return done[::-1] if reverse else done


__all__ = ["DESTRUCTIVE_HINT", "Layout", "Planner", "needs_value", "view_order"]
