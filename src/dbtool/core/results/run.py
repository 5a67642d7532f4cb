"""What `migrate` returns: one `ServiceRun` per service, and its progress events."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


# -- migrate -----------------------------------------------------------------------------
class RunStatus(StrEnum):
    """What `migrate` did to one service's database."""

    MIGRATED = "migrated"  # applied at least one file
    UP_TO_DATE = "up-to-date"  # nothing was pending
    PLANNED = "planned"  # a dry run: `planned` lists what would run
    SKIPPED = "skipped"  # no database to migrate (`skip_reason` says why)


@dataclass(frozen=True)
class AppliedFile:
    """A migration file that ran and was recorded, with its history row."""

    name: str
    duration_ms: float  # rounded to microseconds
    statements: int

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "duration_ms": self.duration_ms, "statements": self.statements}


@dataclass(frozen=True)
class PlannedFile:
    """A pending file `migrate` would run (or ran): `sql` only when asked for (`--sql`)."""

    name: str
    statements: int
    transaction: bool  # False for a `-- dbtool:no-transaction` file
    sql: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, object]:
        entry: dict[str, object] = {"name": self.name, "statements": self.statements,
                                    "transaction": self.transaction}
        if self.sql is not None:
            entry["sql"] = list(self.sql)
        return entry


@dataclass(frozen=True)
class ServiceRun:
    """One service's `migrate`: the database (masked URL and how it was named) and the files."""

    service: str
    target: str  # the masked URL ("" when skipped)
    label: str  # "embedded", "--url", a target name, "scratch" …
    status: RunStatus = RunStatus.UP_TO_DATE
    applied: tuple[AppliedFile, ...] = ()
    planned: tuple[PlannedFile, ...] = ()
    skip_reason: str | None = None
    prelude: str | None = None  # the prelude file applied first, if any
    warnings: tuple[str, ...] = ()  # done, but something needs a look

    def to_dict(self) -> dict[str, object]:
        return {
            "service": self.service, "target": self.target, "label": self.label,
            "status": self.status.value, "applied": [a.to_dict() for a in self.applied],
            "planned": [p.to_dict() for p in self.planned], "skip_reason": self.skip_reason,
            "prelude": self.prelude, "warnings": list(self.warnings),
        }


class ProgressKind(StrEnum):
    START = "start"
    APPLIED = "applied"
    SKIPPED = "skipped"  # applied meanwhile by another run
    FAILED = "failed"  # this file failed and was rolled back; the run stops (the error follows)
    DONE = "done"


@dataclass(frozen=True)
class Progress:
    """An event for renderers while `migrate` runs."""

    kind: ProgressKind
    service: str
    name: str = ""
    index: int = 0
    total: int = 0
    duration_ms: float = 0.0
