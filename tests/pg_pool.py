"""Throwaway Postgres databases for the tests, handed out again once emptied.

A new database is some 300 files; on a file system without a journal (ext4 here) every
file created soon after many were deleted scans past the recently freed inodes, so the
suite's stream of CREATE/DROP DATABASE cost more server CPU than everything the tests
ran inside them. A database a test is done with is therefore emptied (every session
ended, every schema, extension, event trigger, publication and large object dropped,
`public` made again as initdb makes it, database settings reset) and handed to the next
test of this process, but only when the catalog then holds nothing a new database would
not: anything else left behind (a cast, a language, a foreign server, a database-level
grant or comment, …) and it is dropped as before. At exit the pool is dropped.
"""

from __future__ import annotations

import atexit
import uuid

POOLED_PREFIX = "dbtool_test"  # other prefixes are listed by name (fleet globs): never pooled
MAX_IDLE = 4
FIRST_USER_OID = 16384  # FirstNormalObjectId: objects of initdb are below it
_idle: list[str] = []  # database names, emptied, owned by this process

# catalogs whose rows above FIRST_USER_OID a new database does not have (public aside)
_CATALOGS = ("pg_class", "pg_type", "pg_proc", "pg_cast", "pg_language", "pg_am", "pg_operator",
             "pg_opfamily", "pg_opclass", "pg_collation", "pg_conversion", "pg_extension",
             "pg_foreign_data_wrapper", "pg_foreign_server", "pg_event_trigger", "pg_publication",
             "pg_ts_config", "pg_ts_dict", "pg_transform", "pg_statistic_ext", "pg_default_acl",
             "pg_largeobject_metadata")


def _url(admin_url: str, name: str):
    from dbtool.urls import parse_url, with_database

    return with_database(parse_url(admin_url), name)


def create(admin_url: str, prefix: str = POOLED_PREFIX) -> str:
    """A URL of an empty database: an emptied one of this process, or a new one (created
    by dbtool's own engine, so in the session's default tablespace, see pg_tablespace)."""
    from dbtool.engines.postgres import PostgresEngine
    from dbtool.urls import parse_url

    name = _idle.pop() if prefix == POOLED_PREFIX and _idle else None
    if name is None:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        PostgresEngine.create_database(_url(admin_url, name), admin=parse_url(admin_url))
    return _url(admin_url, name).raw


def drop(admin_url: str, url: str) -> None:
    """Give the database back: emptied into the pool when that leaves it as new, else dropped."""
    name = url.rpartition("/")[2]
    if name.startswith(POOLED_PREFIX + "_") and len(_idle) < MAX_IDLE and _emptied(url):
        _idle.append(name)
        return
    _drop(admin_url, name)


def _drop(admin_url: str, name: str) -> None:
    from dbtool.engines.postgres import PostgresEngine
    from dbtool.urls import parse_url

    PostgresEngine.drop_database(_url(admin_url, name), admin=parse_url(admin_url))


def _emptied(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            _empty(conn)
            return _as_new(conn)
    except psycopg.Error:
        return False  # whatever went wrong, DROP DATABASE settles it


def _names(conn, query: str) -> list[str]:
    return [row[0] for row in conn.execute(query)]


def _empty(conn) -> None:
    conn.execute("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                 "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    for trigger in _names(conn, "SELECT quote_ident(evtname) FROM pg_event_trigger"):
        conn.execute(f"DROP EVENT TRIGGER {trigger}")
    for publication in _names(conn, "SELECT quote_ident(pubname) FROM pg_publication"):
        conn.execute(f"DROP PUBLICATION {publication}")
    schemas = _names(conn, "SELECT quote_ident(nspname) FROM pg_namespace WHERE nspname !~ '^pg_' "
                           "AND nspname <> 'information_schema'")
    if schemas:
        conn.execute(f"DROP SCHEMA {', '.join(schemas)} CASCADE")
    # the temp schemas of ended sessions (a new database has none)
    for temp in _names(conn, "SELECT quote_ident(nspname) FROM pg_namespace "
                             "WHERE nspname ~ '^pg_(toast_)?temp_[0-9]+$' ORDER BY nspname DESC"):
        conn.execute(f"DROP SCHEMA {temp} CASCADE")
    for extension in _names(conn, "SELECT quote_ident(extname) FROM pg_extension WHERE extname <> 'plpgsql'"):
        conn.execute(f"DROP EXTENSION {extension} CASCADE")
    conn.execute("SELECT lo_unlink(oid) FROM pg_largeobject_metadata")
    conn.execute("CREATE SCHEMA public AUTHORIZATION pg_database_owner")
    conn.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
    conn.execute("COMMENT ON SCHEMA public IS 'standard public schema'")
    name = conn.execute("SELECT quote_ident(current_database())").fetchone()[0]
    conn.execute(f"ALTER DATABASE {name} RESET ALL")
    for role in _names(conn, "SELECT quote_ident(rolname) FROM pg_db_role_setting s JOIN pg_roles r "
                             "ON r.oid = s.setrole JOIN pg_database d ON d.oid = s.setdatabase "
                             "WHERE d.datname = current_database()"):
        conn.execute(f"ALTER ROLE {role} IN DATABASE {name} RESET ALL")


def _as_new(conn) -> bool:
    """Nothing in the catalog that CREATE DATABASE would not have made."""
    left = sum(conn.execute(f"SELECT count(*) FROM {catalog} WHERE oid >= {FIRST_USER_OID}").fetchone()[0]
               for catalog in _CATALOGS)
    namespaces = _names(conn, f"SELECT nspname FROM pg_namespace WHERE oid >= {FIRST_USER_OID}")
    database = conn.execute(
        "SELECT d.datacl IS NULL AND d.datconnlimit = -1 AND d.datallowconn "
        "AND r.rolname = current_user "
        "AND NOT EXISTS (SELECT 1 FROM pg_shdescription WHERE objoid = d.oid) "
        "AND NOT EXISTS (SELECT 1 FROM pg_shseclabel WHERE objoid = d.oid) "
        "AND NOT EXISTS (SELECT 1 FROM pg_db_role_setting WHERE setdatabase = d.oid) "
        "AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname "
        "                AND a.pid <> pg_backend_pid()) "
        "FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = current_database()"
    ).fetchone()[0]
    return left == 0 and namespaces == ["public"] and database


@atexit.register
def _drop_idle() -> None:
    from tests.conftest import PG_ADMIN_URL

    while _idle:
        try:
            _drop(PG_ADMIN_URL, _idle.pop())
        except Exception:  # the server went away first: nothing left to tidy
            return
