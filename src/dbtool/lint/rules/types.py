"""Postgres type changes: which keep every value (DL107) and which avoid a rewrite (PG106).

Types are (base name, type modifiers) as pglast reports them: `integer` is
('int4', ()), `varchar(50)` is ('varchar', (50,)), `numeric(10,2)` is
('numeric', (10, 2)). The tables follow the server's rules for binary-coercible
changes (no rewrite) and for casts that cannot lose a value.
"""

from __future__ import annotations

Type = tuple[str, tuple[int, ...]]

_INTEGER_WIDTH = {"int2": 2, "int4": 4, "int8": 8}
_LOSSLESS = {
    ("int2", "float4"), ("int2", "float8"), ("int4", "float8"), ("float4", "float8"),
    ("timestamp", "timestamptz"), ("date", "timestamp"), ("date", "timestamptz"),
    ("cidr", "inet"), ("varchar", "text"), ("bpchar", "text"), ("bpchar", "varchar"),
}
_LENGTH_TYPES = frozenset({"varchar", "bpchar", "varbit", "bit"})
_ALIASES = {"character varying": "varchar", "character": "bpchar", "char": "bpchar",
            "integer": "int4", "int": "int4", "bigint": "int8", "smallint": "int2",
            "decimal": "numeric", "real": "float4", "double precision": "float8"}


def _norm(t: Type) -> Type:
    return _ALIASES.get(t[0], t[0]), t[1]


def render_type(t: Type) -> str:
    base, mods = t
    return f"{base}({', '.join(map(str, mods))})" if mods else base


def _numeric_fits(old: tuple[int, ...], new: tuple[int, ...]) -> bool:
    """numeric(p, s) -> numeric(p2, s2) keeps every value when both parts fit."""
    if not new:
        return True
    if not old:
        return False
    p, s = old[0], old[1] if len(old) > 1 else 0
    p2, s2 = new[0], new[1] if len(new) > 1 else 0
    return p2 - s2 >= p - s and s2 >= s


def _length_fits(old: tuple[int, ...], new: tuple[int, ...]) -> bool:
    return not new or (bool(old) and new[0] >= old[0])


def is_widening(old: Type, new: Type) -> bool:
    """Whether every value of `old` converts to `new` unchanged (no truncation, no error)."""
    (ob, om), (nb, nm) = _norm(old), _norm(new)
    if nb == "text":
        return True
    if ob == nb:
        if ob == "numeric":
            return _numeric_fits(om, nm)
        return _length_fits(om, nm) if ob in _LENGTH_TYPES else om == nm
    if ob in _INTEGER_WIDTH and nb in _INTEGER_WIDTH:
        return _INTEGER_WIDTH[nb] >= _INTEGER_WIDTH[ob]
    if ob in _INTEGER_WIDTH and nb == "numeric":
        return not nm or nm[0] - (nm[1] if len(nm) > 1 else 0) >= {2: 5, 4: 10, 8: 19}[_INTEGER_WIDTH[ob]]
    if (ob, nb) in _LOSSLESS:
        return nb not in _LENGTH_TYPES or _length_fits(om, nm)
    return False


def is_binary_coercible(old: Type, new: Type) -> bool:
    """Whether ALTER COLUMN TYPE old -> new needs no table rewrite (and no full scan)."""
    (ob, om), (nb, nm) = _norm(old), _norm(new)
    if (ob, om) == (nb, nm):
        return True
    if ob == nb == "varchar" or ob == nb == "varbit":
        return _length_fits(om, nm)
    if ob == nb == "numeric":
        return not nm or (bool(om) and nm[0] >= om[0] and nm[1:] == om[1:])
    if ob == "varchar" and nb == "text":
        return True
    if ob == "text" and nb == "varchar":
        return not nm
    return (ob, nb) == ("cidr", "inet")
