"""What changed in one table, as object pairs (old, new) a planner can act on.

The differ's `Change` records say *that* a constraint or index differs; to
write SQL a planner needs the objects themselves. `table_delta` pairs them
with the differ's own matcher (`dbtool.diff.match`), so the planner and the
drift check can never disagree about what counts as the same constraint. A
constraint or index whose content changed appears once as dropped (old) and
once as added (new): neither engine can alter one in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from dbtool.diff import _FIELDS, _content, match
from dbtool.model import Column, Index, Policy, Table


@dataclass
class ColumnChange:
    old: Column
    new: Column
    fields: frozenset[str]


@dataclass
class TableDelta:
    old: Table
    new: Table
    added_columns: list[Column] = field(default_factory=list)
    dropped_columns: list[Column] = field(default_factory=list)
    changed_columns: list[ColumnChange] = field(default_factory=list)
    pk_changed: bool = False
    added: list[Any] = field(default_factory=list)  # uniques, checks, foreign keys (new objects)
    dropped: list[Any] = field(default_factory=list)  # the same kinds (old objects)
    validated: list[Any] = field(default_factory=list)  # NOT VALID now, valid in the new schema
    added_indexes: list[Index] = field(default_factory=list)
    dropped_indexes: list[Index] = field(default_factory=list)
    added_policies: list[Policy] = field(default_factory=list)
    dropped_policies: list[Policy] = field(default_factory=list)
    options_changed: bool = False

    @property
    def key(self) -> str:
        return self.new.key

    @property
    def constraint_changes(self) -> bool:
        return self.pk_changed or bool(self.added or self.dropped)


def _constraint_delta(old: tuple[Any, ...], new: tuple[Any, ...], natural: Any
                      ) -> tuple[list[Any], list[Any]]:
    pairs, missing, extra = match(new, old, natural)
    added, dropped = list(missing), list(extra)
    for e, a in pairs:
        same_name = e.name == a.name or (_anon(e) and _anon(a))
        if _content(e) != _content(a) or not same_name:
            added.append(e)
            dropped.append(a)
    return added, dropped


def _anon(obj: Any) -> bool:
    return obj.name is None or bool(getattr(obj, "name_generated", False))


def _column_fields(old: Column, new: Column) -> frozenset[str]:
    changed = {f for f, canon in _FIELDS[Column].items()
               if canon(getattr(old, f)) != canon(getattr(new, f))}
    if (old.comment or None) != (new.comment or None):
        changed.add("comment")
    return frozenset(changed)


def table_delta(old: Table, new: Table) -> TableDelta:
    delta = TableDelta(old, new)
    old_cols = {c.name: c for c in old.columns}
    new_cols = {c.name: c for c in new.columns}
    delta.added_columns = [c for c in new.columns if c.name not in old_cols]
    delta.dropped_columns = [c for c in old.columns if c.name not in new_cols]
    for name, column in new_cols.items():
        if name in old_cols:
            changed = _column_fields(old_cols[name], column)
            if changed:
                delta.changed_columns.append(ColumnChange(old_cols[name], column, changed))
    if old.primary_key or new.primary_key:
        o, n = old.primary_key, new.primary_key
        delta.pk_changed = (o is None) != (n is None) or (
            o is not None and n is not None and (o.columns != n.columns
                                                 or (o.name != n.name and not (_anon(o) and _anon(n)))))
    for kind, natural in (("uniques", lambda _: ()), ("checks", lambda _: ()),
                          ("foreign_keys", lambda f: (f.columns, f.ref_key))):
        added, dropped = _constraint_delta(getattr(old, kind), getattr(new, kind), natural)
        delta.added += added
        delta.dropped += dropped
    _validations(delta)
    delta.added_indexes, delta.dropped_indexes = _constraint_delta(old.indexes, new.indexes, lambda i: i.name)
    old_pol = {p.name: p for p in old.policies}
    new_pol = {p.name: p for p in new.policies}
    delta.added_policies = [p for n, p in new_pol.items() if old_pol.get(n) != p]
    delta.dropped_policies = [p for n, p in old_pol.items() if new_pol.get(n) != p]
    delta.options_changed = old.options != new.options
    return delta


def _validations(delta: TableDelta) -> None:
    """A constraint that only stops being NOT VALID is validated, not dropped and added."""
    for new in list(delta.added):
        if getattr(new, "not_valid", None) is False:
            old = next((d for d in delta.dropped if type(d) is type(new) and d.not_valid
                        and replace(d, not_valid=False) == new), None)
            if old is not None:
                delta.added.remove(new)
                delta.dropped.remove(old)
                delta.validated.append(old)


def order_parents_first(tables: list[Table]) -> list[Table]:
    """Tables ordered so that a table comes after the tables it references (cycles kept
    in name order): the copy order of a rebuild, the reverse of the drop order."""
    keys = {t.key for t in tables}
    deps = {t.key: {fk.ref_key for fk in t.foreign_keys if fk.ref_key in keys and fk.ref_key != t.key}
            for t in tables}
    by_key = {t.key: t for t in tables}
    done: list[str] = []
    pending = sorted(keys)
    while pending:
        ready = [k for k in pending if deps[k] <= set(done)] or [pending[0]]  # a cycle: break it
        for key in ready:
            done.append(key)
            pending.remove(key)
    return [by_key[k] for k in done]
