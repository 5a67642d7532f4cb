"""dbtool's own Postgres tables are never reachable by the API roles (issue #15, item 1).

`dbtool_migrations` and `dbtool_history_log` live in the `dbtool` schema, closed
to PUBLIC, `anon` and `authenticated` whatever default privileges the database
has; tables an earlier dbtool left in `public` are moved on the first run that
takes the lock, rows kept, while readers read them where they are and change
nothing; `audit` reports any way the API roles could still reach them (SEC105).
"""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from dbtool.engines import capabilities
from dbtool.engines.postgres import PostgresEngine
from dbtool.errors import LockTimeout
from dbtool.urls import parse_url
from tests.helpers import migrate_service
from tests.history.support import PG_DOWN, PG_UP, as_json, dbtool, ok, states, write_set
from tests.reliability.fingerprint import pg_catalog

pytestmark = pytest.mark.postgres

NAMES = list(PG_UP)
OWN = ("dbtool_migrations", "dbtool_history_log")
ROLES = """DO $$ BEGIN CREATE ROLE anon NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE authenticated NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
"""


def query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def own_tables(url: str) -> list[tuple[str, str]]:
    return query(url, "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n "
                      "ON n.oid = c.relnamespace WHERE c.relname = ANY(%s) ORDER BY 1, 2", (list(OWN),))


def rows_of(url: str, schema: str) -> dict[str, list[tuple]]:
    """Every row of dbtool's tables in `schema`, every column, in id order."""
    out = {}
    for table in OWN:
        if query(url, "SELECT to_regclass(%s)", (f"{schema}.{table}",))[0][0] is not None:
            out[table] = query(url, f"SELECT * FROM {schema}.{table} ORDER BY id")
    return out


def denied_to(url: str, role: str, schema: str = "dbtool") -> list[str]:
    """Each read and write of dbtool's tables as `role`: the statements that were refused."""
    refused = []
    statements = [f"SELECT count(*) FROM {schema}.dbtool_migrations",
                  f"INSERT INTO {schema}.dbtool_migrations (name, version, checksum) VALUES ('x', 'x', 'x')",
                  f"DELETE FROM {schema}.dbtool_migrations",
                  f"UPDATE {schema}.dbtool_migrations SET checksum = 'forged'",
                  f"SELECT count(*) FROM {schema}.dbtool_history_log",
                  f"DELETE FROM {schema}.dbtool_history_log"]
    with psycopg.connect(url, autocommit=True) as conn:
        for sql in statements:
            try:
                with conn.transaction():
                    conn.execute(f'SET LOCAL ROLE "{role}"')
                    conn.execute(sql)
                    raise _Allowed(sql)
            except errors.InsufficientPrivilege:
                refused.append(sql)
            except (_Allowed, errors.UndefinedTable):
                pass
    return refused


class _Allowed(Exception):
    """The statement ran (the transaction is rolled back by raising)."""


def to_old_layout(url: str, *, grant_to: tuple[str, ...] = ("anon", "authenticated")) -> None:
    """What an earlier dbtool left: the tables in public, granted to the API roles by
    Supabase's default privileges, and no `dbtool` schema."""
    with psycopg.connect(url, autocommit=True) as conn:
        for table in OWN:
            if conn.execute("SELECT to_regclass(%s)", (f"dbtool.{table}",)).fetchone()[0]:
                conn.execute(f"ALTER TABLE dbtool.{table} SET SCHEMA public")
                for role in grant_to:
                    conn.execute(f'GRANT ALL ON public.{table} TO "{role}"')
        conn.execute("DROP SCHEMA IF EXISTS dbtool")


def test_studio_keeps_dbtool_history_out_of_the_api_roles_reach(pg_url: str) -> None:
    migrate_service("studio", pg_url)
    args = ("studio", "--url", pg_url)
    last = "20251215000000_make_credits_ledger_immutable.sql"
    for state in ("--pending", "--applied"):  # two rows in the audit trail
        as_json("mark", *args, last, state, "--yes")
    assert own_tables(pg_url) == [("dbtool", t) for t in sorted(OWN)], "no dbtool table in public"
    for role in ("anon", "authenticated"):
        assert len(denied_to(pg_url, role)) == 6, f"{role} reached dbtool's history"
    assert query(pg_url, "SELECT has_schema_privilege('anon', 'dbtool', 'USAGE'), "
                         "has_table_privilege('anon', 'dbtool.dbtool_migrations', 'SELECT')") == [(False, False)]
    audit = as_json("audit", *args)["services"][0]
    assert (audit["clean"], audit["security"], audit["changes"]) == (True, [], [])


def test_default_privileges_for_every_schema_do_not_reach_the_history(
        folder: Path, pg_url: str) -> None:
    """Global default privileges (no IN SCHEMA) on tables, sequences and schemas, to
    PUBLIC and the API roles: the tables dbtool creates are still closed to them."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(ROLES)
        for what in ("TABLES", "SEQUENCES", "SCHEMAS"):
            privilege = "USAGE" if what == "SCHEMAS" else "ALL"
            conn.execute(f"ALTER DEFAULT PRIVILEGES GRANT {privilege} ON {what} TO PUBLIC, anon, authenticated")
    write_set(folder, PG_UP, PG_DOWN)
    args = ("--dir", str(folder), "--url", pg_url)
    ok("migrate", *args)
    as_json("mark", *args, NAMES[-1], "--pending", "--yes")  # creates the audit-trail table
    for role in ("anon", "authenticated", "public"):
        granted = query(pg_url, "SELECT has_schema_privilege(%s, 'dbtool', 'USAGE'), "
                                "bool_or(has_table_privilege(%s, c.oid, p)), "
                                "bool_or(has_sequence_privilege(%s, s.oid, 'USAGE')) "
                                "FROM pg_class c, pg_class s, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', "
                                "'DELETE', 'TRUNCATE']) p WHERE c.relname = ANY(%s) AND s.relkind = 'S' "
                                "AND s.relnamespace = 'dbtool'::regnamespace",
                        (role, role, role, list(OWN)))
        assert granted == [(False, False, False)], role
    assert len(denied_to(pg_url, "anon")) == 6


def test_an_old_layout_is_read_in_place_and_moved_by_the_next_migrate(pg_url: str) -> None:
    """The acceptance case: studio built by an earlier dbtool (tables in public, granted
    to anon by Supabase's default privileges). Readers see the history and change
    nothing; audit flags it; the next `migrate` (nothing pending) moves it, rows kept."""
    migrate_service("studio", pg_url)
    args = ("studio", "--url", pg_url)
    last = "20251215000000_make_credits_ledger_immutable.sql"
    for state in ("--pending", "--applied"):  # two rows in the audit trail
        as_json("mark", *args, last, state, "--yes")
    to_old_layout(pg_url)
    before_rows = rows_of(pg_url, "public")
    assert len(before_rows["dbtool_migrations"]) == 17 and len(before_rows["dbtool_history_log"]) == 2
    assert len(denied_to(pg_url, "anon", "public")) == 0, "the old layout is as exposed as the issue says"

    before = pg_catalog(pg_url)
    seen = states(*args)
    assert len(seen) == 17 and all(s["state"] == "applied" for s in seen.values())
    audit = dbtool("audit", *args, "--format", "json")
    assert audit.returncode == 1
    findings = {(f["code"], f["object"]) for f in json.loads(audit.stdout)["services"][0]["security"]}
    assert findings == {("SEC105", "public.dbtool_migrations"), ("SEC105", "public.dbtool_history_log")}
    assert as_json("migrate", *args, "--dry-run")["services"][0]["planned"] == []
    ok("introspect", *args)
    assert pg_catalog(pg_url) == before and rows_of(pg_url, "public") == before_rows, "readers wrote"

    assert as_json("migrate", *args)["services"][0]["applied"] == []
    assert own_tables(pg_url) == [("dbtool", t) for t in sorted(OWN)]
    assert rows_of(pg_url, "dbtool") == before_rows, "every row, every column kept"
    assert len(denied_to(pg_url, "anon")) == 6
    assert states(*args) == seen
    audit = as_json("audit", *args)["services"][0]
    assert (audit["clean"], audit["security"]) == (True, [])
    # the identity sequence moved with the table: the next row continues the numbering
    as_json("mark", *args, last, "--pending", "--yes")
    assert query(pg_url, "SELECT max(id) FROM dbtool.dbtool_history_log") == [(3,)]


def test_a_history_in_both_places_is_refused_and_nothing_changes(folder: Path, pg_url: str) -> None:
    write_set(folder, PG_UP)
    args = ("--dir", str(folder), "--url", pg_url)
    ok("migrate", *args, "--to", NAMES[1])
    with psycopg.connect(pg_url, autocommit=True) as conn:  # an earlier dbtool ran again afterwards
        conn.execute("CREATE TABLE public.dbtool_migrations (LIKE dbtool.dbtool_migrations)")
    before = pg_catalog(pg_url)
    proc = dbtool("migrate", *args)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
    assert "dbtool_migrations exists both in public" in proc.stderr and "dbtool" in proc.stderr
    assert pg_catalog(pg_url) == before


def test_runs_before_and_after_the_move_share_one_lock(pg_url: str) -> None:
    """One advisory key per database: an older dbtool (history in public, key derived from
    it), one configured with another history schema and this one all wait for each other."""
    url = parse_url(pg_url)
    holders = [PostgresEngine(url, capabilities("postgres"), history_schema=s) for s in ("public", "ops")]
    waiter = PostgresEngine(url, capabilities("postgres"))
    try:
        for holder in holders:
            with holder.lock(5), pytest.raises(LockTimeout), waiter.lock(0.2):
                pass
        with waiter.lock(1):
            pass  # free again
    finally:
        for engine in (*holders, waiter):
            engine.close()


def test_the_move_is_atomic_under_concurrent_writers_generated(pg_url_factory, tmp_path: Path) -> None:
    """Seeded schedules: an old layout with random rows, grants and a leftover empty
    `dbtool` schema, then 1-4 concurrent writers (migrate, mark). The history is moved
    exactly once, no row is lost or doubled, nothing stays in public, anon is shut out."""
    for seed in range(6):
        _one_move_schedule(random.Random(seed), pg_url_factory(), tmp_path / f"seed{seed}", seed)


def _one_move_schedule(rng: random.Random, url: str, folder: Path, seed: int) -> None:
    write_set(folder, PG_UP)
    args = ("--dir", str(folder), "--url", url)
    applied = rng.randint(1, len(NAMES) - 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(ROLES)
    ok("migrate", *args, "--to", NAMES[applied - 1])
    if rng.random() < 0.5:
        for state in ("--pending", "--applied"):  # rows in the audit trail
            as_json("mark", *args, NAMES[applied - 1], state, "--yes")
    to_old_layout(url, grant_to=tuple(rng.sample(["anon", "authenticated"], rng.randint(0, 2))))
    if rng.random() < 0.5:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA dbtool")  # left empty by someone
    before = rows_of(url, "public")
    writers = rng.randint(1, 4)
    kind = rng.choice(["migrate", "mark"])  # mark and migrate together could refuse by design
    commands = ([("migrate", *args, "--to", rng.choice(NAMES[applied - 1:])) for _ in range(writers)]
                if kind == "migrate" else [("mark", *args, NAMES[applied], "--applied", "--yes")] * writers)
    results: list[int] = [-1] * writers

    def write(i: int) -> None:
        results[i] = dbtool(*commands[i], process=True).returncode  # writers that overlap

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    last = max(NAMES.index(c[-1]) for c in commands) if kind == "migrate" else applied
    context = f"seed {seed}: {[f'{c[0]} {c[-1]}' for c in commands]}, {applied} applied before"
    assert results == [0] * writers, context
    placed = own_tables(url)
    assert {s for s, _ in placed} == {"dbtool"} and set(before) <= {t for _, t in placed}, context
    after = rows_of(url, "dbtool")
    for table, rows in before.items():
        assert after[table][: len(rows)] == rows, f"{context}: {table} rows changed"
    names = [r[0] for r in query(url, "SELECT name FROM dbtool.dbtool_migrations ORDER BY id")]
    assert len(names) == len(set(names)), f"{context}: a file recorded twice"
    assert names == NAMES[: last + 1], context
    assert len(denied_to(url, "anon")) == 6, context  # no USAGE on the schema: all refused


@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "read-view"])
def test_a_reader_whose_table_moves_between_locate_and_read_reads_it_again(
        folder: Path, pg_url: str, in_transaction: bool) -> None:
    """The schedule the generated family hit: `status` locates the history in public, a
    writer moves it (and commits) before the read runs. The read is done again where the
    table now is, inside a transaction too (under a savepoint)."""
    from dbtool.engines import pg_own_tables

    write_set(folder, PG_UP)
    ok("migrate", "--dir", str(folder), "--url", pg_url, "--to", NAMES[1])
    to_old_layout(pg_url)
    engine = PostgresEngine(parse_url(pg_url), capabilities("postgres"))
    calls: list[str] = []

    def read(table: str, columns: frozenset[str]) -> list[str]:
        calls.append(table)
        if len(calls) == 1:  # the writer moves it now, between locate and read
            with psycopg.connect(pg_url, autocommit=True) as other, other.transaction():
                pg_own_tables.relocate(other, "dbtool", "public")
        return [r[0] for r in engine.conn.execute(f"SELECT name FROM {table} ORDER BY id")]

    try:
        if in_transaction:
            with engine.read_view():
                names = pg_own_tables.read_table(engine.conn, "dbtool", "public", "dbtool_migrations", read, [])
        else:
            names = pg_own_tables.read_table(engine.conn, "dbtool", "public", "dbtool_migrations", read, [])
    finally:
        engine.close()
    assert calls == ["dbtool_migrations", "dbtool.dbtool_migrations"] and names == NAMES[:2]
