"""Where dbtool keeps its own Postgres tables, and who may reach them.

`dbtool_migrations` holds the text of every applied file and `dbtool_history_log`
who changed the history and when. On a Supabase/PostgREST database every table
in an exposed schema is served to the `anon` and `authenticated` roles, and
Supabase's default privileges grant each new table in `public` to them: a
history kept there can be read, deleted or forged over HTTP. So dbtool keeps
its tables in a schema of its own (`dbtool`, as Supabase keeps its own in
`supabase_migrations`) and revokes every privilege from PUBLIC and the API roles
in the same transaction that creates (or moves) them, whatever default
privileges the database has.

Earlier releases created the tables in `public`. The first run that takes the
migration lock moves them (ALTER TABLE … SET SCHEMA keeps every row, the
identity sequence and the indexes) in one transaction; until then readers
(status, audit, introspect, dry runs) read them where they are and never move
anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from dbtool.errors import HistoryConflict
from dbtool.migrations.audit import LOG_TABLE
from dbtool.quoting import quote_postgres as ident

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg.rows import TupleRow

    PgConnection = Connection[TupleRow]  # what dbtool.engines.postgres.connect opens

T = TypeVar("T")
HISTORY_TABLE = "dbtool_migrations"
OWN_TABLES = (HISTORY_TABLE, LOG_TABLE)
DEFAULT_SCHEMA = "dbtool"
LEGACY_SCHEMA = "public"  # where releases before the `dbtool` schema kept the tables
API_ROLES = ("anon", "authenticated")  # the roles Supabase/PostgREST serve requests as

# The run lock. Advisory locks are scoped to one database, so a constant key
# serialises every dbtool run on it, whatever history schema it is configured
# with and wherever the tables are at that moment (before or after the move).
# It is the key earlier releases derived from their default history schema
# ("dbtool:public"), so an older dbtool still running against the same database
# during an upgrade waits for the same lock instead of racing the move.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"dbtool:public").digest()[:8], "big", signed=True)


def qualified(schema: str, table: str) -> str:
    return f"{ident(schema)}.{table}"


def legacy_schema(schema: str) -> str | None:
    """The place an earlier release used, when this run's tables should be moved from it:
    only for the default history schema (a configured one was never in public by default)."""
    return LEGACY_SCHEMA if schema == DEFAULT_SCHEMA else None


# -- privileges ---------------------------------------------------------------------
def _revokees(conn: PgConnection) -> str:
    """PUBLIC and the API roles this cluster has (REVOKE fails on a role that does not exist)."""
    rows = conn.execute("SELECT rolname::text FROM pg_roles WHERE rolname = ANY(%s) ORDER BY 1",
                        (list(API_ROLES),)).fetchall()
    return ", ".join(["PUBLIC", *(ident(r[0]) for r in rows)])


def ensure_schema(conn: PgConnection, schema: str) -> None:
    """Create the history schema if it is missing, closed to PUBLIC and the API roles
    (default privileges ON SCHEMAS may have granted it to them). An existing schema is
    left as its owner set it; `audit` reports it when the API roles can use it (SEC105)."""
    if conn.execute("SELECT to_regnamespace(%s) IS NULL", (schema,)).fetchone()[0]:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
        conn.execute(f"REVOKE ALL ON SCHEMA {ident(schema)} FROM {_revokees(conn)}")


def lock_down(conn: PgConnection, tables: Sequence[str]) -> None:
    """Revoke every privilege on dbtool's tables (and their identity sequences) from PUBLIC
    and the API roles: Supabase's default privileges grant new tables to anon and
    authenticated. Runs inside the transaction that creates or moves the tables."""
    who = _revokees(conn)
    for table in tables:
        conn.execute(f"REVOKE ALL ON TABLE {table} FROM {who}")
        sequence = conn.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,)).fetchone()[0]
        if sequence:
            conn.execute(f"REVOKE ALL ON SEQUENCE {sequence} FROM {who}")


# -- the move from public -------------------------------------------------------------
def relocate(conn: PgConnection, schema: str, legacy: str | None) -> list[str]:
    """Inside the caller's transaction: move dbtool's tables from `legacy` into `schema`,
    rows and all, and lock them down. Returns the names moved (none: nothing to do).
    A table that exists in both places is a conflict for a person to resolve."""
    if legacy is None or legacy == schema:
        return []
    names = list(OWN_TABLES)
    found = conn.execute(
        "SELECT " + ", ".join("to_regclass(%s) IS NOT NULL" for _ in range(2 * len(names))),
        [qualified(s, n) for n in names for s in (legacy, schema)]).fetchone()
    moving = []
    for i, name in enumerate(names):
        old, new = found[2 * i], found[2 * i + 1]
        if old and new:
            raise HistoryConflict(
                f"dbtool's {name} exists both in {legacy} (written by an earlier dbtool) and in "
                f"{schema}; dbtool will not merge two histories",
                hint=f"compare the two tables, keep one (DROP TABLE {legacy}.{name} or "
                     f"{schema}.{name}), then run again")
        if old:
            moving.append(name)
    if moving:
        ensure_schema(conn, schema)
        for name in moving:
            conn.execute(f"ALTER TABLE {qualified(legacy, name)} SET SCHEMA {ident(schema)}")
        lock_down(conn, [qualified(schema, n) for n in moving])
    return moving


def probe_legacy(conn: PgConnection, legacy: str | None) -> bool:
    """One round trip: does the old place hold any of dbtool's tables?"""
    if legacy is None:
        return False
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL OR to_regclass(%s) IS NOT NULL",
                       [qualified(legacy, n) for n in OWN_TABLES]).fetchone()
    return bool(row[0])


# Readers find a table in the history schema, else (nothing moved yet) in the old place.
LOCATE = "COALESCE(to_regclass(%s), to_regclass(%s))"
# to_regclass() looks in the catalog as committed *now*, pg_attribute is read in the
# statement's snapshot: a table committed in between is found with no columns (and read
# as another tool's table). A table counts as there only when the snapshot sees it too.
VISIBLE = "CASE WHEN EXISTS (SELECT 1 FROM pg_class WHERE oid = {oid})"


def candidates(schema: str, legacy: str | None, table: str) -> list[str | None]:
    """The parameters of LOCATE."""
    return [qualified(schema, table), qualified(legacy, table) if legacy else None]


def read_table(conn: PgConnection, schema: str, legacy: str | None, table: str,
               read: Callable[[str, frozenset[str]], T], missing: T) -> T:
    """`read(where, columns)` on dbtool's `table` wherever it is (`missing` when nowhere).

    Locating and reading are two statements, and a writer may move the table from the
    old place in between (it commits the move under the lock readers never take): then
    the read fails with "relation does not exist", and is done once more where the
    table now is. Inside a transaction the read runs under a savepoint, so the retry
    is possible there too; a move happens at most once, so one retry suffices."""
    import psycopg

    for attempt in (1, 2):
        where, columns = conn.execute(
            f"SELECT {VISIBLE.format(oid='t')} THEN t::text END, ARRAY(SELECT attname::text "
            f"FROM pg_attribute WHERE attrelid = t AND attnum > 0 AND NOT attisdropped) "
            f"FROM (SELECT {LOCATE} AS t) found",
            candidates(schema, legacy, table)).fetchone()
        if where is None:
            return missing
        try:
            with _savepoint(conn):
                return read(where, frozenset(columns))
        except psycopg.errors.UndefinedTable:
            if attempt == 2 or legacy is None:
                raise
    return missing  # not reached


@contextmanager
def _savepoint(conn: PgConnection) -> Iterator[None]:
    from psycopg.pq import TransactionStatus

    if conn.info.transaction_status == TransactionStatus.INTRANS:
        with conn.transaction():
            yield
    else:
        yield


# -- who can reach them (for audit, SEC105) -------------------------------------------
@dataclass(frozen=True)
class OwnObject:
    """dbtool's history schema or one of its tables, and what PUBLIC and the API roles
    may do with it (`grants`: role -> privileges; empty when nobody may)."""

    kind: str  # schema | table
    schema: str
    name: str | None
    grants: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def label(self) -> str:
        return self.schema if self.name is None else f"{self.schema}.{self.name}"


ACCESS = """
WITH roles(role, oid) AS (
  SELECT 'PUBLIC'::text, 0::oid
  UNION ALL SELECT rolname::text, oid FROM pg_roles WHERE rolname = ANY(%(roles)s)
), objects AS (
  SELECT 'table'::text AS kind, n.nspname::text AS schema, c.relname::text AS name, c.oid,
         COALESCE(c.relacl, acldefault('r', c.relowner)) AS acl
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = ANY(%(schemas)s) AND c.relname = ANY(%(tables)s) AND c.relkind IN ('r', 'p')
  UNION ALL
  SELECT 'schema', n.nspname::text, NULL, n.oid, COALESCE(n.nspacl, acldefault('n', n.nspowner))
    FROM pg_namespace n WHERE n.nspname = %(schema)s
)
SELECT o.kind, o.schema, o.name, r.role,
       ARRAY(SELECT p FROM unnest(CASE o.kind WHEN 'schema' THEN ARRAY['USAGE', 'CREATE']
                                  ELSE ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'] END)
                          WITH ORDINALITY AS k(p, ord)
              WHERE CASE WHEN r.oid = 0 THEN EXISTS (SELECT 1 FROM aclexplode(o.acl) a
                                                     WHERE a.grantee = 0 AND a.privilege_type = k.p)
                         WHEN o.kind = 'schema' THEN has_schema_privilege(r.oid, o.oid, k.p)
                         ELSE has_table_privilege(r.oid, o.oid, k.p) END
              ORDER BY k.ord) AS privileges
FROM objects o CROSS JOIN roles r
ORDER BY o.kind, o.schema, o.name, r.role
"""


def own_objects(conn: PgConnection, schema: str, legacy: str | None) -> list[OwnObject]:
    """dbtool's schema and tables (in the history schema and the old place) with the
    privileges PUBLIC and the API roles hold on them: one catalog query."""
    rows = conn.execute(ACCESS, {"roles": list(API_ROLES), "tables": list(OWN_TABLES),
                                 "schemas": [s for s in (schema, legacy) if s], "schema": schema}
                        ).fetchall()
    grouped: dict[tuple[str, str, str | None], list[tuple[str, tuple[str, ...]]]] = {}
    for kind, owner, name, role, privileges in rows:
        entry = grouped.setdefault((kind, owner, name), [])
        if privileges:
            entry.append((role, tuple(privileges)))
    return [OwnObject(kind, owner, name, tuple(grants)) for (kind, owner, name), grants in grouped.items()]
