"""Property harness for the objects around the tables (issue #17): views, functions,
triggers, enums, sequences, row-level security, policies, publications, comments,
grants, NOT VALID checks, NULLS NOT DISTINCT and operator classes (Postgres); views and
triggers over tables that get rebuilt (SQLite).

Each case draws random choices for its objects (under its own prefix), then mutates
them. Both versions are built from nothing on real databases (plain CREATE statements
from dbtool's own planner), so the desired schema is what the engine reports, never a
spelling of ours. The current version is the service's only migration, applied to a
data database that then gets rows; `diff_service` (scratch build, plan, proof, lint,
write) writes the step; `migrate` applies it onto the rows. Asserted: written or
nothing (no refusal), zero residual drift, every row kept. A failure names its seeds;
`DBTOOL_OBJECT_SEED=postgres:3:7` reruns one case.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import psycopg

from dbtool.config import Project, Service
from dbtool.core.generate import DiffRequest, diff_service
from dbtool.diff import diff
from dbtool.model import (
    CheckConstraint,
    Column,
    Enum,
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
)
from dbtool.plan import PlanOptions
from dbtool.snapshot import Snapshot, render
from tests.conftest import PG_ADMIN_URL, create_pg_database, drop_pg_database
from tests.diff.properties import _apply, _rows, _write_base
from tests.diff.support import PostgresRows, SqliteRows, fill

BATCH = 20
ROLE = "dbtool_prop_reader"


def seeds(dialect: str, batch: int) -> list[str]:
    only = os.environ.get("DBTOOL_OBJECT_SEED")
    if only:
        return [only] if only.startswith(f"{dialect}:") and batch == 0 else []
    return [f"{dialect}:{batch}:{i}" for i in range(BATCH)]


# -- choices -------------------------------------------------------------------------------

def choose(rng: random.Random, pg: bool) -> dict[str, Any]:
    c: dict[str, Any] = {
        "qty_check": rng.random() < 0.3, "view": rng.random() < 0.8, "view_qty": rng.random() < 0.5,
        "view_where": rng.randint(0, 3), "view2": rng.random() < 0.4, "trigger": rng.random() < 0.7,
        "trigger_update": rng.random() < 0.5, "trigger_n": rng.randint(1, 3),
    }
    if pg:
        c.update({
            "enum": rng.sample(["a", "b", "c", "d"], rng.randint(1, 4)), "enum_col": rng.random() < 0.5,
            "fn": rng.random() < 0.8, "fn_n": rng.randint(1, 9), "fn_args": rng.choice(["x integer", "x bigint"]),
            "fn_default": rng.choice([None, "1", "2"]),
            "fn_comment": rng.choice([None, "adds", "plus n"]), "fn_public": rng.random() < 0.7,
            "rls": rng.random() < 0.5, "forced": rng.random() < 0.3,
            "policies": sorted(rng.sample(["p_read", "p_write", "p_all"], rng.randint(0, 3))),
            "policy_n": rng.randint(0, 5), "invoker": rng.random() < 0.5,
            "seq": rng.random() < 0.7, "seq_inc": rng.choice([1, 2, 5]), "seq_cache": rng.choice([1, 10]),
            "seq_cycle": rng.random() < 0.3, "seq_max": rng.choice([None, 1000, 99999]),
            "published": rng.random() < 0.5, "pub_ops": rng.choice([("insert", "update", "delete", "truncate"),
                                                                  ("insert", "update")]),
            "comment": rng.choice([None, "items", "the items"]), "col_comment": rng.choice([None, "how many"]),
            "view_comment": rng.choice([None, "a view"]),
            "grant": rng.choice([(), ("SELECT",), ("SELECT", "INSERT"), ("ALL",)]),
            "view_grant": rng.choice([(), ("SELECT",)]),
            "not_valid": rng.random() < 0.3, "nnd": rng.random() < 0.5, "opclass": rng.random() < 0.5,
        })
    return c


def mutate(rng: random.Random, c: dict[str, Any], pg: bool) -> dict[str, Any]:
    """A few of the choices drawn again (enum values: added, removed or reordered)."""
    fresh = choose(rng, pg)
    new = dict(c)
    for key in rng.sample(sorted(c), rng.randint(1, 5)):
        new[key] = fresh[key]
    if pg and rng.random() < 0.5:
        values = list(c["enum"])
        extra = [v for v in "abcdef" if v not in values]
        values.insert(rng.randint(0, len(values)), extra[0])
        new["enum"] = values
    if pg and new["enum_col"] and c["enum_col"] and not set(c["enum"]) <= set(new["enum"]):
        new["enum"] = list(c["enum"]) + [v for v in new["enum"] if v not in c["enum"]]  # rows hold them
    return new


# -- objects -------------------------------------------------------------------------------

def build(c: dict[str, Any], p: str, pg: bool) -> dict[str, list[Any]]:
    t, u = f"{p}t", f"{p}u"
    integer = "integer" if pg else "INTEGER"
    text = "text" if pg else "TEXT"
    columns = [Column("id", integer, False), Column("name", text, False), Column("qty", integer, True,
               comment=c.get("col_comment"))]
    if pg and c["enum_col"]:
        columns.append(Column("kind", f"{p}e", True))
    checks = (CheckConstraint("qty >= 0", f"{p}t_qty_check", not_valid=bool(c.get("not_valid"))),) if c["qty_check"] else ()
    indexes = ()
    if pg and c["opclass"]:
        indexes = (Index(f"{p}t_name_idx", (IndexColumn("name", opclass="text_pattern_ops"),)),)
    uniques = (UniqueConstraint(("name", "qty"), f"{p}t_name_qty_key", nulls_not_distinct=bool(c.get("nnd"))),)
    policies = tuple(_policy(name, c["policy_n"]) for name in c.get("policies", ()))
    grants = (Grant(ROLE, c["grant"]),) if pg and c["grant"] else ()
    table = Table(t, columns=tuple(columns), primary_key=PrimaryKey(("id",), f"{t}_pkey" if pg else None),
                  checks=checks, indexes=indexes, uniques=uniques if pg else (), comment=c.get("comment"),
                  rls_enabled=bool(c.get("rls")), rls_forced=bool(c.get("forced")), policies=policies,
                  grants=grants)
    child = Table(u, columns=(Column("id", integer, False), Column("t_id", integer, True)),
                  primary_key=PrimaryKey(("id",), f"{u}_pkey" if pg else None),
                  foreign_keys=(ForeignKey(("t_id",), t, ("id",), on_delete="CASCADE",
                                           name=f"{u}_t_id_fkey" if pg else None),))
    out: dict[str, list[Any]] = {"tables": [table, child], "views": [], "triggers": [], "functions": [],
                                 "enums": [], "sequences": [], "publications": []}
    if c["view"]:
        cols = "id, name, qty" if c["view_qty"] else "id, name"
        where = f" WHERE qty > {c['view_where']}" if c["view_where"] else ""
        out["views"].append(View(f"{p}v", f"SELECT {cols} FROM {t}{where}", security_invoker=bool(c.get("invoker")),
                                 comment=c.get("view_comment"),
                                 grants=(Grant(ROLE, c["view_grant"]),) if pg and c["view_grant"] else ()))
        if c["view2"]:
            out["views"].append(View(f"{p}v2", f"SELECT id FROM {p}v"))
    if c["trigger"]:
        events = ("INSERT", "UPDATE") if c["trigger_update"] else ("INSERT",)
        if pg:
            out["functions"].append(Function(f"{p}tg", "", "trigger", "plpgsql",
                                             f"BEGIN NEW.qty := coalesce(NEW.qty, {c['trigger_n']}); RETURN NEW; END;"))
            out["triggers"].append(Trigger(f"{p}trg", t, "BEFORE", events, function=f"{p}tg()"))
        else:
            event = ("UPDATE",) if c["trigger_update"] else ("INSERT",)  # one event per SQLite trigger
            out["triggers"].append(Trigger(f"{p}trg", t, "AFTER", event, condition="NEW.qty IS NULL",
                                           body=f"UPDATE {t} SET qty = {c['trigger_n']} WHERE id = NEW.id;"))
    if pg:
        out["enums"].append(Enum(f"{p}e", tuple(c["enum"])))
        if c["fn"]:
            grants = (Grant("PUBLIC", ("EXECUTE",)),) if c["fn_public"] else ()
            signature = f"{c['fn_args']} DEFAULT {c['fn_default']}" if c["fn_default"] else None
            out["functions"].append(Function(f"{p}f", c["fn_args"], "integer", "sql", f"SELECT (x + {c['fn_n']})::integer",
                                             volatility="IMMUTABLE", comment=c["fn_comment"], grants=grants,
                                             signature=signature))
        if c["seq"]:
            out["sequences"].append(Sequence(f"{p}s", increment=c["seq_inc"], cache=c["seq_cache"],
                                             cycle=c["seq_cycle"], max_value=c["seq_max"]))
        out["publications"].append(Publication(f"{p}pub", (t,) if c["published"] else (), operations=c["pub_ops"]))
    return out


def _policy(name: str, n: int) -> Policy:
    command = {"p_read": "SELECT", "p_write": "INSERT", "p_all": "ALL"}[name]
    using = None if command == "INSERT" else f"(qty > {n})"
    check = f"(qty < {n + 100})" if command in ("INSERT", "ALL") else None
    return Policy(name, command, roles=("public",), using=using, with_check=check)


def schema_of(cases: list[dict[str, Any]], pg: bool) -> Schema:
    parts: dict[str, list[Any]] = {}
    for i, c in enumerate(cases):
        for kind, items in build(c, f"o{i}_", pg).items():
            parts.setdefault(kind, []).extend(items)
    return Schema(**{k: tuple(v) for k, v in parts.items()})


# -- a batch -------------------------------------------------------------------------------

def ensure_role() -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DO $$ BEGIN CREATE ROLE {ROLE}; EXCEPTION WHEN duplicate_object THEN NULL; END $$")


def _canonical(schema: Schema, dialect: str, tmp: Path) -> Schema:
    """The schema as the engine reports it: built from nothing on a throwaway database."""
    folder = tmp / "desired"
    folder.mkdir()
    _write_base(folder, schema, dialect)
    service = Service("want", dialect, folder)
    if dialect == "postgres":
        url = create_pg_database("dbtool_want")
        try:
            return _apply(service, url)
        finally:
            drop_pg_database(url)
    return _apply(service, f"sqlite:///{tmp / 'want.db'}")


def run_object_batch(dialect: str, case_seeds: list[str], tmp: Path, data_url: str) -> list[str]:
    """One batch; returns the kinds of operation its plan used."""
    if not case_seeds:
        return []
    pg = dialect == "postgres"
    tag = ", ".join(case_seeds)
    old = [choose(random.Random(s), pg) for s in case_seeds]
    new = [mutate(random.Random(f"edit:{s}"), c, pg) for s, c in zip(case_seeds, old, strict=True)]
    desired = _canonical(schema_of(new, pg), dialect, tmp)
    migrations = tmp / "migrations"
    migrations.mkdir()
    _write_base(migrations, schema_of(old, pg), dialect)
    service = Service("objprop", dialect, migrations, snapshot=tmp / "objprop.yaml")
    project = Project(tmp, None, (service,), scratch_url=PG_ADMIN_URL)
    current = _apply(service, data_url)
    db = PostgresRows(data_url) if pg else SqliteRows(Path(data_url.removeprefix("sqlite:///")))
    fill(db, current, random.Random(tag), per_table=4)
    before = _rows(db, current)
    db.close()

    (tmp / "objprop.yaml").write_text(render(Snapshot("objprop", dialect, desired))[0])
    allow = any(not set(o.get("enum", ())) <= set(n.get("enum", ())) or (o.get("enum_col") and not n["enum_col"])
                for o, n in zip(old, new, strict=True))  # a removed value or column: --allow-drop
    result = diff_service(service, project, DiffRequest("objects", PlanOptions(allow_drop=allow)))
    assert result.status in ("written", "nothing"), (
        f"seeds {tag}: {result.status}: {[r.describe() for r in result.refusals]} "
        f"residue {[c.describe() for c in result.residue][:5]} lint {[d.message for d in result.lint][:3]}")
    actual = _apply(service, data_url)
    residue = diff(desired, actual)
    assert not residue, f"seeds {tag}: residual drift {[c.describe() for c in residue][:8]}"
    db = PostgresRows(data_url) if pg else SqliteRows(Path(data_url.removeprefix("sqlite:///")))
    after = _rows(db, actual)
    db.close()
    for table, rows in before.items():
        lost = [k for k in rows if k not in after.get(table, {})]
        assert not lost, f"seeds {tag}: {table} lost rows {lost[:5]}"
    return sorted({op.kind for f in result.files for op in f.operations})
