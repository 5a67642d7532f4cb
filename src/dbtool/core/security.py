"""Postgres security audit: what an API client could reach that it should not.

Supabase and PostgREST serve the tables of their *exposed* schemas to the
`anon` and `authenticated` roles; row-level security is the only thing between
an anonymous HTTP request and the rows. The checks run on the schema model
that `audit` already read (no extra catalog queries), so they see exactly what
the drift check saw — on a live database or on a scratch build:

* SEC101 a table in an exposed schema without RLS: every API role reads and
  writes all of its rows;
* SEC102 RLS enabled but no policy: the table is closed to every API role
  (usually a forgotten policy, sometimes intended — say so with a policy);
* SEC103 a SECURITY DEFINER function without a fixed `search_path`, or with
  `pg_temp` anywhere but last (PostgreSQL searches the temporary schema first
  unless it is listed, and where it is listed): a caller can shadow the objects
  it uses and run code with its owner's rights (checked in every schema the
  service owns, exposed or not);
* SEC104 a permissive policy that lets `anon` (directly, or through PUBLIC)
  INSERT, UPDATE or DELETE — one whose USING / WITH CHECK is constant `false`
  for a command lets nothing through for it and is not reported;
* SEC105 dbtool's own history (its schema, `dbtool_migrations`,
  `dbtool_history_log`) reachable by PUBLIC, `anon` or `authenticated`, or kept
  in an exposed schema: the applied files' text could be read, the history
  forged or deleted over HTTP. This one needs a catalog read of its own (the
  history tables are deliberately not part of the schema model), which the
  engine does in one query (`own_objects`).

* SEC106 a view in an exposed schema that is not `security_invoker` (or a
  materialized view) and reads, directly or through other views, a table with
  row-level security: it reads as its owner, so the policies never see the
  API caller.

Only services that declare `exposed_schemas` get SEC101/102/104/106: a database
no API serves has no anonymous callers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dbtool.sql.normalize import normalize_sql

if TYPE_CHECKING:
    from dbtool.engines.pg_own_tables import OwnObject
    from dbtool.model import Policy, Schema, Table, View

CODES: dict[str, str] = {
    "SEC101": "table in an exposed schema without row-level security",
    "SEC102": "row-level security enabled but no policy",
    "SEC103": "SECURITY DEFINER function without a fixed search_path",
    "SEC104": "policy grants anon write access",
    "SEC105": "dbtool's history reachable by the API roles",
    "SEC106": "view in an exposed schema bypasses row-level security",
}
WRITE_COMMANDS = ("ALL", "INSERT", "UPDATE", "DELETE")
ANON_ROLES = ("anon", "public")  # PUBLIC includes every role, anon too


@dataclass(frozen=True)
class SecurityFinding:
    """One problem: a stable code, the object (schema-qualified), what is wrong, what to do."""

    code: str
    object: str
    message: str
    hint: str

    def describe(self) -> str:
        return f"{self.code} {self.object}: {self.message} — {self.hint}"

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "object": self.object, "message": self.message,
                "hint": self.hint, "title": CODES[self.code]}


def audit_security(schema: Schema, *, schemas: Sequence[str], exposed: Sequence[str],
                   own_objects: Sequence[OwnObject] = ()) -> list[SecurityFinding]:
    """Findings for a Postgres schema model; `schemas[0]` is the model's default schema.
    `own_objects`: dbtool's history schema and tables with their grants (the engine's
    `own_objects()`), for SEC105."""
    default = schemas[0] if schemas else "public"
    findings = list(_functions(schema, default))
    findings += _own_history(own_objects, owned=schemas, exposed=exposed)
    for table in schema.tables:
        owner = table.schema or default
        if owner in exposed:
            findings.extend(_table(table, f"{owner}.{table.name}"))
    findings += _views(schema, default, exposed)
    return sorted(findings, key=lambda f: (f.code, f.object))


def _table(table: Table, name: str) -> Iterator[SecurityFinding]:
    if not table.rls_enabled:
        yield SecurityFinding(
            "SEC101", name, "row-level security is not enabled, so every API role (anon "
            "included) can read and change all of its rows",
            f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY; then add policies for who may do what")
        return
    if not table.policies:
        yield SecurityFinding(
            "SEC102", name, "row-level security is enabled but no policy exists, so no API "
            "role can see or change any row",
            f"add a policy (CREATE POLICY … ON {name} …), or move the table out of the exposed schemas")
    for policy in table.policies:
        yield from _anon_write(policy, name)


def _anon_write(policy: Policy, table: str) -> Iterator[SecurityFinding]:
    roles = [r for r in policy.roles if r in ANON_ROLES]
    if not policy.permissive or policy.command not in WRITE_COMMANDS or not roles:
        return
    writes = _writes(policy)
    if not writes:
        return
    via = "anon" if "anon" in roles else "PUBLIC, which includes anon"
    what = "INSERT, UPDATE and DELETE" if len(writes) == 3 else " and ".join(writes)
    yield SecurityFinding(
        "SEC104", f"{table} policy {policy.name!r}",
        f"lets anonymous API callers {what} rows (granted to {via})",
        "restrict the policy with TO authenticated (or a narrower role) and FOR SELECT where "
        "only reading is meant")


def _writes(policy: Policy) -> tuple[str, ...]:
    """The writes a permissive policy lets through. A constant-false USING admits no
    existing row (UPDATE, DELETE); a constant-false WITH CHECK no new one (INSERT,
    UPDATE), and without WITH CHECK a new row is checked against USING."""
    no_old_row = _never(policy.using)
    no_new_row = _never(policy.with_check if policy.with_check is not None else policy.using)
    allowed = {"INSERT": not no_new_row, "UPDATE": not (no_old_row or no_new_row),
               "DELETE": not no_old_row}
    commands = ("INSERT", "UPDATE", "DELETE") if policy.command == "ALL" else (policy.command,)
    return tuple(c for c in commands if allowed[c])


def _never(expression: str | None) -> bool:
    """The expression is the constant false (in the engine's or a snapshot's spelling)."""
    return expression is not None and normalize_sql(expression, strip_parens=True) == "FALSE"


def _functions(schema: Schema, default: str) -> Iterator[SecurityFinding]:
    for function in schema.functions:
        if not function.security_definer:
            continue
        problem = search_path_problem(function.config)
        if problem is None:
            continue
        name = f"{function.schema or default}.{function.name}({function.arguments})"
        yield SecurityFinding(
            "SEC103", name, f"SECURITY DEFINER {problem}: a caller can shadow the objects it "
            "uses and run code with its owner's rights",
            f"ALTER FUNCTION {name} SET search_path = '' (and schema-qualify names in the body), "
            "or SET search_path = public, pg_temp")


def search_path_problem(config: Sequence[str]) -> str | None:
    """Why a function's settings leave its search_path open, None when they fix it: it
    must be set, and `pg_temp`, if listed, must come last (PostgreSQL searches the
    temporary schema first when it is not listed, and where it is listed)."""
    for item in config:
        key, _, value = item.partition("=")
        if key.strip().lower() != "search_path":
            continue
        entries = [e.strip().strip('"').lower() for e in value.split(",")]
        entries = [e for e in entries if e]
        if "pg_temp" in entries[:-1]:
            return f"with pg_temp before the end of its search_path ({value.strip()})"
        return None
    return "without a fixed search_path"


def _views(schema: Schema, default: str, exposed: Sequence[str]) -> Iterator[SecurityFinding]:
    """SEC106: one finding per exposed view through which an RLS table is read with
    its owner's rights."""
    rls = {t.key for t in schema.tables if t.rls_enabled}
    views = {v.key: v for v in schema.views}
    for view in schema.views:
        owner = view.schema or default
        bypassed = _bypassed(view, views, rls, set()) if owner in exposed else []
        if bypassed:
            yield _view_finding(view, f"{owner}.{view.name}", ", ".join(bypassed))


def _owners_rights(view: View) -> bool:
    return view.materialized or not view.security_invoker


def _bypassed(view: View, views: dict[str, View], rls: set[str], seen: set[str]) -> list[str]:
    """The RLS tables read as a view owner when `view` is queried: every one it reaches if
    it has its owner's rights (below it every read is the owner's, invoker views included);
    for an invoker view, those its owner's-rights views reach."""
    found: set[str] = set()
    seen.add(view.key)
    for key in view.reads:
        inner = views.get(key)
        if inner is None:
            if key in rls and _owners_rights(view):
                found.add(key)
        elif key not in seen:
            if _owners_rights(view):  # the inner view is read as this view's owner
                found.update(_reachable(inner, views, rls, seen))
            else:
                found.update(_bypassed(inner, views, rls, seen))
    return sorted(found)


def _reachable(view: View, views: dict[str, View], rls: set[str], seen: set[str]) -> set[str]:
    seen.add(view.key)
    found = {key for key in view.reads if key in rls}
    for key in view.reads:
        if key in views and key not in seen:
            found |= _reachable(views[key], views, rls, seen)
    return found


def _view_finding(view: View, name: str, tables: str) -> SecurityFinding:
    if view.materialized:
        return SecurityFinding(
            "SEC106", name, f"materialized view stores the rows of {tables} as its owner could read "
            "them and serves them to every API role, whatever their policies say",
            f"move it out of the exposed schemas, or REVOKE SELECT ON {name} FROM anon, authenticated")
    via = "is not security_invoker, so it reads" if _owners_rights(view) else \
        "reads, through a view that is not security_invoker,"
    return SecurityFinding(
        "SEC106", name, f"view {via} {tables} with its owner's rights: their row-level security "
        "policies never see the API caller",
        f"ALTER VIEW … SET (security_invoker = true) on {name} and the views it reads (PostgreSQL "
        "15+), or move it out of the exposed schemas")


def _own_history(objects: Sequence[OwnObject], *, owned: Sequence[str], exposed: Sequence[str]
                 ) -> list[SecurityFinding]:
    """SEC105: every privilege PUBLIC/anon/authenticated hold on dbtool's tables, and on
    its schema unless that schema is one the service keeps its own objects in (USAGE on a
    shared schema such as public is by design; the tables' grants decide there)."""
    found = []
    for obj in objects:
        grants = obj.grants if obj.kind == "table" or obj.schema not in owned else ()
        in_exposed = obj.kind == "table" and obj.schema in exposed
        if not grants and not in_exposed:
            continue
        what = "dbtool's history schema" if obj.kind == "schema" else f"dbtool's table {obj.name}"
        problems = [f"{role} may {', '.join(privileges)}" for role, privileges in grants]
        if in_exposed:
            problems.insert(0, f"it is in the exposed schema {obj.schema}")
        found.append(SecurityFinding(
            "SEC105", obj.label, f"{what} is reachable by the API roles: {'; '.join(problems)}",
            _own_history_hint(obj, grants, in_exposed)))
    return found


def _own_history_hint(obj: OwnObject, grants: Sequence[tuple[str, tuple[str, ...]]],
                      in_exposed: bool) -> str:
    if in_exposed:
        return ("run `dbtool migrate` with this dbtool: it moves its tables into the `dbtool` "
                "schema (rows kept) and revokes the API roles' privileges")
    roles = ", ".join(role for role, _ in grants)
    target = f"SCHEMA {obj.schema}" if obj.kind == "schema" else obj.label
    return f"REVOKE ALL ON {target} FROM {roles}"
