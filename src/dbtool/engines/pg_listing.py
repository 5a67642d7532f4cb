"""What a Postgres server holds, for fleets: its databases, a database's schemas."""

from __future__ import annotations

from dbtool.engines.postgres import connect
from dbtool.urls import DatabaseUrl


# -- fleets: what a server holds ---------------------------------------------------------
def list_databases(url: DatabaseUrl) -> list[str]:
    """The databases of `url`'s server that accept connections (templates left out)."""
    conn = connect(url)
    try:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datallowconn AND NOT "
                            "datistemplate ORDER BY 1").fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows]


def list_schemas(url: DatabaseUrl) -> list[str]:
    """The schemas of `url`'s database, the system's own left out."""
    conn = connect(url)
    try:
        rows = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                            "AND nspname <> 'information_schema' ORDER BY 1").fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows]
