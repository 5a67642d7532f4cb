"""Helpers for the `dbtool diff` tests: project copies, snapshot edits, rows in every table.

Rows are generated from the schema model itself (types, CHECK IN-lists, foreign keys,
unique columns), so the same filler serves the seven services and the random schemas
of the property tests. A row the database rejects (a CHECK the generator could not
read) is retried with fresh values; the caller asserts every table got rows.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from dbtool.model import Column, Schema, Table
from tests.helpers import REPO, run_dbtool

PG_SCRATCH = "postgresql://postgres@127.0.0.1:5432/postgres"
_IN_LIST = re.compile(r"^\(?\s*\(?(\w+)\)?(?:::\w+)?\s+IN\s*\((.*)\)\s*\)?$", re.I | re.S)
_ANY_ARRAY = re.compile(r"^\(?\(?(\w+)\)?(?:::[\w ]+)?\s*=\s*ANY\s*\(\(?ARRAY\[(.*)\]", re.I | re.S)
_VALUE = re.compile(r"'((?:[^']|'')*)'|(?<![\w.])(-?\d+(?:\.\d+)?)(?![\w.])")


# -- projects ----------------------------------------------------------------------------------


def make_project(tmp: Path, *services: str) -> Path:
    """A copy of the repository's configuration, migrations and snapshots for `services`."""
    import tomllib

    config = tomllib.loads((REPO / "dbtool.toml").read_text())
    lines = []
    for name in services:
        svc = config["services"][name]
        lines.append(f"[services.{name}]")
        for key, value in svc.items():
            if key not in ("targets", "lint"):
                lines.append(f"{key} = {json.dumps(value)}")
        if "lint" in svc:
            lines.append(f"[services.{name}.lint]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in svc["lint"].items()]
        shutil.copytree(REPO / svc["migrations"], tmp / svc["migrations"])
        (tmp / "schemas").mkdir(exist_ok=True)
        shutil.copy(REPO / svc["snapshot"], tmp / svc["snapshot"])
        if "prelude" in svc and ("/" in svc["prelude"] or svc["prelude"].endswith(".sql")):
            (tmp / svc["prelude"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / svc["prelude"], tmp / svc["prelude"])
    (tmp / "dbtool.toml").write_text("\n".join(lines) + "\n")
    return tmp


def edit_snapshot(project: Path, service: str, edit: Callable[[dict[str, Any]], None]) -> None:
    path = project / "schemas" / f"{service}.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def dbtool(project: Path, *args: str, pg: bool = False) -> Any:
    env = {"DBTOOL_SCRATCH_URL": PG_SCRATCH} if pg else {}
    return run_dbtool(*args, cwd=project, env=env, timeout=600)


# -- values -----------------------------------------------------------------------------------


def allowed_values(table: Table) -> dict[str, list[str]]:
    """Column -> the strings a CHECK (col IN (...)) / = ANY (ARRAY[...]) allows."""
    found: dict[str, list[str]] = {}
    for check in table.checks:
        text = check.expression.strip()
        match = _IN_LIST.match(text) or _ANY_ARRAY.match(text)
        if match:
            values = [text.replace("''", "'") if text or not number else _number(number)
                      for text, number in _VALUE.findall(match.group(2))]
            if values:
                found[match.group(1)] = values
    return found


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def value_for(column: Column, rng: random.Random, n: int, enums: dict[str, list[str]],
              keyed: bool = False) -> Any:
    """A value of the column's type; `keyed` (primary key or unique): distinct per row."""
    t = column.type.lower()
    if t in enums:
        return rng.choice(enums[t])
    if t.endswith("[]"):
        return []
    if "bool" in t:
        return rng.random() < 0.5
    if "uuid" in t:
        return str(uuid.UUID(int=rng.getrandbits(128)))
    if "json" in t:
        return json.dumps({"k": rng.randint(0, 9)})
    if "timestamp" in t or "date" in t:
        return f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} 10:00:0{rng.randint(0, 9)}"
    if t.startswith(("numeric", "decimal", "real", "double", "float")) or "real" in t or "floa" in t:
        return round(rng.uniform(1, 5), 2)
    if "int" in t or t.startswith("serial"):
        return n + 1 if keyed else rng.randint(0, 100)
    if "bytea" in t or t == "blob":
        return bytes([rng.randint(0, 255) for _ in range(4)])
    if "inet" in t:
        return f"10.0.0.{rng.randint(1, 254)}"
    width = re.search(r"\((\d+)\)", t)
    text = f"v{n}_{rng.randint(0, 10**6)}"
    if width:
        text = text[-int(width.group(1)):]
    return text


def generate_row(table: Table, rng: random.Random, n: int, parents: dict[str, list[dict[str, Any]]],
                 enums: dict[str, list[str]]) -> dict[str, Any]:
    allowed = allowed_values(table)
    row: dict[str, Any] = {}
    pk = set(table.primary_key.columns) if table.primary_key else set()
    keyed = pk | {c for u in table.uniques for c in u.columns} | {
        c.name for i in table.indexes if i.unique for c in i.columns if not c.expression}
    for column in table.columns:
        if column.generated or column.identity in ("SERIAL", "ALWAYS", "BY DEFAULT", "AUTOINCREMENT"):
            continue
        if column.name in allowed:
            row[column.name] = rng.choice(allowed[column.name])
        elif column.default is not None and column.name not in pk and rng.random() < 0.3:
            continue
        elif column.nullable and column.name not in pk and rng.random() < 0.15:
            row[column.name] = None
        else:
            row[column.name] = value_for(column, rng, n, enums, column.name in keyed)
    for fk in table.foreign_keys:
        rows = parents.get(fk.ref_key) or []
        nullable = all(table.column(c) and table.column(c).nullable for c in fk.columns)
        if not rows or (nullable and rng.random() < 0.2):
            if nullable:
                for c in fk.columns:
                    row[c] = None
            continue
        parent = rng.choice(rows)
        for c, ref in zip(fk.columns, fk.ref_columns, strict=True):
            row[c] = parent.get(ref)
    return row


# -- filling and dumping ------------------------------------------------------------------------


def order_tables(schema: Schema) -> list[Table]:
    from dbtool.plan.delta import order_parents_first

    return order_parents_first(list(schema.tables))


class SqliteRows:
    """Rows through sqlite3 with foreign keys on (as D1 enforces them)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA synchronous = OFF")  # test rows: no fsync per insert

    def insert(self, table: Table, row: dict[str, Any]) -> dict[str, Any] | None:
        cols = list(row)
        sql = (f'INSERT INTO "{table.name}" ({", ".join(_q(c) for c in cols)}) '
               f'VALUES ({", ".join("?" for _ in cols)}) RETURNING *')
        try:
            cur = self.conn.execute(sql, [_sqlite_value(row[c]) for c in cols])
        except sqlite3.Error:
            return None
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))

    def dump(self, table: Table) -> list[dict[str, Any]]:
        cur = self.conn.execute(f'SELECT * FROM "{table.name}"')
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def close(self) -> None:
        self.conn.close()


class PostgresRows:
    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute("SET synchronous_commit = off")  # test rows: no WAL flush per insert

    def insert(self, table: Table, row: dict[str, Any]) -> dict[str, Any] | None:
        import psycopg
        from psycopg import sql

        cols = list(row)
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING row_to_json({}.*)").format(
            sql.Identifier(*((table.schema,) if table.schema else ()), table.name),
            sql.SQL(", ").join(sql.Identifier(c) for c in cols),
            sql.SQL(", ").join(sql.Placeholder() for _ in cols), sql.Identifier(table.name))
        if not cols:
            query = sql.SQL("INSERT INTO {} DEFAULT VALUES RETURNING row_to_json({}.*)").format(
                sql.Identifier(table.name), sql.Identifier(table.name))
        try:
            return self.conn.execute(query, [row[c] for c in cols]).fetchone()[0]
        except psycopg.Error:
            return None

    def dump(self, table: Table) -> list[dict[str, Any]]:
        from psycopg import sql

        query = sql.SQL("SELECT row_to_json(t) FROM {} t").format(sql.Identifier(table.name))
        return [r[0] for r in self.conn.execute(query).fetchall()]

    def close(self) -> None:
        self.conn.close()


def fill(db: Any, schema: Schema, rng: random.Random, per_table: int = 6,
         outside: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, int]:
    """Insert up to `per_table` rows into every table, parents first; returns counts.
    `outside` gives rows of referenced tables outside the schema (Supabase's auth.users)."""
    enums = {e.name.lower(): list(e.values) for e in schema.enums}
    parents: dict[str, list[dict[str, Any]]] = dict(outside or {})
    counts: dict[str, int] = {}
    tables = order_tables(schema)
    for _ in range(2):  # a second pass for tables a foreign-key cycle left empty
        for table in tables:
            made: list[dict[str, Any]] = list(db.dump(table))  # rows triggers already made
            if counts.get(table.key):
                parents[table.key] = made
                continue
            target = len(made) + per_table
            for n in range(per_table * 4):
                if len(made) >= target:
                    break
                got = db.insert(table, generate_row(table, rng, n + len(made), parents, enums))
                if got is not None:
                    made.append(got)
            parents[table.key] = made
            counts[table.key] = len(made)
    return counts


def snapshot_rows(db: Any, schema: Schema) -> dict[str, dict[Any, dict[str, Any]]]:
    """Every table's rows keyed by primary key (or the whole row without one)."""
    out: dict[str, dict[Any, dict[str, Any]]] = {}
    for table in schema.tables:
        keys = table.primary_key.columns if table.primary_key else None
        rows = db.dump(table)
        out[table.key] = {(tuple(r[k] for k in keys) if keys else _freeze(r)): r for r in rows}
    return out


def assert_rows_kept(before: dict[str, dict[Any, dict[str, Any]]], after: dict[str, dict[Any, dict[str, Any]]],
                     *, dropped_tables: set[str] = frozenset(), renamed: dict[str, str] | None = None,
                     ignore_columns: set[tuple[str, str]] = frozenset(), seed: Any = None) -> None:
    """Every row of every surviving table, by primary key, with every surviving column's value."""
    renamed = renamed or {}
    for table, rows in before.items():
        if table in dropped_tables:
            continue
        now = after.get(renamed.get(table, table))
        assert now is not None, f"seed {seed}: table {table} is gone"
        missing = [k for k in rows if k not in now]
        assert not missing, f"seed {seed}: {table} lost {len(missing)} of {len(rows)} rows, e.g. {missing[:3]}"
        for key, row in rows.items():
            new = now[key]
            for column, value in row.items():
                if column in new and (table, column) not in ignore_columns:
                    assert _same(new[column], value), (
                        f"seed {seed}: {table} {key}: {column} was {value!r}, now {new[column]!r}")


def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def _freeze(row: dict[str, Any]) -> tuple:
    return tuple(sorted((k, json.dumps(v, sort_keys=True, default=str)) for k, v in row.items()))


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list):
        return json.dumps(value)
    return value


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
