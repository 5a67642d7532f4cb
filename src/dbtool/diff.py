"""Compare two schema models: typed changes, and only real ones.

`diff(expected, actual)` is pure. Objects are matched by key; every compared
field is first put in canonical form (types case- and space-insensitive,
expressions through the SQL token normaliser, function bodies
whitespace-collapsed), so a difference in spelling is never drift. Unnamed
or engine-named constraints are matched by content, so a constraint that
differs only in a generated name (`t_a_check` vs `t_a_check1`) is no change.
Whole objects are never compared as raw SQL when a structured comparison
exists.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .model import (
    CheckConstraint,
    Column,
    Enum,
    Extension,
    ForeignKey,
    Function,
    Grant,
    Index,
    Policy,
    PrimaryKey,
    Publication,
    Schema,
    Table,
    Trigger,
    UniqueConstraint,
    View,
    to_plain,
)
from .model import (
    Sequence as SequenceModel,
)
from .sql.normalize import collapse_ws, normalize_sql


class ChangeKind(enum.StrEnum):
    MISSING = "missing"  # expected, but not in the actual database
    EXTRA = "extra"  # in the actual database, not expected
    CHANGED = "changed"


class ObjectType(enum.StrEnum):
    TABLE = "table"
    COLUMN = "column"
    PRIMARY_KEY = "primary_key"
    UNIQUE = "unique"
    CHECK = "check"
    FOREIGN_KEY = "foreign_key"
    INDEX = "index"
    RLS = "rls"
    POLICY = "policy"
    COMMENT = "comment"
    VIEW = "view"
    TRIGGER = "trigger"
    FUNCTION = "function"
    ENUM = "enum"
    SEQUENCE = "sequence"
    EXTENSION = "extension"
    PUBLICATION = "publication"
    GRANT = "grant"  # path: (object key, role)
    UNCOMPARED = "uncompared"  # path: (kind,); objects the model does not hold, by count


_TYPE_ORDER = {t: i for i, t in enumerate(ObjectType)}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference. `expected`/`actual` hold the field's values for CHANGED,
    and the whole model object on the side that has it for MISSING/EXTRA."""

    kind: ChangeKind
    object_type: ObjectType
    path: tuple[str, ...]
    field: str | None = None
    expected: Any = None
    actual: Any = None

    @property
    def name(self) -> str:
        """The object's display name: `users.email`, `posts (author_id)`, `users to anon`."""
        if self.object_type is ObjectType.GRANT:
            return f"on {self.path[0]} to {self.path[1]}"
        text = self.path[0] if self.path else ""
        for part in self.path[1:]:
            text += f" {part}" if part.startswith("(") else f".{part}"
        return text

    def describe(self) -> str:
        """One line: `column users.email: type changed TEXT -> VARCHAR(10)`."""
        head = f"{self.object_type.value.replace('_', ' ')} {self.name}"
        if self.object_type is ObjectType.UNCOMPARED:
            return (f"{self.name}: {self.expected} expected, {self.actual} found (compared by count "
                    "only: the schema model does not hold them)")
        if self.kind is ChangeKind.CHANGED:
            return f"{head}: {self.field} changed {_fmt(self.expected)} -> {_fmt(self.actual)}"
        return f"{head}: {self.kind.value}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value, "object_type": self.object_type.value,
            "path": list(self.path), "field": self.field,
            "expected": to_plain(self.expected), "actual": to_plain(self.actual),
            "description": self.describe(),
        }


def _fmt(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if hasattr(value, "render"):
        return value.render()
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


# --- canonical forms -------------------------------------------------------------

Canon = Callable[[Any], Any]


def _expr(value: str | None) -> str | None:
    return normalize_sql(value, strip_parens=True)


def _sql(value: str | None) -> str | None:
    return normalize_sql(value)


def _query(value: str | None) -> str | None:
    """A view's query: a trailing semicolon is spelling, not meaning."""
    return normalize_sql(value.rstrip().rstrip(";") if value else value)


def _fold(value: str | None) -> str | None:
    return None if value is None else " ".join(value.split()).casefold()


def _index_columns(cols: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        (_expr(c.name) if c.expression else c.name, c.expression, c.descending, c.nulls_first,
         _fold(c.collation), _fold(c.opclass))
        for c in cols
    )


def _same(value: Any) -> Any:
    return value


# The compared fields of each object, with their canonical form. Names,
# comments and children are handled separately.
_FIELDS: dict[type, dict[str, Canon]] = {
    Column: {"type": _fold, "nullable": _same, "default": _expr, "generated": _expr,
             "generated_stored": _same, "identity": _fold, "collation": _fold},
    PrimaryKey: {"columns": _same},
    UniqueConstraint: {"columns": _same, "nulls_not_distinct": _same},
    CheckConstraint: {"expression": _expr, "not_valid": _same, "no_inherit": _same},
    ForeignKey: {"columns": _same, "ref_table": _same, "ref_schema": _same,
                 "ref_columns": _same, "on_delete": _fold, "on_update": _fold,
                 "deferrable": _same, "initially_deferred": _same, "not_valid": _same},
    Index: {"columns": _index_columns, "unique": _same, "where": _expr, "method": _fold,
            "include": _same, "nulls_not_distinct": _same},
    Policy: {"command": _fold, "permissive": _same, "roles": _same, "using": _expr,
             "with_check": _expr},
    View: {"definition": _query, "materialized": _same, "security_invoker": _same},
    Trigger: {"timing": _fold, "events": _same, "for_each": _fold, "columns": _same,
              "condition": _expr, "function": _sql, "body": _sql},
    Function: {"returns": _fold, "language": _same, "kind": _same, "body": collapse_ws,
               "security_definer": _same, "volatility": _fold, "strict": _same,
               "config": _same, "signature": collapse_ws},
    Enum: {"values": _same},
    SequenceModel: {"data_type": _fold, "start": _same, "increment": _same,
                    "min_value": _same, "max_value": _same, "cache": _same, "cycle": _same},
    Extension: {"schema": _same},
    Publication: {"tables": _same, "all_tables": _same, "operations": _same},
    Grant: {"privileges": _same},
}


def _content(obj: Any) -> tuple[Any, ...]:
    return tuple(canon(getattr(obj, f)) for f, canon in _FIELDS[type(obj)].items())


def _anonymous(obj: Any) -> bool:
    return getattr(obj, "name", None) is None or bool(getattr(obj, "name_generated", False))


def _compare(e: Any, a: Any, otype: ObjectType, path: tuple[str, ...]) -> list[Change]:
    """Field-by-field changes between two matched objects."""
    out = [
        Change(ChangeKind.CHANGED, otype, path, f, getattr(e, f), getattr(a, f))
        for f, canon in _FIELDS[type(e)].items()
        if canon(getattr(e, f)) != canon(getattr(a, f))
    ]
    if hasattr(e, "name_generated") and e.name != a.name and not (_anonymous(e) and _anonymous(a)):
        out.append(Change(ChangeKind.CHANGED, otype, path, "name", e.name, a.name))
    return out


# --- matching --------------------------------------------------------------------


def _take(exp: list[Any], act: list[Any], pairs: list[tuple[Any, Any]],
          same: Callable[[Any, Any], bool]) -> None:
    for e in list(exp):
        a = next((a for a in act if same(e, a)), None)
        if a is not None:
            pairs.append((e, a))
            exp.remove(e)
            act.remove(a)


def _unique_key_pairs(exp: list[Any], act: list[Any], pairs: list[tuple[Any, Any]],
                      natural: Callable[[Any], Any]) -> None:
    """Pair leftovers whose natural key occurs exactly once on each side."""
    for e in list(exp):
        key = natural(e)
        es = [x for x in exp if natural(x) == key]
        as_ = [x for x in act if natural(x) == key]
        if len(es) == 1 and len(as_) == 1:
            pairs.append((e, as_[0]))
            exp.remove(e)
            act.remove(as_[0])


def match(expected: Sequence[Any], actual: Sequence[Any], natural: Callable[[Any], Any]
          ) -> tuple[list[tuple[Any, Any]], list[Any], list[Any]]:
    """Pair constraints/indexes: identical, then same content with engine-chosen
    names, then same name, then same content, then same natural key."""
    exp, act = list(expected), list(actual)
    pairs: list[tuple[Any, Any]] = []
    _take(exp, act, pairs, lambda e, a: e == a)
    _take(exp, act, pairs, lambda e, a: _anonymous(e) and _anonymous(a) and _content(e) == _content(a))
    _take(exp, act, pairs, lambda e, a: e.name is not None and e.name == a.name)
    _take(exp, act, pairs, lambda e, a: _content(e) == _content(a))
    _unique_key_pairs(exp, act, pairs, natural)
    return pairs, exp, act


def _label(obj: Any) -> str:
    """The constraint's name, or for an unnamed one a description of its content."""
    if obj.name is not None:
        return str(obj.name)
    if isinstance(obj, CheckConstraint):
        return f"({obj.expression})"
    return "(" + ", ".join(obj.columns) + ")"


def _diff_matched(expected: Sequence[Any], actual: Sequence[Any], otype: ObjectType,
                  table: str, natural: Callable[[Any], Any]) -> list[Change]:
    pairs, missing, extra = match(expected, actual, natural)
    out = [c for e, a in pairs
           for c in _compare(e, a, otype, (table, _label(a if e.name is None and a.name else e)))]
    out += [Change(ChangeKind.MISSING, otype, (table, _label(e)), expected=e) for e in missing]
    out += [Change(ChangeKind.EXTRA, otype, (table, _label(a)), actual=a) for a in extra]
    return out


def _diff_keyed(expected: Iterable[Any], actual: Iterable[Any], otype: ObjectType,
                key: Callable[[Any], tuple[str, ...]],
                compare: Callable[[Any, Any], list[Change]] | None = None) -> list[Change]:
    """Set arithmetic by key; `compare` diffs the objects present on both sides."""
    exp = {key(o): o for o in expected}
    act = {key(o): o for o in actual}
    out = [Change(ChangeKind.MISSING, otype, k, expected=o) for k, o in exp.items() if k not in act]
    out += [Change(ChangeKind.EXTRA, otype, k, actual=o) for k, o in act.items() if k not in exp]
    for k in exp.keys() & act.keys():
        if exp[k] == act[k]:
            continue  # identical objects: nothing to canonicalise (most of a large schema)
        out += compare(exp[k], act[k]) if compare else _compare(exp[k], act[k], otype, k)
    return out


def _grants(key: str, e: Any, a: Any) -> list[Change]:
    """Per role: grants missing, extra, or with other privileges (tables, views, functions,
    sequences)."""
    return _diff_keyed(e.grants, a.grants, ObjectType.GRANT, lambda g: (key, g.role))


def _comment(path: tuple[str, ...], e: str | None, a: str | None) -> list[Change]:
    if (e or None) == (a or None):
        return []
    return [Change(ChangeKind.CHANGED, ObjectType.COMMENT, path, "comment", e, a)]


# --- tables and schema ------------------------------------------------------------


def _diff_columns(e: Table, a: Table) -> list[Change]:
    def compare(ec: Column, ac: Column) -> list[Change]:
        path = (e.key, ec.name)
        return _compare(ec, ac, ObjectType.COLUMN, path) + _comment(path, ec.comment, ac.comment)

    return _diff_keyed(e.columns, a.columns, ObjectType.COLUMN, lambda c: (e.key, c.name), compare)


def _diff_primary_key(e: Table, a: Table) -> list[Change]:
    path = (e.key,)
    if e.primary_key and a.primary_key:
        return _compare(e.primary_key, a.primary_key, ObjectType.PRIMARY_KEY, path)
    if e.primary_key:
        return [Change(ChangeKind.MISSING, ObjectType.PRIMARY_KEY, path, expected=e.primary_key)]
    if a.primary_key:
        return [Change(ChangeKind.EXTRA, ObjectType.PRIMARY_KEY, path, actual=a.primary_key)]
    return []


def _table_flags(e: Table, a: Table) -> list[Change]:
    path = (e.key,)
    out = []
    if e.options != a.options:
        out.append(Change(ChangeKind.CHANGED, ObjectType.TABLE, path, "options", e.options, a.options))
    for attr, field in (("rls_enabled", "enabled"), ("rls_forced", "forced")):
        if getattr(e, attr) != getattr(a, attr):
            out.append(Change(ChangeKind.CHANGED, ObjectType.RLS, path, field,
                              getattr(e, attr), getattr(a, attr)))
    return out + _comment(path, e.comment, a.comment)


def _diff_table(e: Table, a: Table) -> list[Change]:
    key = e.key
    return [
        *_table_flags(e, a),
        *_diff_columns(e, a),
        *_diff_primary_key(e, a),
        *_diff_matched(e.uniques, a.uniques, ObjectType.UNIQUE, key, lambda _: ()),
        *_diff_matched(e.checks, a.checks, ObjectType.CHECK, key, lambda _: ()),
        *_diff_matched(e.foreign_keys, a.foreign_keys, ObjectType.FOREIGN_KEY, key,
                       lambda f: (f.columns, f.ref_key)),
        *_diff_matched(e.indexes, a.indexes, ObjectType.INDEX, key, lambda i: i.name),
        *_diff_keyed(e.policies, a.policies, ObjectType.POLICY, lambda p: (key, p.name)),
        *_grants(key, e, a),
    ]


def _with_comment(otype: ObjectType) -> Callable[[Any, Any], list[Change]]:
    def compare(e: Any, a: Any) -> list[Change]:
        path = (e.key,)
        return _compare(e, a, otype, path) + _comment(path, e.comment, a.comment) + _grants(e.key, e, a)

    return compare


def _with_grants(otype: ObjectType) -> Callable[[Any, Any], list[Change]]:
    def compare(e: Any, a: Any) -> list[Change]:
        return _compare(e, a, otype, (e.key,)) + _grants(e.key, e, a)

    return compare


def _one(key: Callable[[Any], str]) -> Callable[[Any], tuple[str, ...]]:
    return lambda o: (key(o),)


def diff(expected: Schema, actual: Schema) -> list[Change]:
    """Every difference between `expected` (e.g. the snapshot) and `actual`
    (e.g. the live database), in a deterministic order."""
    tables = _diff_keyed(expected.tables, actual.tables, ObjectType.TABLE,
                         _one(lambda t: t.key), _diff_table)
    gone = {c.path[0] for c in tables if c.object_type is ObjectType.TABLE and c.kind is not ChangeKind.CHANGED}
    triggers = [c for c in _diff_keyed(expected.triggers, actual.triggers, ObjectType.TRIGGER,
                                       lambda t: t.key)
                if c.path[0] not in gone]  # dropping a table drops its triggers: one change
    changes = [
        *tables, *triggers,
        *_diff_keyed(expected.views, actual.views, ObjectType.VIEW, _one(lambda v: v.key),
                     _with_comment(ObjectType.VIEW)),
        *_diff_keyed(expected.functions, actual.functions, ObjectType.FUNCTION,
                     _one(lambda f: f.key), _with_comment(ObjectType.FUNCTION)),
        *_diff_keyed(expected.enums, actual.enums, ObjectType.ENUM, _one(lambda o: o.key)),
        *_diff_keyed(expected.sequences, actual.sequences, ObjectType.SEQUENCE, _one(lambda o: o.key),
                     _with_grants(ObjectType.SEQUENCE)),
        *_diff_keyed(expected.extensions, actual.extensions, ObjectType.EXTENSION, _one(lambda o: o.key)),
        *_diff_keyed(expected.publications, actual.publications, ObjectType.PUBLICATION,
                     _one(lambda o: o.key)),
    ]
    return sorted(changes, key=_order)


def diff_uncompared(expected: Schema, actual: Schema) -> list[Change]:
    """Kinds the model does not hold whose counts differ between two inspected schemas
    (a difference proven by count; equal counts prove nothing, see `not_compared`)."""
    e = {n.kind: n.count for n in expected.not_compared}
    a = {n.kind: n.count for n in actual.not_compared}
    return [Change(ChangeKind.CHANGED, ObjectType.UNCOMPARED, (kind,), "count", e.get(kind, 0), a.get(kind, 0))
            for kind in sorted(e.keys() | a.keys()) if e.get(kind, 0) != a.get(kind, 0)]


def _order(c: Change) -> tuple[Any, ...]:
    return (c.path[:1], _TYPE_ORDER[c.object_type], c.path[1:], c.field or "", c.kind.value)


__all__ = ["Change", "ChangeKind", "ObjectType", "diff", "diff_uncompared", "match"]


# `dbtool.diff(...)` is the public API function of that name (dbtool._command_module).
from dbtool._command_module import make_callable  # noqa: E402

make_callable(__name__)
