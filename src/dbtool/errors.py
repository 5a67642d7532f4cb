"""Typed errors. Each knows its exit code and a hint, and keeps its cause.

Exit codes are decided here and turned into process exits in exactly one
place (`dbtool.cli.app.main`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from dbtool.secrets import mask


class ExitCode(IntEnum):
    OK = 0
    PROBLEMS = 1  # the check found problems: drift, lint errors, modified history, failed migration
    USAGE = 2  # usage, config or input error
    UNREACHABLE = 3  # database unreachable or locked past the timeout
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT): what ran stays, nothing new started


@dataclass(frozen=True)
class SourceLocation:
    """A point in a file; rendered as `file:line:col` so editors can jump to it."""

    path: Path | str
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        text = str(self.path)
        if self.line is not None:
            text += f":{self.line}"
            if self.col is not None:
                text += f":{self.col}"
        return text


class DbtoolError(Exception):
    """Base of every error dbtool reports to a user. Message and hint are masked when the
    error is made (`dbtool.secrets`), so a program using dbtool as a library never holds
    a password or token in an error either, whatever text went into it."""

    exit_code: ExitCode = ExitCode.USAGE
    kind: str = "error"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        location: SourceLocation | None = None,
    ) -> None:
        message = mask(message)
        super().__init__(message)
        self.message = message
        self.hint = mask(hint) if hint else hint
        self.location = location

    def one_line(self) -> str:
        """The single stderr line: where, what, and what to do."""
        parts = []
        if self.location is not None:
            parts.append(f"{self.location}: ")
        parts.append(self.message)
        if self.hint:
            parts.append(f" — {self.hint}")
        return "".join(parts).replace("\n", " ")

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "message": self.message,
            "hint": self.hint,
            "location": str(self.location) if self.location else None,
            "exit_code": int(self.exit_code),
        }


class UsageError(DbtoolError):
    kind = "usage"


class ConfigError(DbtoolError):
    kind = "config"


class UrlError(DbtoolError):
    kind = "url"


class MigrationFileError(DbtoolError):
    """A migration file that cannot be read, named or split."""

    kind = "migration-file"


class SqlSyntaxError(MigrationFileError):
    kind = "sql-syntax"


class ConnectionFailed(DbtoolError):
    kind = "connection"
    exit_code = ExitCode.UNREACHABLE


class LockTimeout(DbtoolError):
    kind = "lock-timeout"
    exit_code = ExitCode.UNREACHABLE


class HistoryConflict(DbtoolError):
    """Applied history disagrees with the files (modified, out of order, missing)."""

    kind = "history"
    exit_code = ExitCode.PROBLEMS


class RuleViolation(DbtoolError):
    """A file breaks an engine rule (for example D1's) before anything runs."""

    kind = "rule"
    exit_code = ExitCode.PROBLEMS


class MigrationFailed(DbtoolError):
    """A statement failed (or ended dbtool's transaction).

    `rolled_back` is True only when the engine confirmed that the file's
    transaction was rolled back, so messages never claim a rollback that did
    not happen (a no-transaction file, a file that ended the transaction).
    """

    kind = "migration-failed"
    exit_code = ExitCode.PROBLEMS

    def __init__(
        self,
        message: str,
        *,
        migration: str,
        statement: str,
        engine_message: str,
        location: SourceLocation | None = None,
        hint: str | None = None,
        rolled_back: bool = False,
    ) -> None:
        super().__init__(message, hint=hint, location=location)
        self.migration = migration
        self.statement = mask(statement)
        self.engine_message = mask(engine_message)
        self.rolled_back = rolled_back

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data.update(
            migration=self.migration,
            statement=self.statement,
            engine_message=self.engine_message,
            rolled_back=self.rolled_back,
        )
        return data
