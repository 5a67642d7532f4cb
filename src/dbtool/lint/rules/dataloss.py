"""DL1xx: statements that delete or overwrite data.

Only data that existed before the file counts: dropping a table the same file
created, or backfilling a column the same file added, loses nothing (but rows
the file copied into a new table are existing data in a new place). A table
whose rows the file copied elsewhere first (INSERT ... SELECT FROM it) is being
rebuilt, not dropped -- unless other tables reference it ON DELETE CASCADE or
SET NULL, which is DL102, the D1 rebuild data-loss bug.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbtool.lint.context import StatementContext
from dbtool.lint.framework import Finding, Rule, Severity, register
from dbtool.lint.prefilters import TABLE_DROP
from dbtool.lint.rules.types import is_widening, render_type
from dbtool.sql.dialects import Dialect
from dbtool.sql.facts import DESTRUCTIVE_ACTIONS, ForeignKey, RowWrite
from dbtool.sql.postgres import ast, qualname, type_name


def dropped_tables(ctx: StatementContext) -> list[tuple[str, int]]:
    """Tables a DROP TABLE statement removes, with offsets. DROP TABLE IF EXISTS of a
    table the schema proves absent (no earlier statement created it) is a no-op."""
    return [(d.table, d.offset) for d in ctx.analysis.dropped_tables
            if not (d.if_exists and ctx.schema.proves_absent(d.table))]


@register
class DropTable(Rule):
    code = "DL101"
    name = "drop-table"
    summary = "DROP TABLE of a table that existed before this file"
    help = ("if the data is still needed, copy it first (INSERT INTO ... SELECT) or rename the "
            "table and drop it in a later release once no code reads it; acknowledge an intended "
            "drop with -- dbtool:lint-ignore DL101 <reason>")
    severity = Severity.ERROR

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        for table, offset in dropped_tables(ctx):
            if ctx.existing(table) and table not in ctx.state.copied:
                yield Finding(f"DROP TABLE {table} deletes the table and every row in it",
                              offset=offset)


def _children(ctx: StatementContext, table: str) -> list[ForeignKey]:
    """Tables that can hold rows when `table` is dropped: a child this file created and
    never inserted into is empty, so nothing cascades into it. (A new child that already
    holds copied rows counts: it is the rebuild that references the final parent name.)"""
    found = [fk for fk in ctx.schema.referencing(table) if fk.on_delete in DESTRUCTIVE_ACTIONS
             and (ctx.existing(fk.table) or fk.table in ctx.state.written)]
    return sorted(found, key=lambda fk: (fk.on_delete != "cascade", fk.table))


def _further(ctx: StatementContext, children: list[ForeignKey], seen: set[str]) -> list[str]:
    """Tables reached through the children's own ON DELETE CASCADE keys (grandchildren...)."""
    found: list[str] = []
    queue = [fk.table for fk in children if fk.on_delete == "cascade"]
    while queue:
        table = queue.pop(0)
        for fk in _children(ctx, table):
            if fk.table not in seen:
                seen.add(fk.table)
                found.append(fk.table)
                if fk.on_delete == "cascade":
                    queue.append(fk.table)
    return found


def _list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@register
class CascadingDrop(Rule):
    code = "DL102"
    name = "drop-cascades-into-children"
    summary = ("DROP TABLE (or a table rebuild) of a table other tables reference with "
               "ON DELETE CASCADE / SET NULL")
    help = "see docs/lint.md#dl102 for the cascade-safe rebuild"
    severity = Severity.ERROR
    silent_loss = True  # the child rows are never named by the file: migrate refuses it
    prefilter = TABLE_DROP

    @classmethod
    def applies_to(cls, dialect: Dialect) -> bool:
        return dialect.drop_deletes_rows

    def severity_for(self, dialect: Dialect) -> Severity:
        """An error where foreign keys are always on; a warning where the file can turn them off."""
        return Severity.ERROR if dialect.enforces_foreign_keys else Severity.WARNING

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        for table, offset in dropped_tables(ctx):
            children = _children(ctx, table)
            if not children:
                continue
            if (not ctx.dialect.enforces_foreign_keys and ctx.state.foreign_keys_off
                    and not ctx.file.transactional):
                continue  # SQLite honours foreign_keys=off outside a transaction
            yield Finding(self._message(ctx, table, children), help=self._help(table, children),
                          offset=offset)

    def _message(self, ctx: StatementContext, table: str, children: list[ForeignKey]) -> str:
        parts = [f"{fk.table} (ON DELETE {fk.on_delete.upper()})" for fk in children]
        lead = (f"table rebuild of {table}: dropping {table}" if table in ctx.state.copied
                else f"dropping {table}")
        further = _further(ctx, children, {table, *(fk.table for fk in children)})
        tail = f", and from there into {_list(further)}" if further else ""
        if ctx.dialect.enforces_foreign_keys:
            why = ("on D1 foreign keys are always enforced and PRAGMA foreign_keys=off has no "
                   "effect, so the child rows are deleted")
        else:
            why = ("when foreign keys are on (and PRAGMA foreign_keys is a no-op inside the "
                   "migration's transaction), DROP TABLE deletes every row first, so the child "
                   "rows are deleted")
        actions = {fk.on_delete for fk in children}
        if actions != {"cascade"}:
            outcome = "set to NULL" if "cascade" not in actions else "deleted or set to NULL"
            why = why.replace("the child rows are deleted", f"the child rows are {outcome}")
        return f"{lead} cascades into {_list(parts)}{tail}: {why}"

    def _help(self, table: str, children: list[ForeignKey]) -> str:
        names = [fk.table for fk in children]
        first = names[0]
        return (
            f"rebuild the child tables in the same file first: for {_list(names)} create "
            f"<child>_new REFERENCES {table}_new, INSERT INTO <child>_new SELECT ... FROM <child>, "
            f"DROP TABLE <child>; then DROP TABLE {table} (now unreferenced, nothing cascades) and "
            f"rename {table}_new and each <child>_new into place (SQLite rewrites the REFERENCES). "
            f"Or copy the child rows aside (CREATE TABLE {first}_backup AS SELECT * FROM {first}) "
            "and restore them after the rename. Or avoid the rebuild: ALTER TABLE ADD COLUMN / "
            "RENAME COLUMN / DROP COLUMN need none. PRAGMA defer_foreign_keys does not stop cascades."
        )


@register
class DropColumn(Rule):
    code = "DL103"
    name = "drop-column"
    summary = "ALTER TABLE ... DROP COLUMN of a column that existed before this file"
    help = ("stop reading and writing the column in a release first, then drop it in a later "
            "migration; acknowledge with -- dbtool:lint-ignore DL103 <reason>")
    severity = Severity.ERROR

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        for table, column in ctx.analysis.dropped_columns:
            if ctx.existing(table) and not ctx.state.column_added(table, column):
                yield Finding(f"dropping column {table}.{column} deletes its data")


def _existing(ctx: StatementContext, write: RowWrite | None) -> RowWrite | None:
    """A write without WHERE to a table that existed before this file, else None."""
    return write if write is not None and ctx.existing(write.table) else None


@register
class DeleteWithoutWhere(Rule):
    code = "DL104"
    name = "delete-without-where"
    summary = "DELETE without a WHERE clause on a table that existed before this file"
    help = "add a WHERE clause naming the rows to delete; if every row must go, say so in a lint-ignore"
    severity = Severity.WARNING

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        if found := _existing(ctx, ctx.analysis.unfiltered_delete):
            yield Finding(f"DELETE FROM {found.table} has no WHERE clause: it deletes every row")


@register
class UpdateWithoutWhere(Rule):
    code = "DL105"
    name = "update-without-where"
    summary = "UPDATE without a WHERE clause that overwrites columns that existed before this file"
    help = ("add a WHERE clause naming the rows to change (e.g. WHERE col IS NULL for a backfill); "
            "backfilling a column added earlier in the same file is fine")
    severity = Severity.WARNING

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        found = _existing(ctx, ctx.analysis.unfiltered_update)
        if found is None:
            return
        overwritten = [c for c in found.columns if not ctx.state.column_added(found.table, c)]
        if overwritten or not found.columns:
            yield Finding(f"UPDATE {found.table} has no WHERE clause: it overwrites "
                          f"{', '.join(overwritten) or 'columns'} in every row")


@register
class Truncate(Rule):
    code = "DL106"
    name = "truncate"
    summary = "TRUNCATE of a table that existed before this file"
    help = "if the rows must go, acknowledge it with -- dbtool:lint-ignore DL106 <reason>"
    severity = Severity.ERROR

    @classmethod
    def applies_to(cls, dialect: Dialect) -> bool:
        return dialect.truncate

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        node = ctx.pg.node
        if isinstance(node, ast.TruncateStmt):
            for relation in node.relations or ():
                if ctx.existing(qualname(relation)):
                    yield Finding(f"TRUNCATE {qualname(relation)} deletes every row")


@register
class LossyTypeChange(Rule):
    code = "DL107"
    name = "lossy-type-change"
    summary = "ALTER COLUMN ... TYPE to a narrower or different type (can truncate or fail on data)"
    help = ("add a new column of the new type, backfill it with an explicit, checked conversion, "
            "switch readers, then drop the old column")
    severity = Severity.WARNING

    @classmethod
    def applies_to(cls, dialect: Dialect) -> bool:
        return dialect.alters_column_types

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        node = ctx.pg.node
        if not isinstance(node, ast.AlterTableStmt):
            return
        table = qualname(node.relation)
        for cmd in node.cmds or ():
            if cmd.subtype.name != "AT_AlterColumnType" or cmd.def_ is None:
                continue
            old = ctx.schema.column_type(table, cmd.name)
            new = type_name(cmd.def_.typeName)
            if old is not None and old != new and not is_widening(old, new):
                yield Finding(f"changing {table}.{cmd.name} from {render_type(old)} to "
                              f"{render_type(new)} can lose or reject existing values")
