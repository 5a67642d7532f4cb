""""Unchanged" as a user would check it: the SQLite file byte for byte, the Postgres
catalog object for object (with the history rows)."""

from __future__ import annotations

from pathlib import Path

_PG_QUERIES = (
    "SELECT n.nspname, c.relname, c.relkind, c.relrowsecurity FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN "
    "('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1, 2",
    "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
    "pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid "
    "AND d.adnum = a.attnum WHERE a.attnum > 0 AND NOT a.attisdropped AND n.nspname NOT IN "
    "('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1, 2",
    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) "
    "ORDER BY 1, 2",
    "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c "
    "ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN "
    "('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1",
    "SELECT p.oid::regprocedure::text, p.prosrc, p.prosecdef, p.proconfig FROM pg_proc p "
    "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN "
    "('pg_catalog', 'information_schema') ORDER BY 1",
    "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger "
    "WHERE NOT tgisinternal ORDER BY 1, 2",
    "SELECT polrelid::regclass::text, polname, polcmd, polroles::text FROM pg_policy ORDER BY 1, 2",
    "SELECT t.typname, e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid "
    "ORDER BY 1, e.enumsortorder",
    "SELECT nspname FROM pg_namespace ORDER BY 1",
)


def sqlite_bytes(path: Path) -> tuple[bytes | None, ...]:
    """The database file and any journal/WAL next to it, byte for byte (None: absent)."""
    out = []
    for suffix in ("", "-journal", "-wal"):
        side = Path(f"{path}{suffix}")
        out.append(side.read_bytes() if side.exists() else None)
    return tuple(out)


def pg_catalog(url: str) -> list[tuple]:
    """Every user object of the database, with its definition, and the history rows."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows: list[tuple] = []
        for sql in _PG_QUERIES:
            rows.extend(conn.execute(sql).fetchall())
        if conn.execute("SELECT to_regclass('dbtool.dbtool_migrations')").fetchone()[0]:
            rows.extend(conn.execute("SELECT name, checksum FROM dbtool.dbtool_migrations ORDER BY id"))
    return rows
