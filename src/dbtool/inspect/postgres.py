"""Postgres inspector: bulk `pg_catalog` queries -> `Schema`.

A fixed number of statements per call (see `pg_queries`), whatever the number
of tables: measured faster than SQLAlchemy's multi-table reflection and it
also covers what reflection does not (policies, publications, triggers,
functions). The session's `search_path` is pinned to the default schema for
the duration, so the engine's deparsers qualify names the same way on every
run, and JIT is turned off; the caller's settings are restored afterwards.

The builder runs once per catalog row (6,000 columns for 1,000 tables), so it
does each piece of work once: rows grouped by table in one pass, constraints
split by type in one loop, patterns and expressions compiled at import.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..model import (
    GRANT_OPTION,
    CheckConstraint,
    Column,
    Enum,
    Extension,
    ForeignKey,
    Function,
    Grant,
    Index,
    IndexColumn,
    NotCompared,
    Policy,
    PrimaryKey,
    Publication,
    Schema,
    Table,
    Trigger,
    UniqueConstraint,
    View,
    gc_paused,
    qualify,
)
from ..model import (
    Sequence as SequenceModel,
)
from ..quoting import quote_postgres
from ..sql.normalize import clean_body, is_null_default, unwrap_parens
from . import pg_queries as q
from . import pg_uncompared
from .exclude import excluder
from .pg_names import looks_generated

if TYPE_CHECKING:
    import psycopg

ALWAYS_EXCLUDED = ("dbtool_migrations", "dbtool_*")
Rows = list[dict[str, Any]]

_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}
_VOLATILITY = {"i": "IMMUTABLE", "s": "STABLE", "v": "VOLATILE"}
_IDENTITY = {"a": "ALWAYS", "d": "BY DEFAULT"}
_TRIGGER_EVENTS = ((4, "INSERT"), (16, "UPDATE"), (8, "DELETE"), (32, "TRUNCATE"))
_TRIGGER_TAIL = re.compile(r"\sEXECUTE\s+(?:FUNCTION|PROCEDURE)\s+(.*)$", re.S)
_TRIGGER_WHEN = re.compile(r"\sWHEN\s+\((.*)\)\s+EXECUTE\s+(?:FUNCTION|PROCEDURE)\s", re.S)
_CHECK_PREFIX = re.compile(r"^CHECK\s*")
_CHECK_SUFFIX = re.compile(r"(\s+(NOT VALID|NO INHERIT))+\s*$")


class _Runner:
    """Runs statements on a psycopg connection and returns dict rows."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> Rows:
        return _dicts(self.conn.execute(sql, params))

    def all_rows(self, queries: dict[str, str], params: dict[str, Any]) -> dict[str, Rows]:
        """Every query's rows, by name. In pipeline mode (libpq 14+) all are sent at
        once: the server runs the next query while this side reads the last one's rows."""
        if not _pipeline_supported() or not hasattr(self.conn, "pipeline"):
            return {name: self.rows(sql, params) for name, sql in queries.items()}
        with self.conn.pipeline():
            cursors = {name: self.conn.execute(sql, params) for name, sql in queries.items()}
            return {name: _dicts(cur) for name, cur in cursors.items()}


def _dicts(cur: Any) -> Rows:
    rows = cur.fetchall()  # first: a pipelined cursor has no description before its result
    names = [d.name for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in rows]


def _pipeline_supported() -> bool:
    try:
        from psycopg import Pipeline
    except ImportError:  # psycopg < 3.1
        return False
    return bool(Pipeline.is_supported())


def statements(server_version: int) -> dict[str, str]:
    """Every catalog query the inspector runs, by name (fixed, table count independent)."""
    body = q.FUNCTION_BODY_14 if server_version >= 140000 else q.FUNCTION_BODY_OLD
    nnd = q.NULLS_NOT_DISTINCT_15 if server_version >= 150000 else q.NULLS_NOT_DISTINCT_OLD
    compression = q.COMPRESSION_14 if server_version >= 140000 else q.COMPRESSION_OLD
    return {
        "relations": q.RELATIONS, "columns": q.COLUMNS.replace("{compression}", compression),
        "constraints": q.CONSTRAINTS.replace("{nulls_not_distinct}", nnd),
        "indexes": q.INDEXES.replace("{nulls_not_distinct}", nnd), "triggers": q.TRIGGERS,
        "policies": q.POLICIES, "functions": q.FUNCTIONS.replace("{body}", body), "enums": q.ENUMS,
        "sequences": q.SEQUENCES, "extensions": q.EXTENSIONS, "publications": q.PUBLICATIONS,
        "uncompared": pg_uncompared.statement(server_version),
    }


def inspect_postgres(conn: psycopg.Connection[Any], schemas: Sequence[str] = ("public",), *,
                     exclude: Collection[str] = ()) -> Schema:
    """Read the named schemas into the model; the first one is the default (unqualified)."""
    if isinstance(schemas, str):
        schemas = (schemas,)
    runner = _Runner(conn)
    params = {"schemas": list(schemas)}
    version = conn.info.server_version
    with gc_paused():
        with _pinned_settings(runner, conn, schemas[0]):
            data = runner.all_rows(statements(version), params)
        return _Builder(data, schemas[0], (*ALWAYS_EXCLUDED, *exclude), version).schema()




@contextmanager
def _pinned_settings(runner: _Runner, conn: Any, schema: str) -> Iterator[None]:
    """search_path = the default schema and jit = off for the inspection (see pg_queries)."""
    from psycopg.pq import TransactionStatus

    ours = not conn.autocommit and conn.info.transaction_status == TransactionStatus.IDLE
    old = runner.rows(q.SETTINGS_GET)[0]
    runner.rows(q.SETTINGS_SET, {"search_path": quote_postgres(schema), "jit": "off"})
    try:
        yield
    finally:
        if ours:
            conn.rollback()  # our own read-only transaction; also undoes set_config
        elif conn.info.transaction_status != TransactionStatus.INERROR:
            runner.rows(q.SETTINGS_SET, old)


def _by(rows: Rows, key: str) -> dict[Any, Rows]:
    out: dict[Any, Rows] = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return out


class _Builder:
    """Turns the raw catalog rows into model objects."""

    def __init__(self, data: dict[str, Rows], default: str, exclude: Collection[str],
                 server_version: int = 150000) -> None:
        self.data = data
        # what GRANT ALL gives on a table or view (MAINTAIN arrived in PostgreSQL 17)
        self.relation_all = _RELATION_ALL | ({"MAINTAIN"} if server_version >= 170000 else set())
        self.default = default
        self.excluded = excluder(exclude)
        self.rels = {r["oid"]: r for r in data["relations"] if not self._excluded(r)}
        self.serial_sequences: set[str] = set()
        self.attnames: dict[int, dict[int, str]] = defaultdict(dict)  # oid -> attnum -> name
        for r in data["columns"]:
            self.attnames[r["oid"]][r["num"]] = r["name"]
        for row in data["constraints"]:
            row["columns"] = self._names(row["oid"], row["attnums"])
            if row["type"] == "f" and row["ref_columns"] is None:  # the query names only
                row["ref_columns"] = self._names(row["ref_oid"], row["ref_attnums"])  # other schemas'
        for row in data["indexes"]:  # plain columns by name, expressions as deparsed
            names = self._names(row["oid"], row["attnums"])
            row["terms"] = [e if e is not None else n for e, n in zip(row["expressions"], names, strict=True)]

    def _names(self, oid: int, attnums: Sequence[int] | None) -> tuple[str, ...]:
        """Column names of a table's attribute numbers (read once, in `columns`)."""
        get = self.attnames.get(oid, {}).get
        return tuple([get(n, "?") for n in attnums or ()])

    def _schema_of(self, schema: str | None) -> str | None:
        return None if schema is None or schema == self.default else schema

    def _key(self, schema: str, name: str) -> str:
        return qualify(name, self._schema_of(schema))

    def _excluded(self, rel: dict[str, Any]) -> bool:
        return self.excluded(rel["name"]) or self.excluded(f"{rel['schema']}.{rel['name']}")

    def schema(self) -> Schema:
        tables = self._tables()
        return Schema(
            tables=tables,
            views=tuple(self._view(r) for r in self.rels.values() if r["kind"] in ("v", "m")),
            triggers=tuple(self._triggers()),
            functions=tuple(self._function(r) for r in self.data["functions"]),
            enums=tuple(Enum(r["name"], tuple(r["labels"]), self._schema_of(r["schema"]))
                        for r in self.data["enums"]),
            sequences=tuple(self._sequences()),
            extensions=tuple(Extension(r["name"], self._schema_of(r["schema"]))
                             for r in self.data["extensions"]),
            publications=tuple(self._publication(r) for r in self.data["publications"]),
            not_compared=tuple(NotCompared(kind, n) for kind, n in pg_uncompared.counted(
                self.data["uncompared"], [c for c in self.data["columns"] if c["oid"] in self.rels])),
        )

    # --- tables -----------------------------------------------------------------

    def _tables(self) -> tuple[Table, ...]:
        columns = _by(self.data["columns"], "oid")
        constraints = _by(self.data["constraints"], "oid")
        indexes = _by(self.data["indexes"], "oid")
        policies = _by(self.data["policies"], "oid")
        none: Rows = []
        return tuple(
            self._table(rel, columns.get(oid, none), constraints.get(oid, none),
                        indexes.get(oid, none), policies.get(oid, none))
            for oid, rel in self.rels.items() if rel["kind"] in ("r", "p")
        )

    def _table(self, rel: dict[str, Any], cols: Rows, cons: Rows, idx: Rows, pols: Rows) -> Table:
        name = rel["name"]
        pk: PrimaryKey | None = None
        uniques: list[UniqueConstraint] = []
        checks: list[CheckConstraint] = []
        fks: list[ForeignKey] = []
        for c in cons:  # one pass, in catalog order within each type
            kind = c["type"]
            if kind == "p":
                if pk is None:
                    pk = PrimaryKey(c["columns"], c["name"],
                                    looks_generated(c["name"], name, "p", c["columns"]))
            elif kind == "u":
                uniques.append(UniqueConstraint(c["columns"], c["name"],
                                                looks_generated(c["name"], name, "u", c["columns"]),
                                                bool(c["nulls_not_distinct"])))
            elif kind == "c":
                checks.append(self._check(name, c))
            elif kind == "f":
                fks.append(self._foreign_key(name, c))
        return Table(
            name=name,
            schema=self._schema_of(rel["schema"]),
            columns=tuple([self._column(c) for c in cols]),
            primary_key=pk,
            uniques=tuple(uniques),
            checks=tuple(checks),
            foreign_keys=tuple(fks),
            indexes=tuple([self._index(name, i) for i in idx]),
            options=self._options(rel),
            comment=rel["comment"],
            rls_enabled=rel["rls_enabled"],
            rls_forced=rel["rls_forced"],
            policies=tuple([self._policy(p) for p in pols]),
            grants=_grants(rel["grants"], self.relation_all),
        )

    def _options(self, rel: dict[str, Any]) -> tuple[str, ...]:
        if rel["persistence"] != "u" and not rel["partition_key"] and not rel["partition_of"]:
            return ()
        options = []
        if rel["persistence"] == "u":
            options.append("UNLOGGED")
        if rel["partition_key"]:
            options.append(f"PARTITION BY {rel['partition_key']}")
        if rel["partition_of"]:
            schema, _, parent = rel["partition_of"].partition(".")
            options.append(f"PARTITION OF {self._key(schema, parent)} {rel['partition_bound']}")
        return tuple(options)

    def _column(self, row: dict[str, Any]) -> Column:
        expr = row["expr"]
        generated = default = None
        if expr is not None:
            expr = unwrap_parens(expr)
            if row["generated_kind"] == "s":
                generated = expr
            elif not is_null_default(expr):
                default = expr
        identity = _IDENTITY.get(row["identity"])
        seq = row["owned_sequence"]
        if default and seq and default == f"nextval('{seq.replace(chr(39), chr(39) * 2)}'::regclass)":
            self.serial_sequences.add(seq)
            default, identity = None, "SERIAL"  # independent of the sequence's name
        return Column(
            name=row["name"], type=row["type"], nullable=not row["notnull"], default=default,
            generated=generated, generated_stored=generated is not None, identity=identity,
            collation=row["collation"], comment=row["comment"],
        )

    def _check(self, table: str, row: dict[str, Any]) -> CheckConstraint:
        text = _CHECK_SUFFIX.sub("", row["definition"])
        text = unwrap_parens(_CHECK_PREFIX.sub("", text))
        return CheckConstraint(text, row["name"], looks_generated(row["name"], table, "c", row["columns"]),
                               not_valid=not row["validated"], no_inherit=row["no_inherit"])

    def _foreign_key(self, table: str, row: dict[str, Any]) -> ForeignKey:
        return ForeignKey(
            columns=row["columns"], ref_table=row["ref_table"],
            ref_columns=tuple(row["ref_columns"]), ref_schema=self._schema_of(row["ref_schema"]),
            on_delete=_ACTIONS[row["on_delete"]], on_update=_ACTIONS[row["on_update"]],
            deferrable=row["deferrable"], initially_deferred=row["deferred"],
            name=row["name"], name_generated=looks_generated(row["name"], table, "f", row["columns"]),
            not_valid=not row["validated"],
        )

    def _index(self, table: str, row: dict[str, Any]) -> Index:
        nkey, attnums, terms = row["nkey"], row["attnums"], row["terms"]
        extra = row["terms_extra"] or [(None, None)] * nkey  # None: defaults throughout
        cols = tuple(_index_column(attnums[k], terms[k], row["options"][k], *extra[k]) for k in range(nkey))
        return Index(
            name=row["name"], columns=cols, unique=row["is_unique"], where=_unwrap(row["predicate"]),
            method=None if row["method"] == "btree" else row["method"],
            include=tuple(terms[nkey:]),
            name_generated=_index_name_generated(row["name"], table, cols),
            nulls_not_distinct=bool(row["nulls_not_distinct"]),
        )

    def _policy(self, row: dict[str, Any]) -> Policy:
        return Policy(
            name=row["name"], command=_COMMANDS[row["command"]], permissive=row["permissive"],
            roles=tuple(row["roles"]), using=_unwrap(row["using_expr"]),
            with_check=_unwrap(row["check_expr"]),
        )

    # --- other objects ------------------------------------------------------------

    def _view(self, rel: dict[str, Any]) -> View:
        definition = clean_body(rel["definition"]) or ""
        return View(name=rel["name"], definition=definition.rstrip(";").rstrip(),
                    schema=self._schema_of(rel["schema"]), materialized=rel["kind"] == "m",
                    comment=rel["comment"], security_invoker=bool(rel["security_invoker"]),
                    reads=tuple(sorted(self._key(s, n) for s, n in rel["reads"] or ())),
                    grants=_grants(rel["grants"], self.relation_all))

    def _triggers(self) -> Iterator[Trigger]:
        for row in self.data["triggers"]:
            rel = self.rels.get(row["oid"])
            if rel is not None:
                yield _trigger(row, self._key(rel["schema"], rel["name"]))

    def _function(self, row: dict[str, Any]) -> Function:
        return Function(
            name=row["name"], arguments=row["arguments"], returns=row["returns"],
            language=row["language"], body=clean_body(row["body"]) or "",
            schema=self._schema_of(row["schema"]),
            kind="procedure" if row["kind"] == "p" else "function",
            security_definer=row["security_definer"], volatility=_VOLATILITY[row["volatility"]],
            strict=row["strict"], config=tuple(row["config"] or ()), comment=row["comment"],
            grants=_grants(row["grants"], _NOTHING),
            signature=row["signature"] if row["signature"] != row["arguments"] else None,
        )

    def _sequences(self) -> Iterator[SequenceModel]:
        table_oids = {oid for oid, r in self.rels.items()}
        for r in self.data["sequences"]:
            owned_by_column = r["owned"] == "i" or r["regclass"] in self.serial_sequences
            if owned_by_column or (r["owned"] and r["owner_oid"] not in table_oids):
                continue  # shows as the column's identity/SERIAL, or belongs to an excluded table
            yield SequenceModel(
                name=r["name"], data_type=r["data_type"], start=r["start"],
                increment=r["increment"], min_value=r["min_value"], max_value=r["max_value"],
                cache=r["cache"], cycle=r["cycle"], schema=self._schema_of(r["schema"]),
                grants=_grants(r["grants"], _SEQUENCE_ALL),
            )

    def _publication(self, row: dict[str, Any]) -> Publication:
        tables = [self._key(s, n) for s, n in zip(row["table_schemas"], row["table_names"], strict=True)
                  if not self.excluded(n)]
        ops = tuple(op for op in ("insert", "update", "delete", "truncate") if row[f"pub{op}"])
        return Publication(name=row["name"], tables=tuple(tables), all_tables=row["all_tables"],
                           operations=ops)


def _unwrap(text: str | None) -> str | None:
    return None if text is None else unwrap_parens(text)


def _index_column(attnum: int, term: str, option: int, opclass: str | None = None,
                  collation: str | None = None) -> IndexColumn:
    descending = bool(option & 1)
    nulls_first = bool(option & 2)
    return IndexColumn(
        name=term, expression=attnum == 0, descending=descending,
        nulls_first=nulls_first if nulls_first != descending else None,
        collation=collation, opclass=opclass,
    )


# What GRANT ALL gives, per kind of object: abbreviated to ALL when a role holds it all.
_RELATION_ALL = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"})
_SEQUENCE_ALL = frozenset({"USAGE", "SELECT", "UPDATE"})
_NOTHING: frozenset[str] = frozenset()  # functions: EXECUTE reads better than ALL


def _grants(rows: Sequence[Sequence[Any]] | None, everything: frozenset[str]) -> tuple[Grant, ...]:
    """[grantee, privilege, grantable] triples -> one Grant per role."""
    held: dict[str, dict[str, bool]] = defaultdict(dict)
    for role, privilege, grantable in rows or ():
        held[role][privilege] = bool(grantable)
    return tuple(Grant(role, _privileges(privileges, everything)) for role, privileges in held.items())


def _privileges(held: dict[str, bool], everything: frozenset[str]) -> tuple[str, ...]:
    if everything and held.keys() == everything and len(set(held.values())) == 1:
        return ("ALL" + (GRANT_OPTION if next(iter(held.values())) else ""),)
    return tuple(p + (GRANT_OPTION if grantable else "") for p, grantable in held.items())


def _index_name_generated(name: str, table: str, cols: tuple[IndexColumn, ...]) -> bool:
    """Postgres names an expression term after its function, or `expr`."""
    plain = [c.name if not c.expression else "expr" for c in cols]
    if looks_generated(name, table, "i", plain):
        return True
    if not any(c.expression for c in cols):
        return False  # the function-name spelling is the same list
    funcs = [c.name if not c.expression else c.name.split("(")[0].strip() for c in cols]
    return looks_generated(name, table, "i", funcs)


def _trigger(row: dict[str, Any], table: str) -> Trigger:
    bits = row["type"]
    timing = "INSTEAD OF" if bits & 64 else "BEFORE" if bits & 2 else "AFTER"
    definition = row["definition"]
    tail = _TRIGGER_TAIL.search(definition)
    when = _TRIGGER_WHEN.search(definition)
    return Trigger(
        name=row["name"], table=table, timing=timing,
        events=tuple(name for bit, name in _TRIGGER_EVENTS if bits & bit),
        for_each="ROW" if bits & 1 else "STATEMENT",
        columns=tuple(sorted(row["columns"])),
        condition=unwrap_parens(when.group(1)) if when else None,
        function=tail.group(1).strip() if tail else None,
    )
