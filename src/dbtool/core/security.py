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
* SEC103 a SECURITY DEFINER function without a fixed `search_path`: a caller
  can shadow the objects it uses and run code with its owner's rights
  (checked in every schema the service owns, exposed or not);
* SEC104 a permissive policy that lets `anon` (directly, or through PUBLIC)
  INSERT, UPDATE or DELETE;
* SEC105 dbtool's own history (its schema, `dbtool_migrations`,
  `dbtool_history_log`) reachable by PUBLIC, `anon` or `authenticated`, or kept
  in an exposed schema: the applied files' text could be read, the history
  forged or deleted over HTTP. This one needs a catalog read of its own (the
  history tables are deliberately not part of the schema model), which the
  engine does in one query (`own_objects`).

Only services that declare `exposed_schemas` get SEC101/102/104: a database
no API serves has no anonymous callers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

CODES: dict[str, str] = {
    "SEC101": "table in an exposed schema without row-level security",
    "SEC102": "row-level security enabled but no policy",
    "SEC103": "SECURITY DEFINER function without a fixed search_path",
    "SEC104": "policy grants anon write access",
    "SEC105": "dbtool's history reachable by the API roles",
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


def audit_security(schema: Any, *, schemas: Sequence[str], exposed: Sequence[str],
                   own_objects: Sequence[Any] = ()) -> list[SecurityFinding]:
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
    return sorted(findings, key=lambda f: (f.code, f.object))


def _table(table: Any, name: str) -> Iterator[SecurityFinding]:
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


def _anon_write(policy: Any, table: str) -> Iterator[SecurityFinding]:
    roles = [r for r in policy.roles if r in ANON_ROLES]
    if not policy.permissive or policy.command not in WRITE_COMMANDS or not roles:
        return
    via = "anon" if "anon" in roles else "PUBLIC, which includes anon"
    what = "INSERT, UPDATE and DELETE" if policy.command == "ALL" else policy.command
    yield SecurityFinding(
        "SEC104", f"{table} policy {policy.name!r}",
        f"lets anonymous API callers {what} rows (granted to {via})",
        "restrict the policy with TO authenticated (or a narrower role) and FOR SELECT where "
        "only reading is meant")


def _functions(schema: Any, default: str) -> Iterator[SecurityFinding]:
    for function in schema.functions:
        if not function.security_definer or _fixed_search_path(function.config):
            continue
        name = f"{function.schema or default}.{function.name}({function.arguments})"
        yield SecurityFinding(
            "SEC103", name, "SECURITY DEFINER without a fixed search_path: a caller can shadow "
            "the objects it uses and run code with its owner's rights",
            f"ALTER FUNCTION {name} SET search_path = '' (and schema-qualify names in the body), "
            "or SET search_path = public, pg_temp")


def _fixed_search_path(config: Sequence[str]) -> bool:
    return any(item.replace(" ", "").lower().startswith("search_path=") for item in config)


def _own_history(objects: Sequence[Any], *, owned: Sequence[str], exposed: Sequence[str]
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


def _own_history_hint(obj: Any, grants: Sequence[Any], in_exposed: bool) -> str:
    if in_exposed:
        return ("run `dbtool migrate` with this dbtool: it moves its tables into the `dbtool` "
                "schema (rows kept) and revokes the API roles' privileges")
    roles = ", ".join(role for role, _ in grants)
    target = f"SCHEMA {obj.schema}" if obj.kind == "schema" else obj.label
    return f"REVOKE ALL ON {target} FROM {roles}"
