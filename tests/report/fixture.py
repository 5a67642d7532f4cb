"""A hand-built report that exercises what the bundled services do not: odd
identifiers, pipes and backticks in SQL text, composite and one-to-one foreign
keys, a reference to another schema, views, enums, sequences, extensions,
functions, RLS with a restrictive policy, publications, and a live source with
pending, modified and missing migrations."""

from __future__ import annotations

from dbtool.model import (
    CheckConstraint,
    Column,
    Enum,
    Extension,
    ForeignKey,
    Function,
    Index,
    IndexColumn,
    Policy,
    PrimaryKey,
    Publication,
    Schema,
    Sequence,
    Table,
    Trigger,
    UniqueConstraint,
    View,
)
from dbtool.report.contents import analyse
from dbtool.report.data import IntrospectionReport, MigrationEntry, Source


def _tables() -> tuple[Table, ...]:
    accounts = Table(
        "accounts",
        columns=(Column("id", "uuid", False, "gen_random_uuid()"),
                 Column("owner", "uuid", False),
                 Column("handle", "character varying(40)", False),
                 Column("bio|tagline", "text", True, "'a | b'::text"),
                 Column("n", "bigint", False, identity="ALWAYS")),
        primary_key=PrimaryKey(("id",), "accounts_pkey", True),
        uniques=(UniqueConstraint(("handle",), "accounts_handle_key", True),),
        checks=(CheckConstraint("handle ~ '^[a-z]+$' OR handle || '`x`' <> ''", "handle_ok"),),
        foreign_keys=(ForeignKey(("owner",), "users", ("id",), ref_schema="auth",
                                 on_delete="CASCADE", name="accounts_owner_fkey"),),
        indexes=(Index("accounts_lower_handle", (IndexColumn("lower(handle)", expression=True),),
                       unique=True),
                 Index("accounts_recent", (IndexColumn("n", descending=True),),
                       where="bio IS NOT NULL")),
        comment="People and teams", rls_enabled=True, rls_forced=True,
        policies=(Policy("owner reads", "SELECT", roles=("authenticated",), using="auth.uid() = owner"),
                  Policy("no deletes", "DELETE", permissive=False, using="false")),
    )
    profiles = Table(
        "profiles",
        columns=(Column("account_id", "uuid", False), Column("display name", "text", True)),
        primary_key=PrimaryKey(("account_id",)),
        foreign_keys=(ForeignKey(("account_id",), "accounts", ("id",), name="profiles_account_fkey"),),
    )
    memberships = Table(
        "team-memberships",
        columns=(Column("team_id", "uuid", False), Column("account_id", "uuid", False),
                 Column("parent_team", "uuid", True), Column("role", "member_role", False, "'member'")),
        primary_key=PrimaryKey(("team_id", "account_id")),
        foreign_keys=(ForeignKey(("account_id",), "accounts", ("id",), on_delete="CASCADE"),
                      ForeignKey(("parent_team", "account_id"), "team-memberships",
                                 ("team_id", "account_id"))),
    )
    return accounts, profiles, memberships


def fixture_schema() -> Schema:
    return Schema(
        tables=_tables(),
        views=(View("active_accounts", "SELECT id FROM accounts WHERE n > 0"),),
        triggers=(Trigger("trg_touch", "accounts", "BEFORE", ("INSERT", "UPDATE"),
                          columns=("handle",), condition="(new.handle IS NOT NULL)",
                          function="touch()"),),
        functions=(Function("touch", "", "trigger", "plpgsql", "BEGIN RETURN NEW; END",
                            security_definer=True, config=("search_path=public",)),),
        enums=(Enum("member_role", ("owner", "member")),),
        sequences=(Sequence("ticket_seq", start=100, increment=10),),
        extensions=(Extension("pgcrypto", "extensions"),),
        publications=(Publication("realtime", ("accounts", "profiles")),),
    )


MIGRATIONS = {
    "0001_accounts.sql": ["CREATE TABLE accounts (id uuid PRIMARY KEY)",
                          "CREATE INDEX accounts_recent ON accounts (n DESC)",
                          "ALTER TABLE accounts ENABLE ROW LEVEL SECURITY"],
    "0002_profiles.sql": ['CREATE TABLE public."profiles" (account_id uuid)',
                          "ALTER TABLE accounts ADD COLUMN bio text, ADD COLUMN n bigint",
                          "ALTER PUBLICATION realtime ADD TABLE accounts, profiles"],
    "0003_teams.sql": ['CREATE TABLE "team-memberships" (team_id uuid)',
                       "CREATE TYPE member_role AS ENUM ('owner', 'member')",
                       "CREATE POLICY \"no deletes\" ON accounts AS RESTRICTIVE FOR DELETE USING (false)"],
}


def fixture_report() -> IntrospectionReport:
    entries = [MigrationEntry(name, "applied", f"2025-01-0{i} 10:00:00", "c" * 64,
                              analyse(sqls, "postgres"))
               for i, (name, sqls) in enumerate(MIGRATIONS.items(), 1)]
    entries[2] = MigrationEntry("0003_teams.sql", "pending", None, "d" * 64, entries[2].contents)
    entries.append(MigrationEntry("0000_gone.sql", "missing", "2024-12-31 09:00:00", "e" * 64))
    annotations = {("tables", "accounts"): {"purpose": "Who signs in", "registry": "Core",
                                            "notes": "Owned by the auth team"},
                   ("tables", "accounts", "columns", "handle"): {"purpose": "Public @name"},
                   ("tables", "profiles"): {"registry": "none"}}
    source = Source("target", "prod", "postgresql://app:***@db.example/app", "migrations/app")
    return IntrospectionReport("app", "postgres", source, fixture_schema(), annotations,
                               tuple(entries))
