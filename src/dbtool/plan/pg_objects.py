"""Postgres: the schema objects around the tables, planned in dependency order.

A mixin of `PostgresPlanner` (split out to keep each module readable). What it
decides:

- functions: `CREATE OR REPLACE` when the signature stays; when it changes
  (return type, kind, or argument list of a function whose name stays) the old
  one is dropped first, with everything that depends on it -- triggers calling
  it, views and policies naming it -- dropped before and recreated after;
- enums: `ADD VALUE` when values are only added; otherwise the type is
  recreated and its columns converted through text (`RecreateEnum`), refused
  as destructive without --allow-drop when a value is removed (a row holding
  it cannot be converted);
- sequences (`ALTER SEQUENCE`), publications (membership and operations),
  comments (also on views and functions the plan creates), and grants: a
  changed grant is revoked and granted again; an object the plan creates gets
  its declared grants explicitly, because what it gets by default depends on
  the database's default privileges, which the model does not hold.
"""

from __future__ import annotations

from typing import Any

from dbtool.diff import Change, ChangeKind, ObjectType
from dbtool.model import Enum, Function, Grant, Policy, Schema, Table, View
from dbtool.plan import ops
from dbtool.plan.renames import mentions

# The privileges GRANT ALL gives, by the kind of object (what `ALL` abbreviates).
_ALL = {"function": ("EXECUTE",), "sequence": ("USAGE", "SELECT", "UPDATE")}


class PgObjects:
    """Object planning shared by `PostgresPlanner.build` (see the module docstring)."""

    current: Schema
    desired: Schema
    changes: list[Change]
    first: list[ops.Op]
    late: list[ops.Op]
    des: dict[str, Table]
    cur: dict[str, Table]
    options: Any

    def _changed(self, otype: ObjectType) -> list[Change]:
        return [c for c in self.changes if c.object_type is otype]

    # -- safety ------------------------------------------------------------------------

    def check_objects(self) -> None:
        """Enum values removed lose the rows holding them: refused unless --allow-drop."""
        for change in self._changed(ObjectType.ENUM):
            if change.kind is ChangeKind.CHANGED and not self.options.allow_drop:
                gone = [v for v in change.actual or () if v not in (change.expected or ())]
                if gone:
                    self.refuse("destructive", f"{self.options.desired} removes value(s) "
                                f"{', '.join(repr(v) for v in gone)} from enum {change.path[0]}: a row "
                                "holding one cannot be converted", "pass --allow-drop if that is intended")

    # -- functions -----------------------------------------------------------------------

    def recreated_functions(self) -> list[tuple[Function, Function]]:
        """(old, new) functions whose signature changes, so CREATE OR REPLACE cannot serve:
        return type, kind or parameter defaults changed, or the same name with other arguments."""
        out: list[tuple[Function, Function]] = []
        old_by_key = {f.key: f for f in self.current.functions}
        new_by_key = {f.key: f for f in self.desired.functions}
        for change in self._changed(ObjectType.FUNCTION):
            key = change.path[0]
            if change.kind is ChangeKind.CHANGED and change.field in ("returns", "kind", "signature"):
                pair = (old_by_key[key], new_by_key[key])
                if pair not in out:
                    out.append(pair)
        missing = [c.expected for c in self._changed(ObjectType.FUNCTION) if c.kind is ChangeKind.MISSING]
        for change in self._changed(ObjectType.FUNCTION):
            if change.kind is ChangeKind.EXTRA:
                twin = next((f for f in missing if (f.name, f.schema) == (change.actual.name, change.actual.schema)), None)
                if twin is not None:
                    out.append((change.actual, twin))
        return out

    def dropped_function_names(self) -> set[str]:
        """Names of functions dropped or recreated: their dependents go first."""
        names = {old.name for old, _ in self.recreated_functions()}
        return names | {c.actual.name for c in self._changed(ObjectType.FUNCTION) if c.kind is ChangeKind.EXTRA}

    def function_ops(self) -> tuple[list[ops.Op], list[ops.Op]]:
        """(new functions and replaced bodies, drop-and-create of changed signatures)."""
        recreated = self.recreated_functions()
        paired_new = {new.key for _, new in recreated}
        paired_old = {old.key for old, _ in recreated}
        early: list[ops.Op] = []
        for change in self._changed(ObjectType.FUNCTION):
            if change.kind is ChangeKind.MISSING and change.path[0] not in paired_new:
                early.append(ops.CreateFunction(change.expected))
            elif change.kind is ChangeKind.EXTRA and change.path[0] not in paired_old:
                self.late.append(ops.DropFunction(change.actual))
        replaced = sorted({c.path[0] for c in self._changed(ObjectType.FUNCTION)
                           if c.kind is ChangeKind.CHANGED} - paired_new)
        new_by_key = {f.key: f for f in self.desired.functions}
        early += [ops.CreateFunction(new_by_key[k], replace=True) for k in replaced]
        swap: list[ops.Op] = [ops.DropFunction(old) for old, _ in recreated]
        swap += [ops.CreateFunction(new) for _, new in recreated]
        return early, swap

    # -- enums ---------------------------------------------------------------------------

    def enum_ops(self) -> tuple[list[ops.Op], list[ops.RecreateEnum]]:
        """(new enums and added values, recreated enums)."""
        early: list[ops.Op] = []
        recreate: list[ops.RecreateEnum] = []
        for change in self._changed(ObjectType.ENUM):
            if change.kind is ChangeKind.MISSING:
                early.append(ops.CreateEnum(change.expected))
            elif change.kind is ChangeKind.EXTRA:
                self.late.append(ops.DropEnum(change.actual))
            elif only_added(change.actual, change.expected):
                early += enum_additions(self.desired, change)
            else:
                old = next(e for e in self.current.enums if e.key == change.path[0])
                new = next(e for e in self.desired.enums if e.key == change.path[0])
                recreate.append(ops.RecreateEnum(old, new, tuple(self._enum_columns(old))))
        return early, recreate

    def _enum_columns(self, enum: Enum) -> list[tuple[str, str, str | None]]:
        names = {enum.name.casefold(), enum.key.casefold(), f"public.{enum.name}".casefold()}
        return [(t.key, c.name, c.default) for t in self.current.tables if t.key in self.des
                for c in t.columns if c.type.casefold().removesuffix("[]") in names]

    # -- sequences, publications, comments -------------------------------------------------

    def sequence_ops(self) -> list[ops.Op]:
        out: list[ops.Op] = []
        new_by_key = {s.key: s for s in self.desired.sequences}
        old_by_key = {s.key: s for s in self.current.sequences}
        for change in self._changed(ObjectType.SEQUENCE):
            if change.kind is ChangeKind.MISSING:
                out.append(ops.CreateSequence(change.expected))
            elif change.kind is ChangeKind.EXTRA:
                self.late.append(ops.DropSequence(change.actual))
        altered = sorted({c.path[0] for c in self._changed(ObjectType.SEQUENCE) if c.kind is ChangeKind.CHANGED})
        out += [ops.AlterSequence(old_by_key[k], new_by_key[k]) for k in altered]
        return out

    def publication_ops(self) -> list[ops.Op]:
        out: list[ops.Op] = []
        by_key = {p.key: p for p in self.desired.publications}
        for change in self._changed(ObjectType.PUBLICATION):
            if change.kind is ChangeKind.MISSING:
                out.append(ops.CreatePublication(change.expected))
            elif change.kind is ChangeKind.EXTRA:
                out.append(ops.DropPublication(change.actual))
            elif change.field == "tables":
                old, new = set(change.actual), set(change.expected)
                out += [ops.PublishTable(change.path[0], t, False) for t in sorted(old - new)]
                out += [ops.PublishTable(change.path[0], t) for t in sorted(new - old)]
            elif change.field == "operations":
                out.append(ops.AlterPublication(by_key[change.path[0]]))
            elif change.field == "all_tables":
                old = next(p for p in self.current.publications if p.key == change.path[0])
                out += [ops.DropPublication(old), ops.CreatePublication(by_key[change.path[0]])]
        return out

    def comment_ops(self, created: set[str]) -> list[ops.Op]:
        """Changed comments, except on objects the plan creates (those get theirs anew)."""
        return [self._comment(c) for c in self.changes
                if c.object_type is ObjectType.COMMENT and c.field == "comment" and c.path[0] not in created]

    def _comment(self, change: Change) -> ops.Op:
        key = change.path[0]
        if len(change.path) == 2:
            return ops.SetComment("column", key, change.expected, change.path[1])
        if key in self.des:
            return ops.SetComment("table", key, change.expected)
        view = next((v for v in self.desired.views if v.key == key), None)
        if view is not None:
            return ops.SetComment("materialized view" if view.materialized else "view", key, change.expected)
        return ops.SetComment("function", key, change.expected)

    def created_comments(self, views: list[View], functions: list[Function]) -> list[ops.Op]:
        out: list[ops.Op] = [ops.SetComment("materialized view" if v.materialized else "view", v.key, v.comment)
                             for v in views if v.comment]
        return out + [ops.SetComment("function", f.key, f.comment) for f in functions if f.comment]

    # -- policies that depend on something dropped ------------------------------------------

    def dependent_policies(self, names: set[str], columns: dict[str, set[str]]) -> list[tuple[str, Policy]]:
        """Current policies naming a dropped function, or a column whose type changes (Postgres
        refuses ALTER COLUMN TYPE under a policy): dropped first, recreated from the desired
        schema after."""
        out = []
        for table in self.current.tables:
            if table.key not in self.des:
                continue
            watch = names | columns.get(table.key, set())
            out += [(table.key, p) for p in table.policies
                    if watch and (mentions(p.using, watch) or mentions(p.with_check, watch))]
        return out

    def recreate_policies(self, dropped: list[tuple[str, Policy]], already: set[tuple[str, str]]) -> list[ops.Op]:
        out: list[ops.Op] = []
        for key, policy in dropped:
            new = next((p for p in self.des[key].policies if p.name == policy.name), None)
            if new is not None and (key, new.name) not in already:
                out.append(ops.CreatePolicy(key, new))
        return out

    # -- grants -----------------------------------------------------------------------------

    def grant_ops(self, created: dict[str, tuple[str, Any]]) -> list[ops.Op]:
        """Grants of the objects the plan creates (`created`: key -> (kind, object)), then the
        changed grants of the others."""
        roles = self._roles()
        out: list[ops.Op] = []
        for key, (kind, obj) in sorted(created.items()):
            out += grant_all(kind, key, obj.grants, roles[kind == "function"])
        for change in self._changed(ObjectType.GRANT):
            key, role = change.path
            if key in created:
                continue
            kind = self._kind_of(key)
            if change.kind is not ChangeKind.MISSING:
                out.append(ops.RevokePrivileges(kind, key, role))
            if change.kind is not ChangeKind.EXTRA:
                grant = change.expected if isinstance(change.expected, Grant) else Grant(role, change.expected)
                out += _grant(kind, key, role, grant.privileges)
        return out

    def _roles(self) -> tuple[set[str], set[str]]:
        """Roles that hold any grant on a relation, and on a function, in either schema: those
        a new object may have got by default privileges."""
        relations: set[str] = set()
        functions: set[str] = set()
        for schema in (self.current, self.desired):
            for obj in (*schema.tables, *schema.views, *schema.sequences):
                relations |= {g.role for g in obj.grants}
            for function in schema.functions:
                functions |= {g.role for g in function.grants}
        return relations, functions

    def _kind_of(self, key: str) -> str:
        if key in self.des or key in self.cur:
            return "table"
        if any(v.key == key for v in (*self.desired.views, *self.current.views)):
            return "view"
        if any(s.key == key for s in (*self.desired.sequences, *self.current.sequences)):
            return "sequence"
        return "function"


def grant_all(kind: str, key: str, grants: tuple[Grant, ...], roles: set[str]) -> list[ops.Op]:
    """Make a new object's grants exactly `grants`, whatever default privileges gave it:
    a role with every privilege is granted ALL; any other role seen is revoked first."""
    wanted = {g.role: g.privileges for g in grants}
    out: list[ops.Op] = []
    for role in sorted(roles | wanted.keys()):
        privileges = wanted.get(role, ())
        if not _is_all(kind, privileges):
            out.append(ops.RevokePrivileges(kind, key, role))
        out += _grant(kind, key, role, privileges)
    return out


def _is_all(kind: str, privileges: tuple[str, ...]) -> bool:
    return privileges == ("ALL",) or (bool(privileges) and set(privileges) == set(_ALL.get(kind, ("-",))))


def _grant(kind: str, key: str, role: str, privileges: tuple[str, ...]) -> list[ops.Op]:
    plain = tuple(p for p in privileges if not p.endswith(" WITH GRANT OPTION"))
    passed = tuple(p for p in privileges if p.endswith(" WITH GRANT OPTION"))
    return [ops.GrantPrivileges(kind, key, role, group) for group in (plain, passed) if group]


def only_added(old: tuple[str, ...] | None, new: tuple[str, ...] | None) -> bool:
    """The new value list keeps the old values in their order (values only added)."""
    old, new = tuple(old or ()), tuple(new or ())
    it = iter(new)
    return all(value in it for value in old)


def enum_additions(desired: Schema, change: Change) -> list[ops.Op]:
    enum = next(e for e in desired.enums if e.key == change.path[0])
    old = list(change.actual or ())
    out: list[ops.Op] = []
    for i, value in enumerate(enum.values):
        if value not in old:
            out.append(ops.AddEnumValue(enum, value, after=enum.values[i - 1] if i else None,
                                        before=None if i else (old[0] if old else None)))
    return out
