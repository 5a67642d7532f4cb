"""Postgres rendering: ALTER forms through Alembic, the rest from the model.

Rendered from the model because neither SQLAlchemy nor Alembic has a
construct for them: VALIDATE CONSTRAINT, ADD CONSTRAINT ... USING INDEX,
SET/RESET of settings, functions (CREATE [OR REPLACE] FUNCTION from the
model's signature and body), triggers, policies, row-level security,
enum values, sequences, extensions, publications and comments on functions.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.schema import CreateSequence as SaCreateSequence
from sqlalchemy.schema import DropConstraint as SaDropConstraint

from dbtool.model import CheckConstraint, ForeignKey, PrimaryKey, UniqueConstraint
from dbtool.plan import ops
from dbtool.plan.render.base import Renderer, Unrenderable
from dbtool.plan.render.ddl import Verbatim, sa_constraint, sa_foreign_key


def call_signature(key: str) -> tuple[str, str]:
    """A function key `name(args)` as DROP/GRANT/COMMENT ON FUNCTION name it: (name, the
    arguments without their DEFAULT clauses, which only CREATE accepts)."""
    from dbtool.sql.lexer import split_top_level, tokenize

    name, _, args = key.partition("(")
    args = args[:-1] if args.endswith(")") else args
    kept = []
    for part in split_top_level(tokenize(args)):
        cut = next((i for i, t in enumerate(part) if t.text.upper() == "DEFAULT" or t.text == "="), len(part))
        kept.append(args[part[0].start:part[cut - 1].end])
    return name, ", ".join(kept)


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class PostgresRenderer(Renderer):
    sa_dialect = "postgresql"
    dialect = "postgres"

    # -- settings ------------------------------------------------------------------------

    def r_set_setting(self, op: ops.SetSetting) -> list[str]:
        if op.value is None:
            return [f"RESET {op.name}"]
        return [f"SET {'LOCAL ' if op.local else ''}{op.name} = {literal(op.value)}"]

    # -- columns -------------------------------------------------------------------------

    def r_alter_column_type(self, op: ops.AlterColumnType) -> list[str]:
        schema, name = self.split_key(op.table)
        return self.alter(lambda o: o.alter_column(
            name, op.column, type_=Verbatim(op.new_type), existing_type=Verbatim(op.old_type),
            postgresql_using=op.using or f"{self.q(op.column)}::{op.new_type}", schema=schema))

    def r_set_column_default(self, op: ops.SetColumnDefault) -> list[str]:
        schema, name = self.split_key(op.table)
        default = sa.text(op.default) if op.default is not None else None
        return self.alter(lambda o: o.alter_column(name, op.column, server_default=default,
                                                   existing_server_default=sa.text("x"), schema=schema))

    def r_set_nullable(self, op: ops.SetNullable) -> list[str]:
        schema, name = self.split_key(op.table)
        return self.alter(lambda o: o.alter_column(name, op.column, nullable=op.nullable, schema=schema))

    # -- constraints ------------------------------------------------------------------------

    def r_add_constraint(self, op: ops.AddConstraint) -> list[str]:
        schema, name = self.split_key(op.table)
        c = op.constraint
        if op.using_index:
            kind = "PRIMARY KEY" if isinstance(c, PrimaryKey) else "UNIQUE"
            return [f"ALTER TABLE {self.qt(op.table)} ADD CONSTRAINT {self.q(c.name or '')} {kind} "
                    f"USING INDEX {self.q(op.using_index)}"]
        kw = {"postgresql_not_valid": True} if op.not_valid else {}
        if isinstance(c, ForeignKey):
            return self.alter(lambda o: o.create_foreign_key(
                c.name, name, c.ref_table, list(c.columns), list(c.ref_columns), source_schema=schema,
                referent_schema=c.ref_schema or schema, ondelete=_action(c.on_delete),
                onupdate=_action(c.on_update), deferrable=True if c.deferrable else None,
                initially="DEFERRED" if c.initially_deferred else None, **kw))
        if isinstance(c, CheckConstraint):
            return self.alter(lambda o: o.create_check_constraint(c.name, name, sa.text(c.expression),
                                                                  schema=schema, **kw))
        if isinstance(c, UniqueConstraint):
            nnd = {"postgresql_nulls_not_distinct": True} if c.nulls_not_distinct else {}
            return self.alter(lambda o: o.create_unique_constraint(c.name, name, list(c.columns),
                                                                   schema=schema, **nnd))
        return self.alter(lambda o: o.create_primary_key(c.name, name, list(c.columns), schema=schema))

    def r_validate_constraint(self, op: ops.ValidateConstraint) -> list[str]:
        return [f"ALTER TABLE {self.qt(op.table)} VALIDATE CONSTRAINT {self.q(op.name)}"]

    def r_drop_constraint(self, op: ops.DropConstraint) -> list[str]:
        table = self.sa(self.table(op.table, desired=False), foreign_keys=())
        c = op.constraint
        if isinstance(c, ForeignKey):
            constraint = sa_foreign_key(c, self.table(op.table, desired=False))
            sa.Table(table.name, sa.MetaData(), *(sa.Column(n, Verbatim("")) for n in c.columns),
                     constraint, schema=table.schema)
        else:
            constraint = sa_constraint(c, self.table(op.table, desired=False))
            sa.Table(table.name, sa.MetaData(), *(sa.Column(n.name, Verbatim("")) for n in table.columns),
                     constraint, schema=table.schema)
        if not constraint.name:
            raise Unrenderable(f"cannot drop an unnamed constraint on {op.table}")
        return [self.compile(SaDropConstraint(constraint))]

    # -- functions, triggers, policies -------------------------------------------------------

    def r_create_function(self, op: ops.CreateFunction) -> list[str]:
        f = op.function
        head = "CREATE OR REPLACE" if op.replace else "CREATE"
        parts = [f"{head} {f.kind.upper()} {self.qt(f.key.rsplit('(', 1)[0])}({f.signature or f.arguments})"]
        if f.kind == "function":
            parts.append(f"RETURNS {f.returns}")
        parts.append(f"LANGUAGE {f.language}")
        if f.kind == "function":
            parts.append(f.volatility)
            if f.strict:
                parts.append("STRICT")
        if f.security_definer:
            parts.append("SECURITY DEFINER")
        for setting in f.config:
            key, _, value = setting.partition("=")
            parts.append(f"SET {key} = {value if key == 'search_path' else literal(value)}")
        body = f.body
        tag = "$dbtool$" if "$$" in body else "$$"
        return ["\n".join(parts) + f"\nAS {tag}\n{body}\n{tag}"]

    def r_drop_function(self, op: ops.DropFunction) -> list[str]:
        name, args = call_signature(op.function.key)
        return [f"DROP {op.function.kind.upper()} {self.qt(name)}({args})"]

    def r_create_trigger(self, op: ops.CreateTrigger) -> list[str]:
        t = op.trigger
        events = []
        for event in t.events:
            if event == "UPDATE" and t.columns:
                event += " OF " + ", ".join(self.q(c) for c in t.columns)
            events.append(event)
        text = (f"CREATE TRIGGER {self.q(t.name)} {t.timing} {' OR '.join(events)} ON {self.qt(t.table)} "
                f"FOR EACH {t.for_each}")
        if t.condition:
            text += f" WHEN ({t.condition})"
        return [f"{text} EXECUTE FUNCTION {t.function}"]

    def r_drop_trigger(self, op: ops.DropTrigger) -> list[str]:
        return [f"DROP TRIGGER {self.q(op.trigger.name)} ON {self.qt(op.trigger.table)}"]

    def r_create_policy(self, op: ops.CreatePolicy) -> list[str]:
        p = op.policy
        text = (f"CREATE POLICY {self.q(p.name)} ON {self.qt(op.table)} AS "
                f"{'PERMISSIVE' if p.permissive else 'RESTRICTIVE'} FOR {p.command} "
                f"TO {', '.join(r if r == 'public' else self.q(r) for r in p.roles)}")
        if p.using:
            text += f" USING ({p.using})"
        if p.with_check:
            text += f" WITH CHECK ({p.with_check})"
        return [text]

    def r_drop_policy(self, op: ops.DropPolicy) -> list[str]:
        return [f"DROP POLICY {self.q(op.policy.name)} ON {self.qt(op.table)}"]

    def r_set_row_level_security(self, op: ops.SetRowLevelSecurity) -> list[str]:
        out = []
        if op.enabled is not None:
            out.append(f"ALTER TABLE {self.qt(op.table)} {'ENABLE' if op.enabled else 'DISABLE'} ROW LEVEL SECURITY")
        if op.forced is not None:
            out.append(f"ALTER TABLE {self.qt(op.table)} {'FORCE' if op.forced else 'NO FORCE'} ROW LEVEL SECURITY")
        return out

    def r_create_view(self, op: ops.CreateView) -> list[str]:
        if not op.view.security_invoker:
            return super().r_create_view(op)
        return [f"CREATE VIEW {self.qt(op.view.key)} WITH (security_invoker = true) AS "
                f"{op.view.definition.rstrip().rstrip(';')}"]

    def r_grant_privileges(self, op: ops.GrantPrivileges) -> list[str]:
        option = any(p.endswith(" WITH GRANT OPTION") for p in op.privileges)
        names = ", ".join(p.removesuffix(" WITH GRANT OPTION") for p in op.privileges)
        return [f"GRANT {names} ON {self._grantee(op.target, op.key)} TO {self._role(op.role)}"
                + (" WITH GRANT OPTION" if option else "")]

    def r_revoke_privileges(self, op: ops.RevokePrivileges) -> list[str]:
        return [f"REVOKE ALL ON {self._grantee(op.target, op.key)} FROM {self._role(op.role)}"]

    def _grantee(self, target: str, key: str) -> str:
        if target == "function":
            name, args = call_signature(key)
            return f"FUNCTION {self.qt(name)}({args})"
        return f"{'SEQUENCE' if target == 'sequence' else 'TABLE'} {self.qt(key)}"

    def _role(self, role: str) -> str:
        return role if role.upper() == "PUBLIC" else self.q(role)

    def r_set_comment(self, op: ops.SetComment) -> list[str]:
        value = "NULL" if op.comment is None else literal(op.comment)
        if op.target == "column":
            return [f"COMMENT ON COLUMN {self.qt(op.key)}.{self.q(op.column or '')} IS {value}"]
        if op.target == "function":
            name, args = call_signature(op.key)
            return [f"COMMENT ON FUNCTION {self.qt(name)}({args}) IS {value}"]
        return [f"COMMENT ON {op.target.upper()} {self.qt(op.key)} IS {value}"]

    # -- types, sequences, extensions, publications -----------------------------------------

    def r_create_enum(self, op: ops.CreateEnum) -> list[str]:
        values = ", ".join(literal(v) for v in op.enum.values)
        return [f"CREATE TYPE {self.qt(op.enum.key)} AS ENUM ({values})"]

    def r_add_enum_value(self, op: ops.AddEnumValue) -> list[str]:
        where = f" AFTER {literal(op.after)}" if op.after else (f" BEFORE {literal(op.before)}" if op.before else "")
        return [f"ALTER TYPE {self.qt(op.enum.key)} ADD VALUE {literal(op.value)}{where}"]

    def r_recreate_enum(self, op: ops.RecreateEnum) -> list[str]:
        """See ops.RecreateEnum: rename aside, create, convert each column through text, drop."""
        schema, name = self.split_key(op.new.key)
        aside = f"{name}__dbtool_old"
        out = [f"ALTER TYPE {self.qt(op.old.key)} RENAME TO {self.q(aside)}",
               *self.r_create_enum(ops.CreateEnum(op.new))]
        for key, column, default in op.columns:
            table, col = self.qt(key), self.q(column)
            array = "[]" if self.table(key, desired=False).column(column).type.endswith("[]") else ""
            if default is not None:
                out.append(f"ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT")
            out.append(f"ALTER TABLE {table} ALTER COLUMN {col} TYPE {self.qt(op.new.key)}{array} "
                       f"USING {col}::text{array}::{self.qt(op.new.key)}{array}")
            new_default = self.table(key).column(column)
            if new_default is not None and new_default.default is not None:
                out.append(f"ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT {new_default.default}")
        aside_key = f"{schema}.{aside}" if schema else aside
        return [*out, f"DROP TYPE {self.qt(aside_key)}"]

    def r_drop_enum(self, op: ops.DropEnum) -> list[str]:
        return [f"DROP TYPE {self.qt(op.enum.key)}"]

    def r_create_sequence(self, op: ops.CreateSequence) -> list[str]:
        s = op.sequence
        sequence = sa.Sequence(s.name, start=s.start, increment=s.increment, minvalue=s.min_value,
                               maxvalue=s.max_value, cycle=s.cycle, cache=s.cache, schema=s.schema,
                               data_type=Verbatim(s.data_type))
        return [self.compile(SaCreateSequence(sequence))]

    def r_alter_sequence(self, op: ops.AlterSequence) -> list[str]:
        old, new = op.old, op.new
        parts = []
        if old.data_type.casefold() != new.data_type.casefold():
            parts.append(f"AS {new.data_type}")
        if old.increment != new.increment:
            parts.append(f"INCREMENT BY {new.increment}")
        if old.min_value != new.min_value:
            parts.append("NO MINVALUE" if new.min_value is None else f"MINVALUE {new.min_value}")
        if old.max_value != new.max_value:
            parts.append("NO MAXVALUE" if new.max_value is None else f"MAXVALUE {new.max_value}")
        if old.start != new.start:
            parts.append(f"START WITH {new.start}")
        if old.cache != new.cache:
            parts.append(f"CACHE {new.cache}")
        if old.cycle != new.cycle:
            parts.append("CYCLE" if new.cycle else "NO CYCLE")
        return [f"ALTER SEQUENCE {self.qt(new.key)} {' '.join(parts)}"] if parts else []

    def r_drop_sequence(self, op: ops.DropSequence) -> list[str]:
        return [f"DROP SEQUENCE {self.qt(op.sequence.key)}"]

    def r_create_extension(self, op: ops.CreateExtension) -> list[str]:
        where = f" SCHEMA {self.q(op.extension.schema)}" if op.extension.schema else ""
        return [f"CREATE EXTENSION IF NOT EXISTS {self.q(op.extension.name)}{where}"]

    def r_drop_extension(self, op: ops.DropExtension) -> list[str]:
        return [f"DROP EXTENSION {self.q(op.extension.name)}"]

    def r_create_publication(self, op: ops.CreatePublication) -> list[str]:
        p = op.publication
        scope = " FOR ALL TABLES" if p.all_tables else (
            " FOR TABLE " + ", ".join(self.qt(t) for t in p.tables) if p.tables else "")
        return [f"CREATE PUBLICATION {self.q(p.name)}{scope} WITH (publish = {literal(', '.join(p.operations))})"]

    def r_alter_publication(self, op: ops.AlterPublication) -> list[str]:
        p = op.publication
        return [f"ALTER PUBLICATION {self.q(p.name)} SET (publish = {literal(', '.join(p.operations))})"]

    def r_drop_publication(self, op: ops.DropPublication) -> list[str]:
        return [f"DROP PUBLICATION {self.q(op.publication.name)}"]

    def r_publish_table(self, op: ops.PublishTable) -> list[str]:
        verb = "ADD" if op.published else "DROP"
        return [f"ALTER PUBLICATION {self.q(op.publication)} {verb} TABLE {self.qt(op.table)}"]


def _action(action: str) -> str | None:
    return None if action.upper() == "NO ACTION" else action.upper()
