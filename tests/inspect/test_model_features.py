"""Model features the differ used to miss (issue #15, item 10): operator classes and
collations of index terms, UNIQUE NULLS NOT DISTINCT, NOT VALID / NO INHERIT
constraints, a view's security_invoker, and grants on tables, views, functions and
sequences.

Pure tests pin the snapshot shape (defaults leave existing snapshots unchanged, every
feature survives a snapshot round trip) and the typed changes; a generated family
builds seeded random combinations on real Postgres twice — identical builds give no
change, one flipped feature gives exactly that change.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from dbtool import snapshot
from dbtool.diff import ChangeKind, ObjectType, diff
from dbtool.inspect import inspect_postgres
from dbtool.model import (
    CheckConstraint,
    Column,
    ForeignKey,
    Function,
    Grant,
    Index,
    IndexColumn,
    Schema,
    Sequence,
    Table,
    UniqueConstraint,
    View,
)

T, CHANGED = ObjectType, ChangeKind.CHANGED


def rich() -> Schema:
    """One of everything new, next to plain objects."""
    table = Table(
        "t", columns=(Column("id", "integer", False), Column("name", "text", True)),
        uniques=(UniqueConstraint(("name",), "t_name_key", nulls_not_distinct=True),),
        checks=(CheckConstraint("id > 0", "t_id_check", not_valid=True, no_inherit=True),),
        foreign_keys=(ForeignKey(("id",), "p", ("id",), name="t_p", not_valid=True),),
        indexes=(Index("t_name", (IndexColumn("name", opclass="text_pattern_ops", collation="C"),),
                       unique=True, nulls_not_distinct=True),),
        grants=(Grant("anon", ("ALL",)), Grant("PUBLIC", ("SELECT WITH GRANT OPTION", "INSERT"))),
    )
    return Schema(
        tables=(table, Table("p", columns=(Column("id", "integer", False),))),
        views=(View("v", "SELECT 1", security_invoker=True, grants=(Grant("anon", ("SELECT",)),)),),
        functions=(Function("open", "", "int", "sql", "SELECT 1"),
                   Function("closed", "", "int", "sql", "SELECT 1", grants=()),
                   Function("shared", "", "int", "sql", "SELECT 1",
                            grants=(Grant("PUBLIC", ("EXECUTE",)), Grant("anon", ("EXECUTE",))))),
        sequences=(Sequence("s", grants=(Grant("anon", ("USAGE", "SELECT")),)),),
    )


def test_defaults_leave_snapshots_as_they_were() -> None:
    plain = Schema(tables=(Table("t", columns=(Column("id", "integer", False),),
                                 uniques=(UniqueConstraint(("id",)),), checks=(CheckConstraint("id > 0"),),
                                 indexes=(Index("i", (IndexColumn("id"),)),)),),
                   views=(View("v", "SELECT 1", reads=("t",)),),
                   functions=(Function("f", "", "int", "sql", "SELECT 1"),), sequences=(Sequence("s"),))
    assert plain.to_dict() == {
        "tables": {"t": {"columns": {"id": {"type": "integer", "nullable": False}},
                         "uniques": [{"columns": ["id"]}], "checks": [{"expression": "id > 0"}],
                         "indexes": {"i": {"columns": ["id"]}}}},
        "views": {"v": {"definition": "SELECT 1"}},
        "functions": {"f()": {"arguments": "", "returns": "int", "language": "sql", "body": "SELECT 1"}},
        "sequences": {"s": {}}}


def test_every_feature_survives_a_snapshot_round_trip(tmp_path: Path) -> None:
    schema = rich()
    text, _ = snapshot.render(snapshot.Snapshot("app", "postgres", schema))
    # roles sorted, privileges in GRANT's order whatever order they came in
    assert "grants: {PUBLIC: [SELECT WITH GRANT OPTION, INSERT], anon: [ALL]}" in text
    assert Grant("x", ("INSERT", "SELECT WITH GRANT OPTION")) == Grant("x", ("SELECT WITH GRANT OPTION", "INSERT"))
    assert "closed():" in text and "grants: {}" in text  # EXECUTE revoked from PUBLIC
    path = tmp_path / "app.yaml"
    path.write_text(text)
    loaded = snapshot.load(path).schema
    assert loaded == schema and diff(schema, loaded) == []
    assert snapshot.render(snapshot.Snapshot("app", "postgres", loaded))[0] == text


FLIPS: list[tuple[str, Any, tuple[Any, ...]]] = [
    ("opclass", lambda s: _table(s, indexes=(replace(s.tables[1].indexes[0], columns=(
        replace(s.tables[1].indexes[0].columns[0], opclass=None),)),)),
     (CHANGED, T.INDEX, ("t", "t_name"), "columns")),
    ("index collation", lambda s: _table(s, indexes=(replace(s.tables[1].indexes[0], columns=(
        replace(s.tables[1].indexes[0].columns[0], collation=None),)),)),
     (CHANGED, T.INDEX, ("t", "t_name"), "columns")),
    ("index nulls", lambda s: _table(s, indexes=(replace(s.tables[1].indexes[0], nulls_not_distinct=False),)),
     (CHANGED, T.INDEX, ("t", "t_name"), "nulls_not_distinct")),
    ("unique nulls", lambda s: _table(s, uniques=(replace(s.tables[1].uniques[0], nulls_not_distinct=False),)),
     (CHANGED, T.UNIQUE, ("t", "t_name_key"), "nulls_not_distinct")),
    ("check not valid", lambda s: _table(s, checks=(replace(s.tables[1].checks[0], not_valid=False),)),
     (CHANGED, T.CHECK, ("t", "t_id_check"), "not_valid")),
    ("check no inherit", lambda s: _table(s, checks=(replace(s.tables[1].checks[0], no_inherit=False),)),
     (CHANGED, T.CHECK, ("t", "t_id_check"), "no_inherit")),
    ("fk not valid", lambda s: _table(s, foreign_keys=(replace(s.tables[1].foreign_keys[0], not_valid=False),)),
     (CHANGED, T.FOREIGN_KEY, ("t", "t_p"), "not_valid")),
    ("table grant", lambda s: _table(s, grants=(Grant("anon", ("SELECT",)), s.tables[1].grants[0])),
     (CHANGED, T.GRANT, ("t", "anon"), "privileges")),
    ("table grant gone", lambda s: _table(s, grants=s.tables[1].grants[:1]),
     (ChangeKind.MISSING, T.GRANT, ("t", "anon"), None)),
    ("view invoker", lambda s: replace(s, views=(replace(s.views[0], security_invoker=False),)),
     (CHANGED, T.VIEW, ("v",), "security_invoker")),
    ("view grant", lambda s: replace(s, views=(replace(s.views[0], grants=()),)),
     (ChangeKind.MISSING, T.GRANT, ("v", "anon"), None)),
    ("function execute", lambda s: replace(s, functions=(replace(s.functions[1], grants=()),
                                                         *s.functions[:1], *s.functions[2:])),
     (ChangeKind.MISSING, T.GRANT, ("open()", "PUBLIC"), None)),
    ("sequence grant", lambda s: replace(s, sequences=(replace(s.sequences[0], grants=(
        Grant("anon", ("ALL",)),)),)),
     (CHANGED, T.GRANT, ("s", "anon"), "privileges")),
    ("reads are derived", lambda s: replace(s, views=(replace(s.views[0], reads=("t",)),)), None),
]


def _table(schema: Schema, **changes: Any) -> Schema:
    t = schema.table("t")
    return replace(schema, tables=(schema.tables[0], replace(t, **changes)))


@pytest.mark.parametrize(("flip", "expected"), [(f[1], f[2]) for f in FLIPS], ids=[f[0] for f in FLIPS])
def test_each_feature_is_one_typed_change(flip: Any, expected: tuple[Any, ...] | None) -> None:
    before = rich()
    assert [t.key for t in before.tables] == ["p", "t"] and before.functions[1].name == "open"
    changes = diff(before, flip(before))
    assert [(c.kind, c.object_type, c.path, c.field) for c in changes] == ([expected] if expected else [])
    for change in changes:
        assert change.path[0] in change.describe()


def test_grant_changes_read_as_sentences() -> None:
    (change,) = diff(rich(), FLIPS[7][1](rich()))
    assert change.describe() == "grant on t to anon: privileges changed [ALL] -> [SELECT]"
    assert change.to_dict()["expected"] == ["ALL"]


# --- generated: seeded random combinations on a real server ------------------------------

ROLES = ("dbtool_gen_r1", "dbtool_gen_r2")
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


@dataclass
class Spec:
    """One random small schema: each field is one feature the flip can change."""

    tables: int
    opclass: list[bool]
    collation: list[bool]
    unique_nnd: list[bool]
    index_nnd: list[bool]
    check_not_valid: list[bool]
    fk_not_valid: list[bool]
    invoker: list[bool]
    grants: list[dict[str, frozenset[str]]]
    revoke_execute: bool
    sequence_grant: frozenset[str]
    flipped: str = field(default="")


FEATURES: dict[str, tuple[Any, str | None]] = {  # name -> (object type, field) of its change
    "opclass": (T.INDEX, "columns"), "collation": (T.INDEX, "columns"),
    "unique_nnd": (T.UNIQUE, "nulls_not_distinct"), "index_nnd": (T.INDEX, "nulls_not_distinct"),
    "check_not_valid": (T.CHECK, "not_valid"), "fk_not_valid": (T.FOREIGN_KEY, "not_valid"),
    "invoker": (T.VIEW, "security_invoker"), "grants": (T.GRANT, None),
    "revoke_execute": (T.GRANT, None), "sequence_grant": (T.GRANT, None),
}


def random_spec(rng: random.Random) -> Spec:
    n = rng.randint(1, 3)

    def bools() -> list[bool]:
        return [rng.random() < 0.5 for _ in range(n)]

    def grants() -> dict[str, frozenset[str]]:
        return {r: frozenset(rng.sample(PRIVILEGES, rng.randint(0, 3))) for r in ROLES if rng.random() < 0.6}

    return Spec(n, bools(), bools(), bools(), bools(), bools(), bools(), bools(),
                [grants() for _ in range(n)], rng.random() < 0.5,
                frozenset(rng.sample(("USAGE", "SELECT", "UPDATE"), rng.randint(0, 2))))


def flip(spec: Spec, rng: random.Random) -> Spec:
    name = rng.choice(list(FEATURES))
    i = rng.randrange(spec.tables)
    other = replace(spec, flipped=name)
    if name in ("opclass", "collation", "unique_nnd", "index_nnd", "check_not_valid", "fk_not_valid",
                "invoker"):
        values = list(getattr(spec, name))
        values[i] = not values[i]
        setattr(other, name, values)
    elif name == "grants":
        grants = [dict(g) for g in spec.grants]
        role = rng.choice(ROLES)
        held = grants[i].get(role, frozenset())
        extra = rng.choice([p for p in PRIVILEGES if p not in held] or [None])
        grants[i][role] = held - {rng.choice(sorted(held))} if extra is None else held | {extra}
        other.grants = grants
    elif name == "revoke_execute":
        other.revoke_execute = not spec.revoke_execute
    else:
        missing = [p for p in ("USAGE", "SELECT", "UPDATE") if p not in spec.sequence_grant]
        other.sequence_grant = spec.sequence_grant | {missing[0]}
    return other


def ddl(spec: Spec, schema: str) -> str:
    out = [f"CREATE SCHEMA {schema}; SET search_path = {schema};",
           "CREATE TABLE parent (id int PRIMARY KEY);"]
    for i in range(spec.tables):
        t = f"t{i}"
        out.append(f"CREATE TABLE {t} (id int PRIMARY KEY, name text, code text, parent_id int);")
        out.append(f"CREATE INDEX {t}_name ON {t} (name{' text_pattern_ops' if spec.opclass[i] else ''});")
        collate = ' COLLATE "C"' if spec.collation[i] else ""
        out.append(f"CREATE INDEX {t}_code ON {t} (code{collate});")
        out.append(f"ALTER TABLE {t} ADD CONSTRAINT {t}_code_key UNIQUE"
                   f"{' NULLS NOT DISTINCT' if spec.unique_nnd[i] else ''} (code);")
        out.append(f"CREATE UNIQUE INDEX {t}_lower ON {t} (lower(name))"
                   f"{' NULLS NOT DISTINCT' if spec.index_nnd[i] else ''};")
        out.append(f"ALTER TABLE {t} ADD CONSTRAINT {t}_positive CHECK (id > 0)"
                   f"{' NOT VALID' if spec.check_not_valid[i] else ''};")
        out.append(f"ALTER TABLE {t} ADD CONSTRAINT {t}_parent FOREIGN KEY (parent_id) REFERENCES parent"
                   f"{' NOT VALID' if spec.fk_not_valid[i] else ''};")
        out.append(f"CREATE VIEW {t}_names{' WITH (security_invoker = true)' if spec.invoker[i] else ''} "
                   f"AS SELECT name FROM {t};")
        for role, privileges in spec.grants[i].items():
            if privileges:
                out.append(f"GRANT {', '.join(sorted(privileges))} ON {t} TO {role};")
    out.append("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';")
    if spec.revoke_execute:
        out.append("REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;")
    out.append("CREATE SEQUENCE s;")
    if spec.sequence_grant:
        out.append(f"GRANT {', '.join(sorted(spec.sequence_grant))} ON SEQUENCE s TO {ROLES[0]};")
    return "\n".join(out) + "\nRESET search_path;"


@pytest.mark.postgres
def test_generated_feature_combinations_built_twice(pg_url: str) -> None:
    """40 seeded schemas: the same spec built in two schemas is no change; the spec with
    one feature flipped is exactly one change of that feature's type (and field)."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for role in ROLES:
            conn.execute(f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; "
                         "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
        for seed in range(40):
            rng = random.Random(seed)
            spec = random_spec(rng)
            other = flip(spec, rng)
            names = (f"s{seed}_a", f"s{seed}_b", f"s{seed}_c")
            for name, built in zip(names, (spec, spec, other), strict=True):
                conn.execute(ddl(built, name))
            a, b, c = (inspect_postgres(conn, (name,)) for name in names)
            assert diff(a, b) == [], f"seed {seed}: identical builds differ: {[x.describe() for x in diff(a, b)]}"
            changes = diff(a, c)
            otype, fieldname = FEATURES[other.flipped]
            context = f"seed {seed}, flipped {other.flipped}: {[x.describe() for x in changes]}"
            assert len(changes) == 1, context
            assert changes[0].object_type is otype and (fieldname is None or changes[0].field == fieldname), context
            assert yaml.safe_load(yaml.safe_dump(a.to_dict())) == a.to_dict()
            assert Schema.from_dict(a.to_dict()) == a, f"seed {seed}: snapshot round trip"
