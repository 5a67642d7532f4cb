"""PG1xx: Postgres statements that take heavy locks on busy tables (or fail in a transaction).

Each rule looks only at tables that exist before the file: locking a table the
same migration just created blocks nobody. The safe alternatives follow the
well-known zero-downtime recipes (squawk, strong_migrations).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbtool.lint.context import StatementContext
from dbtool.lint.framework import Finding, Rule, Severity, register
from dbtool.lint.rules.dataloss import dropped_tables
from dbtool.lint.rules.types import is_binary_coercible, render_type
from dbtool.sql.dialects import Dialect
from dbtool.sql.postgres import (
    ConstrType,
    ast,
    column_default,
    defelem,
    function_calls,
    integer_key_kind,
    is_stored_generated,
    qualname,
    type_name,
)

VOLATILE_FUNCTIONS = frozenset({
    "random", "clock_timestamp", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc",
    "uuid_generate_v4", "uuidv4", "uuidv7", "timeofday", "nextval", "setseed", "txid_current",
})
# ALTER TABLE subcommands that take less than ACCESS EXCLUSIVE (AlterTableGetLockLevel).
_LIGHTER_ALTERS = frozenset({
    "AT_ValidateConstraint", "AT_SetStatistics", "AT_ClusterOn", "AT_DropCluster",
    "AT_EnableTrig", "AT_EnableAlwaysTrig", "AT_EnableReplicaTrig", "AT_DisableTrig",
    "AT_EnableTrigAll", "AT_DisableTrigAll", "AT_EnableTrigUser", "AT_DisableTrigUser",
    "AT_AttachPartition", "AT_SetOptions", "AT_ResetOptions", "AT_SetRelOptions",
    "AT_ResetRelOptions",
})


class LockRule(Rule):
    """A PG1xx rule: where DDL takes table locks other sessions queue behind."""

    @classmethod
    def applies_to(cls, dialect: Dialect) -> bool:
        return dialect.table_locks


def _existing_alter(ctx: StatementContext) -> tuple[str, list[Any]] | None:
    """(table, commands) of an ALTER TABLE on a table that exists before this file."""
    node = ctx.pg.node
    if not isinstance(node, ast.AlterTableStmt) or node.objtype.name != "OBJECT_TABLE":
        return None
    table = qualname(node.relation)
    return (table, list(node.cmds or ())) if ctx.existing(table) else None


def _commands(ctx: StatementContext, subtype: str) -> Iterator[tuple[str, Any]]:
    """(table, command) for the `subtype` commands of an ALTER TABLE on an existing table."""
    found = _existing_alter(ctx)
    if found is not None:
        for cmd in found[1]:
            if cmd.subtype.name == subtype:
                yield found[0], cmd


def _column_commands(ctx: StatementContext, subtype: str) -> Iterator[tuple[str, Any]]:
    """The same, for commands on columns that existed before this file."""
    return ((table, cmd) for table, cmd in _commands(ctx, subtype)
            if not ctx.state.column_added(table, cmd.name))


def _added_constraints(ctx: StatementContext, kind: ConstrType) -> Iterator[tuple[str, Any]]:
    """(table, constraint) for ADD CONSTRAINT of `kind` on an existing table without NOT VALID."""
    return ((table, cmd.def_) for table, cmd in _commands(ctx, "AT_AddConstraint")
            if cmd.def_.contype == kind and not cmd.def_.skip_validation)


@register
class IndexWithoutConcurrently(LockRule):
    code = "PG101"
    name = "index-without-concurrently"
    summary = "CREATE INDEX without CONCURRENTLY on a table that existed before this file"
    help = ("CREATE INDEX CONCURRENTLY in its own file marked -- dbtool:no-transaction; it does "
            "not block writes (check for an INVALID index if it fails)")

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        node = ctx.pg.node
        if isinstance(node, ast.IndexStmt) and not node.concurrent:
            table = qualname(node.relation)
            if ctx.existing(table):
                yield Finding(f"CREATE INDEX {node.idxname or ''} on {table} blocks writes to "
                              f"{table} until the index is built".replace("  ", " "))


@register
class ConcurrentlyInTransaction(LockRule):
    code = "PG102"
    name = "concurrently-in-transaction"
    summary = "CONCURRENTLY in a file that runs in a transaction (it would fail)"
    help = ("put the statement in its own file whose leading comments say "
            "-- dbtool:no-transaction")
    severity = Severity.ERROR

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        if ctx.file.transactional and self._concurrent(ctx.pg.node):
            yield Finding("CONCURRENTLY cannot run inside a transaction block, and this file "
                          "runs in one (no -- dbtool:no-transaction directive)")

    def _concurrent(self, node: Any) -> bool:
        if isinstance(node, ast.IndexStmt | ast.DropStmt):
            return bool(node.concurrent)
        if isinstance(node, ast.ReindexStmt):
            return defelem(node.params, "concurrently") is not None
        if isinstance(node, ast.AlterTableStmt):
            return any(isinstance(c.def_, ast.PartitionCmd) and c.def_.concurrent
                       for c in node.cmds or ())
        return False


@register
class ForeignKeyNotValid(LockRule):
    code = "PG103"
    name = "foreign-key-without-not-valid"
    summary = "ADD FOREIGN KEY without NOT VALID on a table that existed before this file"
    help = ("ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT in a later "
            "statement or file (it only takes a SHARE UPDATE EXCLUSIVE lock)")

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        for table, constraint in _added_constraints(ctx, ConstrType.CONSTR_FOREIGN):
            yield Finding(f"adding foreign key {constraint.conname or ''} on {table} scans "
                          f"{table} while blocking its writes".replace("  ", " "))


@register
class CheckNotValid(LockRule):
    code = "PG104"
    name = "check-without-not-valid"
    summary = "ADD CHECK without NOT VALID on a table that existed before this file"
    help = "ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT separately"

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        for table, constraint in _added_constraints(ctx, ConstrType.CONSTR_CHECK):
            yield Finding(f"adding CHECK {constraint.conname or ''} on {table} scans {table} "
                          "under an ACCESS EXCLUSIVE lock".replace("  ", " "))


@register
class SetNotNull(LockRule):
    code = "PG105"
    name = "set-not-null"
    summary = "ALTER COLUMN ... SET NOT NULL on a column that existed before this file"
    help = ("ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c; then SET "
            "NOT NULL (PostgreSQL 12+ uses the valid CHECK and skips the scan); drop the CHECK")

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        for table, cmd in _column_commands(ctx, "AT_SetNotNull"):
            if ctx.schema.has_valid_not_null_check(table, cmd.name):
                continue  # PostgreSQL 12+ proves NOT NULL from the validated CHECK: no scan
            yield Finding(f"SET NOT NULL on {table}.{cmd.name} scans {table} under an "
                          "ACCESS EXCLUSIVE lock")


@register
class TypeChangeRewrite(LockRule):
    code = "PG106"
    name = "type-change-rewrites"
    summary = "ALTER COLUMN ... TYPE that rewrites a table that existed before this file"
    help = ("add a new column, backfill it in batches, switch readers and writers, drop the old "
            "one; only e.g. varchar(n) -> varchar(m >= n) or -> text avoid the rewrite")

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        for table, cmd in _column_commands(ctx, "AT_AlterColumnType"):
            old, new = ctx.schema.column_type(table, cmd.name), type_name(cmd.def_.typeName)
            if old is not None and is_binary_coercible(old, new):
                continue
            verb = "rewrites" if old is not None else "may rewrite"
            yield Finding(f"changing the type of {table}.{cmd.name} to {render_type(new)} {verb} "
                          f"{table} under an ACCESS EXCLUSIVE lock")


@register
class VolatileDefault(LockRule):
    code = "PG107"
    name = "add-column-volatile-default"
    summary = "ADD COLUMN with a volatile default (or SERIAL / stored generated) on an existing table"
    help = ("add the column without the default (or with a constant one), set the default "
            "afterwards, and backfill existing rows in batches; now() is fine (it is stable)")

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        for table, cmd in _commands(ctx, "AT_AddColumn"):
            why = self._why(cmd.def_) if isinstance(cmd.def_, ast.ColumnDef) else None
            if why:
                yield Finding(f"adding {table}.{cmd.def_.colname} with {why} rewrites "
                              "every row under an ACCESS EXCLUSIVE lock")

    def _why(self, column: Any) -> str | None:
        volatile = sorted(set(function_calls(column_default(column))) & VOLATILE_FUNCTIONS)
        if volatile:
            return f"the volatile default {volatile[0]}()"
        if integer_key_kind(column) in ("SERIAL", "BIGSERIAL", "SMALLSERIAL"):
            return "a SERIAL type (a nextval() default)"
        if is_stored_generated(column):
            return "a stored generated expression"
        return None


@register
class NoLockTimeout(LockRule):
    code = "PG108"
    name = "no-lock-timeout"
    summary = "An ACCESS EXCLUSIVE lock on an existing table with no SET lock_timeout before it"
    help = ("start the file with SET lock_timeout = '5s' (or SET LOCAL ...): a migration waiting "
            "for its lock queues every other query on the table behind it")

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        if ctx.state.lock_timeout or self.code in ctx.state.flags:
            return
        table = access_exclusive_table(ctx)
        if table is not None:
            ctx.state.flags.add(self.code)  # once per file: one SET at the top fixes them all
            yield Finding(f"this statement takes an ACCESS EXCLUSIVE lock on {table} with no "
                          "lock_timeout set earlier in the file")


def access_exclusive_table(ctx: StatementContext) -> str | None:
    """The existing table a statement locks ACCESS EXCLUSIVE, or None."""
    node = ctx.pg.node
    found = _existing_alter(ctx)
    if found is not None:
        heavy = any(c.subtype.name not in _LIGHTER_ALTERS and not _is_fk(c) for c in found[1])
        return found[0] if heavy else None
    relations: list[Any] = []
    if isinstance(node, ast.RenameStmt | ast.CreatePolicyStmt | ast.AlterPolicyStmt):
        relations = [getattr(node, "relation", None) or getattr(node, "table", None)]
    elif isinstance(node, ast.TruncateStmt) or (isinstance(node, ast.LockStmt) and node.mode == 8):
        relations = list(node.relations or ())
    for relation in relations:
        if isinstance(relation, ast.RangeVar) and ctx.existing(qualname(relation)):
            return qualname(relation)
    return next((t for t, _ in dropped_tables(ctx) if ctx.existing(t)), None)


def _is_fk(cmd: Any) -> bool:
    """ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE, not ACCESS EXCLUSIVE."""
    return (cmd.subtype.name == "AT_AddConstraint"
            and getattr(cmd.def_, "contype", None) == ConstrType.CONSTR_FOREIGN)
