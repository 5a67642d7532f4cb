"""D1xx: what Cloudflare D1 rejects or ignores (DESIGN.md section 7).

Most of these are `engine` rules (`D1Rule`): D1 refuses the statement
outright, so `dbtool migrate` refuses the file before anything runs (see
dbtool.lint.refusals) and no lint-ignore can silence them. wrangler's local
apply silently strips one BEGIN/COMMIT pair, so without these a file passes
locally and fails in production. They apply where `Dialect.d1_rules` holds.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbtool.d1.limits import ALLOWED_PRAGMAS, MAX_COLUMNS, MAX_STATEMENT_BYTES, MAX_STATEMENTS
from dbtool.errors import SourceLocation
from dbtool.lint.context import FileContext, StatementContext
from dbtool.lint.framework import Finding, Rule, Scope, Severity, StatementRef, register
from dbtool.lint.prefilters import TRANSACTION_CONTROL
from dbtool.sql.dialects import Dialect


class D1Rule(Rule):
    """A D1xx rule; unless it says otherwise, a statement D1 itself rejects: an error, and
    an engine rule migrate refuses."""

    severity = Severity.ERROR
    engine = True
    refusal = "D1 rule"

    @classmethod
    def applies_to(cls, dialect: Dialect) -> bool:
        return dialect.d1_rules


@register
class TransactionControl(D1Rule):
    code = "D101"
    name = "transaction-control"
    summary = "BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT or RELEASE inside a D1 migration"
    help = ("remove it: D1 runs each migration file as one transaction; wrangler's local apply "
            "strips one BEGIN/COMMIT pair, so it passes locally and fails remotely")
    prefilter = TRANSACTION_CONTROL  # SQLite and Postgres: TX101 (in transactional files)

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        facts = ctx.sqlite
        if facts.kind != "transaction":
            return
        words = " ".join(t.value for t in facts.tokens[:2] if t.kind == "word")
        yield Finding(f"transaction control ({words}) is rejected by D1 — D1 runs each "
                      "migration as one transaction; remove it")


@register
class AttachDetach(D1Rule):
    code = "D102"
    name = "attach-detach"
    summary = "ATTACH or DETACH DATABASE"
    help = "D1 databases cannot attach others; query each D1 database through its own binding"

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        if ctx.sqlite.kind in ("attach", "detach"):
            yield Finding(f"{ctx.sqlite.verb} is not supported on D1")


@register
class PragmaNotAllowed(D1Rule):
    code = "D103"
    name = "pragma-not-allowed"
    summary = "A PRAGMA outside D1's allow-list"
    help = f"D1 only accepts these PRAGMAs: {', '.join(sorted(ALLOWED_PRAGMAS))}"

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        facts = ctx.sqlite
        if facts.kind == "pragma" and facts.pragma_name and facts.pragma_name not in ALLOWED_PRAGMAS:
            yield Finding(f"PRAGMA {facts.pragma_name} is not on D1's allow-list",
                          offset=facts.name_offset)


@register
class ForeignKeysOff(D1Rule):
    code = "D104"
    name = "foreign-keys-off-ignored"
    summary = "PRAGMA foreign_keys = off in a D1 migration (it has no effect there)"
    help = ("D1 always enforces foreign keys; use PRAGMA defer_foreign_keys = on to defer the "
            "checks to the end of the migration — but note that it does not stop ON DELETE "
            "CASCADE/SET NULL (see DL102)")
    severity = Severity.WARNING
    engine = False

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        facts = ctx.sqlite
        if facts.foreign_keys_setting is False:
            yield Finding("PRAGMA foreign_keys = off has no effect on D1: foreign keys stay "
                          "enforced and ON DELETE actions still fire", offset=facts.name_offset)


@register
class TemporaryObject(D1Rule):
    code = "D105"
    name = "temporary-object"
    summary = "CREATE TEMP/TEMPORARY table, view, trigger or index"
    help = "create a regular object and drop it at the end of the migration, or avoid it"

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        facts = ctx.sqlite
        if facts.kind.startswith("create_") and facts.temp:
            kind = (facts.object_type or "object").lower()
            yield Finding(f"temporary {kind} {facts.name!r}: temporary objects are not supported "
                          "on D1", offset=facts.name_offset)


@register
class ReservedName(D1Rule):
    code = "D106"
    name = "reserved-cf-name"
    summary = "An object name starting with _cf_ (reserved by D1)"
    help = "rename the object; D1 keeps its own metadata (e.g. _cf_METADATA) under _cf_ names"

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        for name, offset in ctx.sqlite.created_names:
            if name.lower().startswith("_cf_"):
                yield Finding(f"name {name!r} starts with _cf_, which D1 reserves", offset=offset)


@register
class StatementTooLarge(D1Rule):
    code = "D107"
    name = "statement-too-large"
    summary = "A statement over D1's 100 KB limit"
    help = "split the statement (e.g. a large INSERT into several smaller ones)"

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        size = len(ctx.statement.sql.encode("utf-8"))
        if size > MAX_STATEMENT_BYTES:
            yield Finding(f"statement is {size:,} bytes; D1 allows at most 100 KB")


@register
class TooManyColumns(D1Rule):
    code = "D108"
    name = "too-many-columns"
    summary = f"A table with more than {MAX_COLUMNS} columns"
    help = "split the table (e.g. a 1:1 side table) or keep rarely used fields in a JSON column"

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
class TooManyStatements(D1Rule):
    code = "D109"
    name = "too-many-statements"
    summary = f"A migration file with more than {MAX_STATEMENTS} statements (the batch limit)"
    help = "split the migration into several files of at most 100 statements each"
    scope = Scope.FILE
    engine = False  # lint-only: D1 accepts the file (docs/lint.md)

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        count = len(ctx.file.statements)
        if count > MAX_STATEMENTS:
            yield Finding(f"{ctx.file.name} has {count} statements; D1 runs a migration as one "
                          f"batch of at most {MAX_STATEMENTS}",
                          at=StatementRef(ctx.file_index, MAX_STATEMENTS))


@register
class NoTransactionOnD1(D1Rule):
    code = "D110"
    name = "no-transaction-on-d1"
    summary = "A `-- dbtool:no-transaction` directive in a D1 migration"
    help = "remove the directive: D1 runs each migration as one request/transaction"
    scope = Scope.FILE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        if ctx.file.transactional:
            return
        text = ctx.file.text
        at = text.find("dbtool:no-transaction")
        line = text.count("\n", 0, max(at, 0)) + 1
        yield Finding(f"{ctx.file.name}: -- dbtool:no-transaction cannot be honoured on D1",
                      location=SourceLocation(ctx.file.path, line, 1))
