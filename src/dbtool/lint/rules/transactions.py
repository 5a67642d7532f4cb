"""TX1xx: statements that would break the transaction dbtool runs a file in.

dbtool runs every file (unless it says `-- dbtool:no-transaction`) in one
transaction together with its history row, so that a failure leaves nothing
behind. A `COMMIT` (or `END`) inside the file commits the statements before
it, unrecorded, and a later failure can no longer undo them; a `ROLLBACK`
silently undoes them while the run goes on; `BEGIN`, savepoints and
two-phase commit likewise take the transaction out of dbtool's hands. These
are `engine` rules: `dbtool migrate` (and `rollback`, for rollback files)
refuses the file before anything runs, and no lint-ignore silences them.

Where the engine rejects these statements outright (D1) they are D101, so this
rule covers the dialects that accept them and a statement is never reported twice.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbtool.lint.context import StatementContext
from dbtool.lint.framework import Finding, Rule, Severity, register
from dbtool.lint.prefilters import TRANSACTION_CONTROL
from dbtool.sql.dialects import Dialect
from dbtool.sql.lexer import WORD, tokenize

_SECOND = frozenset({"TRANSACTION", "WORK", "TO", "PREPARED", "DEFERRED", "IMMEDIATE", "EXCLUSIVE"})


@register
class TransactionControlInTransaction(Rule):
    code = "TX101"
    name = "transaction-control-in-transaction"
    summary = ("BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT, SAVEPOINT, RELEASE or "
               "two-phase commit in a file dbtool runs in its own transaction")
    help = ("remove it — dbtool already runs the file and its history row in one transaction; "
            "put a statement that cannot run in a transaction (CREATE INDEX CONCURRENTLY, "
            "VACUUM) in a file of its own marked -- dbtool:no-transaction")
    severity = Severity.ERROR
    engine = True
    refusal = "transaction rule"
    prefilter = TRANSACTION_CONTROL

    @classmethod
    def applies_to(cls, dialect: Dialect) -> bool:
        return not dialect.rejects_transaction_control

    def check(self, ctx: StatementContext) -> Iterator[Finding]:
        if not ctx.file.transactional or not ctx.analysis.controls_transaction:
            return
        yield Finding(f"transaction control ({_shown(ctx.statement.sql)}) in a file that dbtool "
                      "runs in one transaction would end or split it, so a failure could no "
                      "longer undo the whole file")


def _shown(sql: str) -> str:
    """The statement's leading keywords as the message quotes them: `END TRANSACTION`."""
    words = [t.value for t in tokenize(sql[:400]) if t.kind == WORD][:2]
    return " ".join(words if len(words) > 1 and words[1] in _SECOND else words[:1])

