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


@register
class RenameTable(Rule):
    code = "BC101"
    name = "rename-table"
    summary = "Renaming a table that existed before this file"
    help = ("create the new table (or a view under the old name), move readers and writers over "
            "in a release, then drop the old name in a later migration")
    severity = Severity.WARNING

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        for rename in ctx.analysis.renamed_tables:
            if not ctx.existing(rename.table) or rename.old in ctx.state.creates_anywhere:
                continue  # a rebuild step: the old name is the file's own or is re-created
            yield Finding(f"renaming table {rename.old} to {rename.new} breaks running code that "
                          f"still uses {rename.old}", offset=rename.offset)


@register
class RenameColumn(Rule):
    code = "BC102"
    name = "rename-column"
    summary = "Renaming a column that existed before this file"
    help = ("add the new column, write both and backfill, move readers over in a release, then "
            "drop the old column in a later migration")
    severity = Severity.WARNING

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        for rename in ctx.analysis.renamed_columns:
            table, old = rename.table, rename.old
            if ctx.existing(table) and not ctx.state.column_added(table, old):
                yield Finding(f"renaming column {table}.{old} to {rename.new} breaks running code "
                              f"that still uses {old}")
