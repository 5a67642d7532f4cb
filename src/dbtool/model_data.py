"""The schema model as plain data (dicts, lists, str, int, bool, None): what snapshots,
JSON reports and `dbtool.model.Schema.to_dict`/`from_dict` hold.

Kept apart from the model's classes so that the model reads as the list of what a schema
holds; this module knows how each field is written (keyed mappings, grants as
`{role: [privileges]}`, defaults left out).
"""

from __future__ import annotations

from dataclasses import MISSING, fields, is_dataclass
from typing import Any

from dbtool.model import (
    CheckConstraint,
    Column,
    Enum,
    Extension,
    ForeignKey,
    Function,
    Grant,
    Index,
    IndexColumn,
    Policy,
    PrimaryKey,
    Publication,
    Schema,
    Sequence,
    Table,
    Trigger,
    UniqueConstraint,
    View,
    _object_fields,
)


def schema_to_dict(schema: Schema) -> dict[str, Any]:
    """`Schema.to_dict`: named objects keyed by their key, triggers as a list."""
    out: dict[str, Any] = {}
    for f in _object_fields(schema):
        items = getattr(schema, f.name)
        if not items:
            continue
        if f.name == "triggers":
            out[f.name] = [_to_plain(t) for t in items]
        else:
            out[f.name] = {o.key: _to_plain(o, keyed=True) for o in items}
    return out


def schema_from_dict(data: dict[str, Any]) -> Schema:
    """`Schema.from_dict`: the inverse of `schema_to_dict`; missing keys take defaults."""
    kwargs: dict[str, Any] = {}
    for f in _object_fields(Schema):
        raw = data.get(f.name) or ()
        item_cls = SCHEMA_ITEMS[f.name]
        if isinstance(raw, dict):
            kwargs[f.name] = tuple(_from_keyed(item_cls, k, v) for k, v in raw.items())
        else:
            kwargs[f.name] = tuple(_from_plain(item_cls, v) for v in raw)
    return Schema(**kwargs)


SCHEMA_ITEMS: dict[str, type] = {
    "tables": Table, "views": View, "triggers": Trigger, "functions": Function,
    "enums": Enum, "sequences": Sequence, "extensions": Extension,
    "publications": Publication,
}
# Nested model fields, and whether they serialise as a mapping keyed by name.
NESTED: dict[tuple[type, str], tuple[type, bool]] = {
    (Table, "columns"): (Column, True),
    (Table, "primary_key"): (PrimaryKey, False),
    (Table, "uniques"): (UniqueConstraint, False),
    (Table, "checks"): (CheckConstraint, False),
    (Table, "foreign_keys"): (ForeignKey, False),
    (Table, "indexes"): (Index, True),
    (Table, "policies"): (Policy, True),
    (Index, "columns"): (IndexColumn, False),
}
# Fields holding grants: written as a mapping `{role: [privileges]}`.
_GRANTS = frozenset({(Table, "grants"), (View, "grants"), (Function, "grants"), (Sequence, "grants")})
# Fields that a keyed mapping already carries in its key.
_KEY_FIELDS = ("name", "schema")


def _default(f: Any) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return MISSING


def to_plain(obj: Any) -> Any:
    """Plain data for any single model object (as it appears inside `Schema.to_dict`)."""
    if isinstance(obj, tuple):
        return [to_plain(o) for o in obj]
    return _to_plain(obj) if is_dataclass(obj) else obj


def _to_plain(obj: Any, *, keyed: bool = False) -> Any:
    if isinstance(obj, IndexColumn) and obj == IndexColumn(obj.name):
        return obj.name  # a plain column term reads best as its bare name
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if keyed and f.name == "name":
            continue
        if value == _default(f) or f.metadata.get("derived"):
            continue
        out[f.name] = _plain_value(obj, f.name, value)
    return out


def _plain_value(owner: Any, name: str, value: Any) -> Any:
    if (type(owner), name) in _GRANTS:
        return {g.role: list(g.privileges) for g in value}
    nested = NESTED.get((type(owner), name))
    if nested and nested[1]:
        return {item.name: _to_plain(item, keyed=True) for item in value}
    if is_dataclass(value):
        return _to_plain(value)
    if isinstance(value, tuple):
        return [_to_plain(v) if is_dataclass(v) else v for v in value]
    return value


def _from_keyed(cls: type, key: str, data: dict[str, Any]) -> Any:
    data = dict(data or {})
    name = key
    if cls is Function:  # the key is `name(arguments)`
        name = key[: len(key) - len(data.get("arguments", "")) - 2]
    if data.get("schema") and cls is not Extension:
        name = name[len(data["schema"]) + 1:]
    data["name"] = name
    return _from_plain(cls, data)


def _from_plain(cls: type, data: Any) -> Any:
    if cls is IndexColumn and isinstance(data, str):
        return IndexColumn(data)
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        kwargs[f.name] = _from_value(cls, f.name, data[f.name])
    return cls(**kwargs)


def _from_value(cls: type, name: str, value: Any) -> Any:
    if (cls, name) in _GRANTS:
        return tuple(Grant(str(role), tuple(privileges) if isinstance(privileges, list) else (privileges,))
                     for role, privileges in (value or {}).items())
    nested = NESTED.get((cls, name))
    if nested is not None:
        item_cls, keyed = nested
        if keyed:
            return tuple(_from_keyed(item_cls, k, v) for k, v in (value or {}).items())
        if isinstance(value, dict):
            return _from_plain(item_cls, value)
        return tuple(_from_plain(item_cls, v) for v in value or ())
    if isinstance(value, list):
        return tuple(value)
    return value
