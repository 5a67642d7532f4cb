"""SQLite / D1 inspector: catalog queries -> `Schema`.

Every query goes through a `QueryRunner`, so the same code reads a local
sqlite3 file, wrangler's local state and (later) the D1 REST API, where each
query is an HTTP round trip. That is why the inspector issues a fixed four
queries per database, joining `sqlite_schema` with the table-valued pragma
functions, instead of a pragma per table; and why it uses only pragmas D1
allows (table_xinfo, index_list, index_xinfo, foreign_key_list).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any, Protocol

from ..model import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    IndexColumn,
    PrimaryKey,
    Schema,
    Table,
    Trigger,
    UniqueConstraint,
    View,
)
from ..sql.normalize import normalize_default, normalize_sql, normalize_type
from ..sql.sqlite_ddl import (
    TableDef,
    parse_create_index,
    parse_create_table,
    parse_create_trigger,
    parse_create_view,
)
from .exclude import is_excluded

# Tables that are never part of a service's schema: the engine's, Cloudflare's,
# wrangler's migration history and dbtool's own bookkeeping.
ALWAYS_EXCLUDED = ("sqlite_*", "_cf_*", "d1_migrations", "dbtool_migrations", "dbtool_*")

_USER_OBJECTS = (
    "s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND s.name NOT LIKE '\\_cf\\_%' ESCAPE '\\'"
)
Q_OBJECTS = (
    "SELECT s.type, s.name, s.tbl_name, s.sql FROM sqlite_schema AS s "
    f"WHERE {_USER_OBJECTS} ORDER BY s.type, s.name"
)
Q_COLUMNS = (
    'SELECT s.name AS tbl, p.cid, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden '
    "FROM sqlite_schema AS s JOIN pragma_table_xinfo(s.name) AS p "
    f"WHERE s.type = 'table' AND {_USER_OBJECTS} ORDER BY s.name, p.cid"
)
Q_INDEXES = (
    'SELECT s.name AS tbl, il.name AS idx, il."unique" AS is_unique, il.origin, '
    'ix.seqno, ix.cid, ix.name AS col, ix."desc" AS is_desc, ix.coll '
    "FROM sqlite_schema AS s JOIN pragma_index_list(s.name) AS il "
    "JOIN pragma_index_xinfo(il.name) AS ix "
    f"WHERE s.type = 'table' AND {_USER_OBJECTS} AND ix.key = 1 "
    "ORDER BY s.name, il.name, ix.seqno"
)
Q_FOREIGN_KEYS = (
    'SELECT s.name AS tbl, f.id, f.seq, f."table" AS ref_table, f."from" AS col, '
    'f."to" AS ref_col, f.on_update, f.on_delete '
    "FROM sqlite_schema AS s JOIN pragma_foreign_key_list(s.name) AS f "
    f"WHERE s.type = 'table' AND {_USER_OBJECTS} ORDER BY s.name, f.id, f.seq"
)
QUERIES = (Q_OBJECTS, Q_COLUMNS, Q_INDEXES, Q_FOREIGN_KEYS)

# Shadow tables that virtual-table modules create next to the virtual table.
_SHADOW_SUFFIXES = ("data", "idx", "content", "docsize", "config", "segments", "segdir",
                    "stat", "node", "rowid", "parent")

Rows = list[dict[str, Any]]


class QueryRunner(Protocol):
    """Anything that runs one SQL query and returns its rows as dicts."""

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...


def inspect_sqlite(runner: QueryRunner, *, exclude: Collection[str] = ()) -> Schema:
    """Read a SQLite or D1 database into the model with four catalog queries."""
    objects, columns, indexes, fks = (runner.rows(q) for q in QUERIES)
    patterns = (*ALWAYS_EXCLUDED, *exclude)
    tables = {o["name"]: o for o in objects if o["type"] == "table"}
    hidden = _shadow_tables(tables) | {n for n in tables if is_excluded(n, patterns)}
    by_table: dict[str, Rows] = defaultdict(list)
    for row in columns:
        by_table[row["tbl"]].append(row)
    idx_rows = _group(indexes, "tbl")
    fk_rows = _group(fks, "tbl")
    index_sql = {o["name"]: o["sql"] for o in objects if o["type"] == "index"}
    pks = {name: _pk_columns(rows) for name, rows in by_table.items()}
    built = tuple(
        _table(o, by_table[name], idx_rows.get(name, []), fk_rows.get(name, []), index_sql, pks)
        for name, o in tables.items() if name not in hidden
    )
    views = tuple(
        View(name=o["name"], definition=parse_create_view(o["sql"]))
        for o in objects if o["type"] == "view" and not is_excluded(o["name"], exclude)
    )
    triggers = tuple(
        _trigger(o) for o in objects
        if o["type"] == "trigger" and o["tbl_name"] not in hidden
        and not is_excluded(o["tbl_name"], exclude)
    )
    return Schema(tables=built, views=views, triggers=triggers)


def _group(rows: Rows, key: str) -> dict[str, Rows]:
    out: dict[str, Rows] = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return out


def _shadow_tables(tables: dict[str, dict[str, Any]]) -> set[str]:
    virtual = [n for n, o in tables.items() if (o["sql"] or "").upper().startswith("CREATE VIRTUAL")]
    return {f"{v}_{s}" for v in virtual for s in _SHADOW_SUFFIXES} & set(tables)


def _pk_columns(rows: Rows) -> tuple[str, ...]:
    return tuple(r["name"] for r in sorted((r for r in rows if r["pk"]), key=lambda r: r["pk"]))


def _table(obj: dict[str, Any], col_rows: Rows, idx_rows: Rows, fk_rows: Rows,
           index_sql: dict[str, str | None], pks: dict[str, tuple[str, ...]]) -> Table:
    ddl = parse_create_table(obj["sql"])
    pk_cols = pks.get(obj["name"], ())
    options = ddl.options
    if (obj["sql"] or "").upper().startswith("CREATE VIRTUAL"):
        options = (normalize_sql(obj["sql"].split(None, 4)[-1]) or "",)
    return Table(
        name=obj["name"],
        columns=tuple(_column(r, ddl) for r in col_rows if r["hidden"] != 1),
        primary_key=PrimaryKey(pk_cols, ddl.pk_name) if pk_cols else None,
        uniques=_uniques(idx_rows, ddl),
        checks=tuple(CheckConstraint(check.expression, check.name) for check in ddl.checks),
        foreign_keys=_foreign_keys(fk_rows, ddl, pks),
        indexes=_indexes(idx_rows, index_sql, ddl),
        options=options,
    )


def _column(row: dict[str, Any], ddl: TableDef) -> Column:
    extra = ddl.by_name.get(row["name"].lower())
    generated = row["hidden"] in (2, 3)
    return Column(
        name=row["name"],
        type=normalize_type(row["type"]),
        nullable=not row["notnull"],
        default=normalize_default(row["dflt_value"]),
        generated=extra.generated if extra and generated else None,
        generated_stored=row["hidden"] == 3,
        identity="AUTOINCREMENT" if extra and extra.autoincrement else None,
        collation=extra.collation if extra else None,
    )


def _index_groups(idx_rows: Rows, origin: str) -> dict[str, Rows]:
    return _group([r for r in idx_rows if r["origin"] == origin], "idx")


def _uniques(idx_rows: Rows, ddl: TableDef) -> tuple[UniqueConstraint, ...]:
    out = []
    for rows in _index_groups(idx_rows, "u").values():
        cols = tuple(r["col"] for r in rows)
        out.append(UniqueConstraint(cols, ddl.unique_names.get(tuple(c.lower() for c in cols))))
    return tuple(out)


def _indexes(idx_rows: Rows, index_sql: dict[str, str | None], ddl: TableDef) -> tuple[Index, ...]:
    out = []
    for name, rows in _index_groups(idx_rows, "c").items():
        terms, where = parse_create_index(index_sql.get(name))
        cols = tuple(_index_column(r, terms, ddl) for r in rows)
        out.append(Index(name=name, columns=cols, unique=bool(rows[0]["is_unique"]), where=where))
    return tuple(out)


def _index_column(row: dict[str, Any], terms: list[Any], ddl: TableDef) -> IndexColumn:
    seq = row["seqno"]
    if row["cid"] == -2:
        text = terms[seq].text if seq < len(terms) else "?"
        return IndexColumn(text, expression=True, descending=bool(row["is_desc"]),
                           collation=_collation(row["coll"], None))
    name = row["col"] if row["col"] is not None else "rowid"
    column = ddl.by_name.get(name.lower())
    return IndexColumn(name, descending=bool(row["is_desc"]),
                       collation=_collation(row["coll"], column.collation if column else None))


def _collation(coll: str | None, column_collation: str | None) -> str | None:
    """Only a collation that differs from what the column implies is a fact of the index."""
    coll = (coll or "BINARY").upper()
    return None if coll == (column_collation or "BINARY") else coll


def _foreign_keys(fk_rows: Rows, ddl: TableDef, pks: dict[str, tuple[str, ...]]) -> tuple[ForeignKey, ...]:
    parsed = {(tuple(c.lower() for c in f.columns), f.ref_table.lower()): f for f in ddl.foreign_keys}
    out = []
    for rows in _group(fk_rows, "id").values():
        cols = tuple(r["col"] for r in rows)
        ref = rows[0]["ref_table"]
        ref_cols = tuple(r["ref_col"] for r in rows)
        if any(c is None for c in ref_cols):  # `REFERENCES parent` means the parent's key
            ref_cols = _lookup_ci(pks, ref)
        info = parsed.get((tuple(c.lower() for c in cols), ref.lower()))
        out.append(ForeignKey(
            columns=cols, ref_table=ref, ref_columns=ref_cols,
            on_delete=rows[0]["on_delete"].upper(), on_update=rows[0]["on_update"].upper(),
            deferrable=bool(info and info.deferrable),
            initially_deferred=bool(info and info.initially_deferred),
            name=info.name if info else None,
        ))
    return tuple(out)


def _lookup_ci(pks: dict[str, tuple[str, ...]], name: str) -> tuple[str, ...]:
    return next((v for k, v in pks.items() if k.lower() == name.lower()), ())


def _trigger(obj: dict[str, Any]) -> Trigger:
    ddl = parse_create_trigger(obj["sql"])
    return Trigger(
        name=obj["name"], table=obj["tbl_name"], timing=ddl.timing, events=ddl.events,
        for_each="ROW", columns=ddl.columns, condition=ddl.condition, body=ddl.body,
    )
