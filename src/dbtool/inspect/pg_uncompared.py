"""What the schema model does not hold: counted, so nobody claims it equal.

The differ can only compare what the model represents. Everything else that
exists in the inspected schemas is counted here, per kind, in ONE statement
(a count per catalog, independent of the table count), and `baseline` and
`audit` say which kinds were not compared and how many objects each has,
instead of a bare "proven identical".

The list is read off the catalogs: object kinds with no model class (rules,
domains, composite and range types, operators, aggregates, collations, text
search objects, statistics objects, foreign tables, casts, event triggers) and
properties of modelled objects that the model leaves out (exclusion constraints,
deferrable or INCLUDE unique keys, constraint triggers, disabled triggers,
column privileges, storage options, replica identity, column storage settings,
function planner attributes, identity sequence options, comments on objects
other than tables, columns, views and functions, publication row filters).
Ownership and default privileges are not schema: they differ between a
scratch build and a platform database by design, and are not counted.
"""

from __future__ import annotations

from typing import Any

_IN = "n.nspname = ANY(%(schemas)s)"
COLUMN_PRIVILEGES = "column privileges"
COLUMN_SETTINGS = "column storage, compression and statistics settings"


def _ext(catalog: str, oid: str) -> str:
    return (f"{oid} NOT IN (SELECT dep.objid FROM pg_depend dep WHERE dep.refclassid = "
            f"'pg_extension'::regclass AND dep.classid = '{catalog}'::regclass AND dep.deptype = 'e')")


def _rel(alias: str = "c") -> str:
    """Join a row's relation `{alias}` to its namespace, inspected schemas only."""
    return f"JOIN pg_namespace n ON n.oid = {alias}.relnamespace AND {_IN}"


# One scan per catalog: (FROM clause, ((kind, condition counted), …)). Each group is one
# SELECT with a count(*) FILTER per kind, so pg_attribute, pg_class, pg_constraint … are
# each read once, whatever the number of kinds read off them.
_OWNED_SEQUENCE = ("c.oid IN (SELECT d.objid FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
                   "AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))")
GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (f"pg_class c {_rel()}", (
        ("foreign tables", "c.relkind = 'f'"),
        ("storage and view options", "c.relkind IN ('r', 'p', 'v', 'm', 'i') AND c.reloptions IS NOT NULL "
                                     "AND EXISTS (SELECT 1 FROM pg_options_to_table(c.reloptions) o "
                                     "WHERE o.option_name <> 'security_invoker')"),
        ("replica identity settings", "c.relkind IN ('r', 'p') AND c.relreplident <> 'd'"),
        ("privileges on identity and serial sequences",
         f"c.relkind = 'S' AND c.relacl IS NOT NULL AND {_OWNED_SEQUENCE}"),
    )),
    (f"pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid {_rel()}", (
        ("identity and serial sequence options", "(s.seqstart <> 1 OR s.seqincrement <> 1 OR "
                                                 f"s.seqcache <> 1 OR s.seqcycle) AND {_OWNED_SEQUENCE}"),
    )),
    # Table columns are counted from the inspector's own column rows (COLUMNS); here only
    # the columns of views, materialized views and foreign tables.
    (f"pg_attribute a JOIN pg_class c ON c.oid = a.attrelid AND c.relkind IN ('m', 'v', 'f') {_rel()} "
     "WHERE a.attnum > 0 AND NOT a.attisdropped", (
        (COLUMN_PRIVILEGES, "a.attacl IS NOT NULL"),
    )),
    (f"pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace AND {_IN} "
     "LEFT JOIN pg_index i ON i.indexrelid = co.conindid", (
        ("exclusion constraints", "co.contype = 'x'"),
        ("deferrable unique or primary keys", "co.contype IN ('p', 'u') AND co.condeferrable"),
        ("unique or primary keys with INCLUDE columns",
         "co.contype IN ('p', 'u') AND i.indnkeyatts < i.indnatts"),
    )),
    (f"pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid {_rel()} WHERE NOT t.tgisinternal", (
        ("constraint triggers", "t.tgconstraint <> 0"),
        ("disabled or replica-only triggers", "t.tgenabled <> 'O'"),
    )),
    (f"pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class {_rel()}", (
        ("rules", "r.rulename <> '_RETURN'"),
    )),
    (f"pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid {_rel()}", (
        ("inheritance (not partitions)", "NOT c.relispartition"),
    )),
    (f"pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace AND {_IN} "
     f"WHERE t.typtype IN ('d', 'c', 'r') AND {_ext('pg_type', 't.oid')}", (
        ("domains", "t.typtype = 'd'"),
        ("composite types", "t.typtype = 'c' AND (SELECT k.relkind FROM pg_class k "
                            "WHERE k.oid = t.typrelid) = 'c'"),
        ("range types", "t.typtype = 'r'"),
    )),
    (f"pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace AND {_IN} "
     f"JOIN pg_language l ON l.oid = p.prolang WHERE {_ext('pg_proc', 'p.oid')}", (
        ("aggregates and window functions", "p.prokind IN ('a', 'w')"),
        ("function planner attributes (PARALLEL, LEAKPROOF, COST, ROWS)",
         "p.prokind IN ('f', 'p') AND (p.proparallel <> 'u' OR p.proleakproof OR p.procost <> CASE "
         "WHEN l.lanname IN ('c', 'internal') THEN 1 ELSE 100 END OR p.prorows <> CASE WHEN "
         "p.proretset THEN 1000 ELSE 0 END)"),
    )),
    (f"pg_statistic_ext x JOIN pg_namespace n ON n.oid = x.stxnamespace AND {_IN}", (
        ("extended statistics", "true"),
    )),
    (f"pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace AND {_IN} "
     f"WHERE {_ext('pg_operator', 'o.oid')}", (("operators", "true"),)),
    (f"pg_opclass o JOIN pg_namespace n ON n.oid = o.opcnamespace AND {_IN} "
     f"WHERE {_ext('pg_opclass', 'o.oid')}", (("operator classes", "true"),)),
    (f"pg_collation o JOIN pg_namespace n ON n.oid = o.collnamespace AND {_IN} "
     f"WHERE {_ext('pg_collation', 'o.oid')}", (("collations", "true"),)),
    (f"pg_ts_config o JOIN pg_namespace n ON n.oid = o.cfgnamespace AND {_IN} "
     f"WHERE {_ext('pg_ts_config', 'o.oid')}", (("text search configurations", "true"),)),
    ("pg_cast k JOIN pg_proc p ON p.oid = k.castfunc JOIN pg_namespace n ON "
     f"n.oid = p.pronamespace AND {_IN} WHERE {_ext('pg_cast', 'k.oid')}", (("casts", "true"),)),
    ("pg_description d WHERE d.objsubid = 0 AND d.classoid IN ('pg_constraint'::regclass, "
     "'pg_class'::regclass, 'pg_trigger'::regclass, 'pg_policy'::regclass, 'pg_type'::regclass)", (
        ("comments on constraints, indexes, triggers, policies, types and sequences",
         f"(d.classoid = 'pg_constraint'::regclass AND d.objoid IN (SELECT co.oid FROM pg_constraint co "
         f"JOIN pg_namespace n ON n.oid = co.connamespace AND {_IN})) OR "
         f"(d.classoid = 'pg_class'::regclass AND d.objoid IN (SELECT c.oid FROM pg_class c {_rel()} "
         "WHERE c.relkind IN ('i', 'S'))) OR "
         f"(d.classoid = 'pg_trigger'::regclass AND d.objoid IN (SELECT t.oid FROM pg_trigger t "
         f"JOIN pg_class c ON c.oid = t.tgrelid {_rel()})) OR "
         f"(d.classoid = 'pg_policy'::regclass AND d.objoid IN (SELECT p.oid FROM pg_policy p "
         f"JOIN pg_class c ON c.oid = p.polrelid {_rel()})) OR "
         f"(d.classoid = 'pg_type'::regclass AND d.objoid IN (SELECT t.oid FROM pg_type t "
         f"JOIN pg_namespace n ON n.oid = t.typnamespace AND {_IN} WHERE t.typtype IN ('e', 'd', 'r')))"),
    )),
    (f"pg_event_trigger e WHERE {_ext('pg_event_trigger', 'e.oid')}", (
        ("event triggers (database-wide)", "true"),
    )),
)
# Row filters and column lists on a publication's tables (PostgreSQL 15+).
PUBLICATION_FILTERS = ("pg_publication_rel r", (
    ("publication row filters and column lists", "r.prqual IS NOT NULL OR r.prattrs IS NOT NULL"),))
KINDS = (*(kind for _, kinds in (*GROUPS, PUBLICATION_FILTERS) for kind, _ in kinds), COLUMN_SETTINGS)


def statement(server_version: int) -> str:
    """One statement: (kind, count) for each kind with at least one object, in list order."""
    groups = [*GROUPS, PUBLICATION_FILTERS] if server_version >= 150000 else list(GROUPS)
    parts = []
    for order, (source, kinds) in enumerate(groups):
        names = ", ".join(f"'{kind}'" for kind, _ in kinds)
        counts = ", ".join(f"count(*) FILTER (WHERE {condition})" for _, condition in kinds)
        parts.append(f"SELECT {order} AS ord, ARRAY[{names}] AS kinds, ARRAY[{counts}] AS counts "
                     f"FROM {source}")
    text = ("SELECT k.kind, k.count FROM (\n" + "\nUNION ALL ".join(parts) + "\n) g, "
            "unnest(g.kinds, g.counts) WITH ORDINALITY AS k(kind, count, pos) "
            "WHERE k.count > 0 ORDER BY g.ord, k.pos")
    return text


def counted(rows: list[dict[str, Any]], table_columns: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """(kind, count) in KINDS order: the statement's rows plus what the inspector's column
    rows of (not excluded) tables say about column privileges and settings."""
    counts = {r["kind"]: r["count"] for r in rows}
    for kind, flag in ((COLUMN_PRIVILEGES, "has_privileges"), (COLUMN_SETTINGS, "has_settings")):
        n = sum(1 for c in table_columns if c[flag])
        if n:
            counts[kind] = counts.get(kind, 0) + n
    return [(kind, counts[kind]) for kind in KINDS if kind in counts]


__all__ = ["KINDS", "counted", "statement"]
