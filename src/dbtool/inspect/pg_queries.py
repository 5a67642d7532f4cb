"""The Postgres inspector's catalog queries.

Each query covers every inspected schema at once (`= ANY(%(schemas)s)`), so
the number of statements per inspection is fixed, never one per table. Text
comes from the engine's own deparsers (`format_type`, `pg_get_expr`,
`pg_get_constraintdef`, `pg_get_indexdef`, `pg_get_viewdef`,
`pg_get_triggerdef`), which are canonical: the same schema always reads back
the same way, whatever the DDL's spelling. Objects that belong to an
extension (`pg_depend.deptype = 'e'`) are left out: they are the extension's.
"""

from __future__ import annotations


def _not_extension(catalog: str, oid: str) -> str:
    # NOT IN over a small uncorrelated set: one hashed subplan, not a probe per row.
    # Membership always references pg_extension: the set is read off the index on
    # the referenced side, not by scanning pg_depend (two rows per column and more).
    return (
        f"{oid} NOT IN (SELECT dep.objid FROM pg_depend dep WHERE dep.refclassid = "
        f"'pg_extension'::regclass AND dep.classid = '{catalog}'::regclass AND dep.deptype = 'e')"
    )


def _description(catalog: str, oid: str, subid: str = "0") -> str:
    """An object's comment: one probe of pg_description's unique index per row.

    Not obj_description() (a SQL function planned per row), and not a join: the
    catalogs of a freshly built schema have no statistics (autovacuum may not have
    analysed them yet), the planner then expects one description and loops over
    all of them for every row (a million comparisons for 1,000 commented columns;
    seconds at 5,000)."""
    return (
        f"(SELECT d.description FROM pg_description d WHERE d.objoid = {oid} "
        f"AND d.classoid = '{catalog}'::regclass AND d.objsubid = {subid})"
    )


def _names(array: str, rel: str) -> str:
    """Column names of attnums `array` of relation `rel`, in array order."""
    return (
        f"ARRAY(SELECT att.attname::text FROM unnest({array}) WITH ORDINALITY AS k(num, ord) "
        f"JOIN pg_attribute att ON att.attrelid = {rel} AND att.attnum = k.num ORDER BY k.ord)"
    )


def _grants(acl: str, owner: str) -> str:
    """An ACL as [grantee, privilege, grantable] triples, the owner's own rights left out
    (they are implicit, and the owning role differs between a scratch build and a live
    database); PUBLIC is spelled PUBLIC. NULL when nobody else holds anything."""
    return (
        f"(SELECT jsonb_agg(jsonb_build_array(CASE WHEN a.grantee = 0 THEN 'PUBLIC' "
        f"ELSE pg_get_userbyid(a.grantee)::text END, a.privilege_type, a.is_grantable)) "
        f"FROM aclexplode({acl}) a WHERE a.grantee <> {owner})"
    )


_IN_SCHEMAS = "n.nspname = ANY(%(schemas)s)"

# The session settings pinned for the inspection (and restored after it): the
# search path, so the deparsers qualify names the same way on every run, and JIT
# off: these queries are cheap per row but their estimated cost grows with the
# table count, and past `jit_above_cost` compiling them (tens of ms) would cost
# more than running them.
SETTINGS_GET = "SELECT current_setting('search_path') AS search_path, current_setting('jit') AS jit"
SETTINGS_SET = ("SELECT set_config('search_path', %(search_path)s, false) AS search_path, "
                "set_config('jit', %(jit)s, false) AS jit")

# The relations a view reads: what its rewrite rule depends on (other than itself),
# as [schema, name] pairs. Per view only (the CASE), by index on pg_depend's objid.
VIEW_READS = """(SELECT jsonb_agg(DISTINCT jsonb_build_array(rn.nspname, rc.relname))
         FROM pg_rewrite rw
         JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
                         AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> c.oid
         JOIN pg_class rc ON rc.oid = d.refobjid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
        WHERE rw.ev_class = c.oid AND rc.relkind IN ('r', 'p', 'v', 'm', 'f'))"""

RELATIONS = f"""
SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind,
       c.relrowsecurity AS rls_enabled, c.relforcerowsecurity AS rls_forced,
       c.relpersistence AS persistence, {_description('pg_class', 'c.oid')} AS comment,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS definition,
       CASE WHEN c.relkind = 'v' THEN COALESCE((SELECT o.option_value::bool
              FROM pg_options_to_table(c.reloptions) o WHERE o.option_name = 'security_invoker'),
              false) END AS security_invoker,
       CASE WHEN c.relkind IN ('v', 'm') THEN {VIEW_READS} END AS reads,
       CASE WHEN c.relacl IS NOT NULL THEN {_grants('c.relacl', 'c.relowner')} END AS grants,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
       (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits i
          JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE i.inhrelid = c.oid AND c.relispartition) AS partition_of
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_IN_SCHEMAS} AND c.relkind IN ('r', 'p', 'v', 'm') AND {_not_extension('pg_class', 'c.oid')}
ORDER BY n.nspname, c.relname
"""

# A default is deparsed without its table (relid 0): given the table, pg_get_expr
# opens it to name its columns, and a default cannot reference any (a generated
# column's expression can, so it gets its table). Same text, a third of the time.
# `has_privileges` / `has_settings`: column privileges and storage, compression or statistics
# settings, which the model does not hold; counted as not compared (see pg_uncompared).
COLUMNS = f"""
SELECT a.attrelid AS oid, a.attnum AS num, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS notnull, a.attidentity AS identity, a.attgenerated AS generated_kind,
       pg_get_expr(ad.adbin, CASE WHEN a.attgenerated = '' THEN 0 ELSE ad.adrelid END) AS expr,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collation,
       {_description('pg_class', 'a.attrelid', 'a.attnum')} AS comment, owned.seq AS owned_sequence,
       a.attacl IS NOT NULL AS has_privileges,
       (a.attstorage <> t.typstorage OR {{compression}} OR a.attstattarget >= 0) AS has_settings
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN (SELECT DISTINCT ON (d.refobjid, d.refobjsubid) d.refobjid, d.refobjsubid,
                  s.oid::regclass::text AS seq
             FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
            WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
              AND d.deptype = 'a') owned
       ON owned.refobjid = a.attrelid AND owned.refobjsubid = a.attnum
WHERE {_IN_SCHEMAS} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

CONSTRAINTS = f"""
SELECT co.conrelid AS oid, co.conname AS name, co.contype AS type, co.conkey AS attnums,
       rn.nspname AS ref_schema, rc.relname AS ref_table, co.confrelid AS ref_oid,
       co.confkey AS ref_attnums,
       CASE WHEN co.contype = 'f' AND NOT rn.nspname = ANY(%(schemas)s)
            THEN {_names('co.confkey', 'co.confrelid')} END AS ref_columns,
       co.confupdtype AS on_update, co.confdeltype AS on_delete,
       co.condeferrable AS deferrable, co.condeferred AS deferred,
       co.convalidated AS validated, co.connoinherit AS no_inherit,
       CASE WHEN co.contype = 'u' THEN {{nulls_not_distinct}} END AS nulls_not_distinct,
       CASE WHEN co.contype = 'c' THEN pg_get_constraintdef(co.oid) END AS definition
FROM pg_constraint co
JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = co.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_index i ON i.indexrelid = co.conindid AND co.contype = 'u'
WHERE {_IN_SCHEMAS} AND co.contype IN ('p', 'u', 'c', 'f') AND co.conparentid = 0
"""

# Per key column of an index: its operator class unless it is the default one, and its
# collation unless it is the column's (for an expression: its type's). One sub-select, run
# only for an index with a non-default operator class or a collation other than none (0)
# or the database default (100): the set of default classes is read once (an InitPlan).
INDEX_TERMS = """(SELECT jsonb_agg(jsonb_build_array(
           CASE WHEN NOT opc.opcdefault THEN opc.opcname::text END,
           CASE WHEN coll.oid IS NOT NULL AND coll.oid <> COALESCE(ta.attcollation, ty.typcollation)
                THEN coll.collname::text END) ORDER BY k)
         FROM generate_series(1, i.indnkeyatts) AS k
         JOIN pg_opclass opc ON opc.oid = i.indclass[k - 1]
         LEFT JOIN pg_collation coll ON coll.oid = i.indcollation[k - 1]
         LEFT JOIN pg_attribute ta ON ta.attrelid = i.indrelid AND ta.attnum = i.indkey[k - 1]
                                  AND i.indkey[k - 1] <> 0
         LEFT JOIN pg_attribute xa ON xa.attrelid = i.indexrelid AND xa.attnum = k
         LEFT JOIN pg_type ty ON ty.oid = xa.atttypid)"""
# Column compression arrived in PostgreSQL 14.
COMPRESSION_14 = "a.attcompression <> ''"
COMPRESSION_OLD = "false"
# UNIQUE NULLS NOT DISTINCT arrived in PostgreSQL 15.
NULLS_NOT_DISTINCT_15 = "i.indnullsnotdistinct"
NULLS_NOT_DISTINCT_OLD = "false"

INDEXES = f"""
SELECT i.indrelid AS oid, ic.relname AS name, i.indisunique AS is_unique,
       am.amname AS method, i.indnkeyatts AS nkey, i.indkey::int2[] AS attnums,
       i.indoption::int2[] AS options,
       ARRAY(SELECT CASE WHEN i.indkey[k - 1] = 0 THEN pg_get_indexdef(i.indexrelid, k, true) END
               FROM generate_series(1, i.indnatts) AS k ORDER BY k) AS expressions,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate, {{nulls_not_distinct}} AS nulls_not_distinct,
       CASE WHEN i.indclass::oid[] <@ (SELECT array_agg(oid) FROM pg_opclass WHERE opcdefault)
             AND i.indcollation::oid[] <@ '{{0,100}}'::oid[] THEN NULL
            ELSE {INDEX_TERMS} END AS terms_extra
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_IN_SCHEMAS} AND c.relkind IN ('r', 'p')
  AND i.indexrelid NOT IN (SELECT pc.conindid FROM pg_constraint pc  -- hashed, not a probe per index
                            WHERE pc.contype IN ('p', 'u', 'x'))
"""

TRIGGERS = f"""
SELECT t.tgrelid AS oid, t.tgname AS name, t.tgtype AS type,
       {_names('t.tgattr::int2[]', 't.tgrelid')} AS columns,
       pg_get_triggerdef(t.oid) AS definition
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_IN_SCHEMAS} AND NOT t.tgisinternal
"""

POLICIES = f"""
SELECT p.polrelid AS oid, p.polname AS name, p.polcmd AS command, p.polpermissive AS permissive,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END
               FROM unnest(p.polroles) AS r) AS roles,
       pg_get_expr(p.polqual, p.polrelid) AS using_expr,
       pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_IN_SCHEMAS}
"""

FUNCTIONS = f"""
SELECT n.nspname AS schema, p.proname AS name,
       pg_get_function_identity_arguments(p.oid) AS arguments,
       pg_get_function_arguments(p.oid) AS signature,
       COALESCE(pg_get_function_result(p.oid), '') AS returns, l.lanname AS language,
       {{body}} AS body, p.prosecdef AS security_definer, p.proconfig AS config,
       p.provolatile AS volatility, p.prokind AS kind, p.proisstrict AS strict,
       {_description('pg_proc', 'p.oid')} AS comment,
       {_grants("COALESCE(p.proacl, acldefault('f', p.proowner))", 'p.proowner')} AS grants
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE {_IN_SCHEMAS} AND p.prokind IN ('f', 'p') AND {_not_extension('pg_proc', 'p.oid')}
"""
# SQL-standard bodies (BEGIN ATOMIC …, Postgres 14+) live in prosqlbody, not prosrc.
FUNCTION_BODY_14 = (
    "CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid) ELSE p.prosrc END"
)
FUNCTION_BODY_OLD = "p.prosrc"

ENUMS = f"""
SELECT n.nspname AS schema, t.typname AS name,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid
              ORDER BY e.enumsortorder) AS labels
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE {_IN_SCHEMAS} AND t.typtype = 'e' AND {_not_extension('pg_type', 't.oid')}
"""

SEQUENCES = f"""
SELECT n.nspname AS schema, c.relname AS name, c.oid::regclass::text AS regclass,
       format_type(s.seqtypid, NULL) AS data_type, s.seqstart AS start,
       s.seqincrement AS increment, s.seqmin AS min_value, s.seqmax AS max_value,
       s.seqcache AS cache, s.seqcycle AS cycle,
       (SELECT d.deptype::text FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
          AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
          AND d.deptype IN ('a', 'i') LIMIT 1) AS owned,
       (SELECT d.refobjid FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
          AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
          AND d.deptype IN ('a', 'i') LIMIT 1) AS owner_oid,
       CASE WHEN c.relacl IS NOT NULL THEN {_grants('c.relacl', 'c.relowner')} END AS grants
FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_IN_SCHEMAS} AND {_not_extension('pg_class', 'c.oid')}
"""

EXTENSIONS = """
SELECT e.extname AS name, n.nspname AS schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
"""

PUBLICATIONS = """
SELECT p.pubname AS name, p.puballtables AS all_tables, p.pubinsert, p.pubupdate,
       p.pubdelete, p.pubtruncate,
       ARRAY(SELECT pt.schemaname::text FROM pg_publication_tables pt
              WHERE pt.pubname = p.pubname AND NOT p.puballtables
              ORDER BY pt.schemaname, pt.tablename) AS table_schemas,
       ARRAY(SELECT pt.tablename::text FROM pg_publication_tables pt
              WHERE pt.pubname = p.pubname AND NOT p.puballtables
              ORDER BY pt.schemaname, pt.tablename) AS table_names
FROM pg_publication p
"""
