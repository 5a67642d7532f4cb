"""BC1xx: changes that break the code already running against the database.

During a deploy the old application version keeps running while (and after)
the migration applies; a renamed table or column makes its queries fail.
Renames that are steps of a table rebuild are not breaks: renaming a table
the same file created (`ALTER TABLE x_new RENAME TO x`), or renaming a table
away when the same file creates a new table under the old name.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbtool.lint.context import StatementContext
from dbtool.lint.framework import Finding, Rule, Severity, register
from dbtool.lint.pg_syntax import qualname
from dbtool.lint.pgast import ast


def _renames(ctx: StatementContext, kind: str) -> list[tuple[str, str, str]]:
    """(table, old name, new name) for table renames ("table") or column renames ("column")."""
    if ctx.dialect != "postgres":
        facts = ctx.sqlite
        if facts.alter == f"rename_{kind}" and facts.name and facts.old_name and facts.new_name:
            return [(facts.name, facts.old_name, facts.new_name)]
        return []
    node = ctx.pg.node
    if not isinstance(node, ast.RenameStmt) or node.relation is None:
        return []
    table = qualname(node.relation)
    if kind == "table" and node.renameType.name == "OBJECT_TABLE":
        return [(table, table, f"{table.split('.', 1)[0]}.{node.newname}")]
    if kind == "column" and node.renameType.name == "OBJECT_COLUMN":
        return [(table, node.subname, node.newname)]
    return []


@register
class RenameTable(Rule):
    code = "BC101"
    name = "rename-table"
    summary = "Renaming a table that existed before this file"
    help = ("create the new table (or a view under the old name), move readers and writers over "
            "in a release, then drop the old name in a later migration")
    severity = Severity.WARNING

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        for table, old, new in _renames(ctx, "table"):
            if not ctx.existing(table) or old in ctx.state.creates_anywhere:
                continue  # a rebuild step: the old name is the file's own or is re-created
            yield Finding(f"renaming table {old} to {new} breaks running code that still uses {old}",
                          offset=ctx.analysis.name_offset if ctx.dialect != "postgres" else 0)


@register
class RenameColumn(Rule):
    code = "BC102"
    name = "rename-column"
    summary = "Renaming a column that existed before this file"
    help = ("add the new column, write both and backfill, move readers over in a release, then "
            "drop the old column in a later migration")
    severity = Severity.WARNING

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        for table, old, new in _renames(ctx, "column"):
            if ctx.existing(table) and not ctx.state.column_added(table, old):
                yield Finding(f"renaming column {table}.{old} to {new} breaks running code that "
                              f"still uses {old}")
