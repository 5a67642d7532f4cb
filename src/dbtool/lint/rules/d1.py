"""D1xx: what Cloudflare D1 rejects or ignores (DESIGN.md section 7).

Most of these are `engine` rules: D1 refuses the statement outright, so
`dbtool migrate` refuses the file before anything runs (see dbtool.rules)
and no lint-ignore can silence them. wrangler's local apply silently strips
one BEGIN/COMMIT pair, so without these a file passes locally and fails in
production.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbtool.errors import SourceLocation
from dbtool.lint.context import FileContext, StatementContext
from dbtool.lint.framework import D1, Finding, Rule, Scope, Severity, register
from dbtool.rules import (
    D1_PRAGMAS,
    MAX_COLUMNS,
    MAX_STATEMENT_BYTES,
    MAX_STATEMENTS,
    TRANSACTION_CONTROL,
)


@register
class TransactionControl(Rule):
    code = "D101"
    name = "transaction-control"
    summary = "BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT or RELEASE inside a D1 migration"
    help = ("remove it: D1 runs each migration file as one transaction; wrangler's local apply "
            "strips one BEGIN/COMMIT pair, so it passes locally and fails remotely")
    severity = Severity.ERROR
    dialects = D1  # SQLite and Postgres: TX101 (in transactional files)
    engine = True
    refusal = "D1 rule"
    prefilter = TRANSACTION_CONTROL

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        facts = ctx.sqlite
        if facts.kind != "transaction":
            return
        words = " ".join(t.value for t in facts.tokens[:2] if t.kind == "word")
        yield Finding(f"transaction control ({words}) is rejected by D1 — D1 runs each "
                      "migration as one transaction; remove it")


@register
class AttachDetach(Rule):
    code = "D102"
    name = "attach-detach"
    summary = "ATTACH or DETACH DATABASE"
    help = "D1 databases cannot attach others; query each D1 database through its own binding"
    severity = Severity.ERROR
    dialects = D1
    engine = True
    refusal = "D1 rule"

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        if ctx.sqlite.kind in ("attach", "detach"):
            yield Finding(f"{ctx.sqlite.verb} is not supported on D1")


@register
class PragmaNotAllowed(Rule):
    code = "D103"
    name = "pragma-not-allowed"
    summary = "A PRAGMA outside D1's allow-list"
    help = f"D1 only accepts these PRAGMAs: {', '.join(sorted(D1_PRAGMAS))}"
    severity = Severity.ERROR
    dialects = D1
    engine = True
    refusal = "D1 rule"

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        facts = ctx.sqlite
        if facts.kind == "pragma" and facts.pragma_name and facts.pragma_name not in D1_PRAGMAS:
            yield Finding(f"PRAGMA {facts.pragma_name} is not on D1's allow-list",
                          offset=facts.name_offset)


@register
class ForeignKeysOff(Rule):
    code = "D104"
    name = "foreign-keys-off-ignored"
    summary = "PRAGMA foreign_keys = off in a D1 migration (it has no effect there)"
    help = ("D1 always enforces foreign keys; use PRAGMA defer_foreign_keys = on to defer the "
            "checks to the end of the migration — but note that it does not stop ON DELETE "
            "CASCADE/SET NULL (see DL102)")
    severity = Severity.WARNING
    dialects = D1

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        facts = ctx.sqlite
        off = facts.pragma_value in ("off", "0", "false", "no")
        if facts.kind == "pragma" and facts.pragma_name == "foreign_keys" and off:
            yield Finding("PRAGMA foreign_keys = off has no effect on D1: foreign keys stay "
                          "enforced and ON DELETE actions still fire", offset=facts.name_offset)


@register
class TemporaryObject(Rule):
    code = "D105"
    name = "temporary-object"
    summary = "CREATE TEMP/TEMPORARY table, view, trigger or index"
    help = "create a regular object and drop it at the end of the migration, or avoid it"
    severity = Severity.ERROR
    dialects = D1
    engine = True
    refusal = "D1 rule"

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        facts = ctx.sqlite
        if facts.kind.startswith("create_") and facts.temp:
            kind = (facts.object_type or "object").lower()
            yield Finding(f"temporary {kind} {facts.name!r}: temporary objects are not supported "
                          "on D1", offset=facts.name_offset)


@register
class ReservedName(Rule):
    code = "D106"
    name = "reserved-cf-name"
    summary = "An object name starting with _cf_ (reserved by D1)"
    help = "rename the object; D1 keeps its own metadata (e.g. _cf_METADATA) under _cf_ names"
    severity = Severity.ERROR
    dialects = D1
    engine = True
    refusal = "D1 rule"

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        for name, offset in ctx.sqlite.created_names:
            if name.lower().startswith("_cf_"):
                yield Finding(f"name {name!r} starts with _cf_, which D1 reserves", offset=offset)


@register
class StatementTooLarge(Rule):
    code = "D107"
    name = "statement-too-large"
    summary = "A statement over D1's 100 KB limit"
    help = "split the statement (e.g. a large INSERT into several smaller ones)"
    severity = Severity.ERROR
    dialects = D1
    engine = True
    refusal = "D1 rule"

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        size = len(ctx.statement.sql.encode("utf-8"))
        if size > MAX_STATEMENT_BYTES:
            yield Finding(f"statement is {size:,} bytes; D1 allows at most 100 KB")


@register
class TooManyColumns(Rule):
    code = "D108"
    name = "too-many-columns"
    summary = f"A table with more than {MAX_COLUMNS} columns"
    help = "split the table (e.g. a 1:1 side table) or keep rarely used fields in a JSON column"
    severity = Severity.ERROR
    dialects = D1
    engine = True
    refusal = "D1 rule"

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        facts = ctx.sqlite
        if facts.kind == "create_table":
            count = len(facts.columns)
        elif facts.alter == "add_column" and facts.name:
            existing = ctx.schema.columns(facts.name)
            count = len(existing) + 1 if existing is not None else 0
        else:
            return
        if count > MAX_COLUMNS:
            yield Finding(f"table {facts.name!r} would have {count} columns; D1 allows at most "
                          f"{MAX_COLUMNS}", offset=facts.name_offset)


@register
class TooManyStatements(Rule):
    code = "D109"
    name = "too-many-statements"
    summary = f"A migration file with more than {MAX_STATEMENTS} statements (the batch limit)"
    help = "split the migration into several files of at most 100 statements each"
    severity = Severity.ERROR
    dialects = D1
    scope = Scope.FILE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        count = len(ctx.file.statements)
        if count > MAX_STATEMENTS:
            from dbtool.lint.framework import StatementRef

            yield Finding(f"{ctx.file.name} has {count} statements; D1 runs a migration as one "
                          f"batch of at most {MAX_STATEMENTS}",
                          at=StatementRef(ctx.file_index, MAX_STATEMENTS))


@register
class NoTransactionOnD1(Rule):
    code = "D110"
    name = "no-transaction-on-d1"
    summary = "A `-- dbtool:no-transaction` directive in a D1 migration"
    help = "remove the directive: D1 runs each migration as one request/transaction"
    severity = Severity.ERROR
    dialects = D1
    scope = Scope.FILE
    engine = True
    refusal = "D1 rule"

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        if ctx.file.transactional:
            return
        text = ctx.file.text
        at = text.find("dbtool:no-transaction")
        line = text.count("\n", 0, max(at, 0)) + 1
        yield Finding(f"{ctx.file.name}: -- dbtool:no-transaction cannot be honoured on D1",
                      location=SourceLocation(ctx.file.path, line, 1))
