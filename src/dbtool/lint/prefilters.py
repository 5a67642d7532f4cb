"""Statement prefilters shared by the rules and by `migrate`'s refusals (light: no framework).

A prefilter is a pattern that every statement a rule can report on matches at its
start (`Statement.sql` starts at the first token). The rule classes use them to skip
statements, and `dbtool.lint.refusals` uses the same objects to screen a run's pending
statements before it imports the lint framework (~50 ms, a fifth of migrating 200
files), so the two can never disagree.
"""

from __future__ import annotations

import re

# Transaction control in SQLite and Postgres starts with one of these words: BEGIN
# [DEFERRED|...|WORK|TRANSACTION], START TRANSACTION, COMMIT/END [PREPARED], ROLLBACK/ABORT
# [TO SAVEPOINT | PREPARED], SAVEPOINT, RELEASE [SAVEPOINT], PREPARE TRANSACTION. (`BEGIN
# ATOMIC` bodies and trigger bodies never start a statement: the splitter keeps them inside.)
TRANSACTION_CONTROL = re.compile(
    r"(?:BEGIN|START|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE)(?![\w$])", re.I)
TABLE_DROP = re.compile(r"DROP(?![\w$])", re.I)
