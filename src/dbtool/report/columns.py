"""Seed 004's "quick column list", for any engine (pure).

Seed 004 documents this query for Supabase:

    SELECT table_name, column_name, data_type, is_nullable, column_default
    FROM information_schema.columns WHERE table_schema = 'public'
    ORDER BY table_name, ordinal_position;

SQLite and D1 have no information_schema, so the list is produced from the
schema model instead, with the same five columns and the same order. The data
type is the model's (Postgres `format_type`, e.g. `character varying(255)`,
`text[]`, rather than information_schema's `character varying` / `ARRAY`),
which says more and reads the same on every engine.
"""

from __future__ import annotations

from typing import Any

from dbtool.report.data import IntrospectionReport

HEADERS = ("table_name", "column_name", "data_type", "is_nullable", "column_default")


def column_rows(report: IntrospectionReport) -> list[dict[str, Any]]:
    """One row per column, ordered by table name then ordinal position."""
    return [
        {"table_name": t.key, "column_name": c.name, "data_type": c.type,
         "is_nullable": "YES" if c.nullable else "NO", "column_default": c.default}
        for t in report.schema.tables for c in t.columns
    ]


def render_columns_table(report: IntrospectionReport) -> Any:
    """The list as a Rich table (the caller prints it)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{report.service}: columns", title_justify="left", show_edge=False,
                  pad_edge=False, header_style="bold")
    for header in HEADERS:
        table.add_column(header, overflow="fold")
    for row in column_rows(report):
        table.add_row(*(Text("" if row[h] is None else str(row[h])) for h in HEADERS))
    return table


__all__ = ["HEADERS", "column_rows", "render_columns_table"]
