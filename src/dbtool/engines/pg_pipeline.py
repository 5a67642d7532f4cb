"""One file and its history row in one round trip: psycopg's pipeline mode.

Under the run lock (the history already read and known, see `PostgresEngine._known`)
a transactional file is sent as BEGIN, its statements, the history INSERT and COMMIT
in one pipeline: one network round trip per file instead of 3 + one per statement.
What the careful path checks after each statement cannot be checked while nothing
has answered yet, so:

* a file whose statements may control the transaction (BEGIN, COMMIT, SAVEPOINT …,
  refused by TX101 before anything runs; the engine's own guard is statement by
  statement) never takes this path;
* when anything in the pipeline fails, the server has aborted the file's transaction:
  it is rolled back and the caller runs the file again statement by statement, which
  fails at the same statement and reports its file:line:col exactly — or applies it.

The fault points of the apply path are kept at the same places, so a kill there
still leaves a whole prefix (nothing is committed before COMMIT is sent).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from dbtool import __version__
from dbtool.faults import fault
from dbtool.migrations.audit import limited

if TYPE_CHECKING:
    from dbtool.engines.pg_own_tables import PgConnection
    from dbtool.migrations.files import LoadedMigration

_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)
_TX_CONTROL = re.compile(r"(?:BEGIN|COMMIT|END|ROLLBACK|ABORT|START|SAVEPOINT|RELEASE|PREPARE)\b",
                         re.I)
_SUPPORTED: list[bool] = []


class _HandledAbort(logging.Filter):
    """psycopg logs the error it ignores when a pipeline aborted mid-file is closed ("error
    ignored terminating <Pipeline …>"), which Python prints on stderr beside dbtool's one
    line. dbtool handles that error (rolled back, the file run again statement by
    statement), so the record is dropped; every other psycopg record passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("error ignored terminating")


logging.getLogger("psycopg").addFilter(_HandledAbort())  # with this module, once


def supported() -> bool:
    if not _SUPPORTED:
        try:
            from psycopg import Pipeline

            _SUPPORTED.append(bool(Pipeline.is_supported()))
        except ImportError:  # psycopg < 3.1
            _SUPPORTED.append(False)
    return _SUPPORTED[0]


def pipelinable(migration: LoadedMigration) -> bool:
    """No statement that starts with a transaction-control keyword (after comments)."""
    return supported() and not any(
        _TX_CONTROL.match(s.sql, _LEADING.match(s.sql).end()) for s in migration.statements)


def apply_pipelined(conn: PgConnection, migration: LoadedMigration, table: str) -> bool:
    """True: the file and its row are committed. False: it failed, nothing of it stays
    (rolled back); the caller runs it again statement by statement."""
    import psycopg
    from psycopg.pq import TransactionStatus

    file = migration.file
    try:
        with conn.pipeline():
            conn.execute("BEGIN")
            for index, statement in enumerate(migration.statements):
                if index:
                    fault("inside-file")
                conn.execute(statement.sql, prepare=False)
            fault("after-statements")
            conn.execute(
                f"INSERT INTO {table} (name, version, checksum, duration_ms, tool_version, body, "
                "source) VALUES (%s, %s, %s, round((extract(epoch FROM clock_timestamp() - now())"
                " * 1000)::numeric, 3), %s, %s, 'dbtool')",
                (file.name, file.version_text, file.checksum, __version__, limited(migration.text)))
            fault("after-history")
            conn.execute("COMMIT")
    except psycopg.Error:
        if not conn.closed and conn.info.transaction_status != TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
        return False
    return True
