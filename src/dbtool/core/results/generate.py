"""What `diff` returns: a `DiffResult` with the files it wrote, would write or printed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from dbtool.core.results.schema import change_dict

if TYPE_CHECKING:
    from dbtool.diff import Change
    from dbtool.lint.framework import Diagnostic
    from dbtool.model import NotCompared
    from dbtool.plan.ops import Op
    from dbtool.plan.types import Refusal


class DiffStatus(StrEnum):
    """What `diff` did."""

    WRITTEN = "written"  # the proven file(s) were written into the migrations folder
    DRY_RUN = "dry-run"  # proven, not written
    NOTHING = "nothing"  # the migrations already build the snapshot
    REFUSED = "refused"  # `refusals` says why; nothing was written
    PRINTED = "printed"  # --from/--to: the SQL between two databases, never written


@dataclass(frozen=True)
class GeneratedFile:
    """One generated migration: its name, where it goes, its text and what it does."""

    name: str
    path: str  # "" for --from/--to (printed, not written)
    transactional: bool
    text: str
    operations: tuple[Op, ...]
    statements: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "transaction": self.transactional,
                "operations": [op.to_dict() for op in self.operations],
                "statements": list(self.statements)}


@dataclass(frozen=True)
class DiffResult:
    """What `dbtool diff` did (`status`), the typed changes it planned from, the files, and
    — when refused — the refusals, the residue left after the proof and lint errors."""

    service: str
    dialect: str
    source: str  # the snapshot (as the user reads its path), or the --to database
    status: DiffStatus = DiffStatus.NOTHING
    changes: tuple[Change, ...] = ()
    files: tuple[GeneratedFile, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    notices: tuple[str, ...] = ()
    residue: tuple[Change, ...] = ()  # differences left after applying the generated SQL
    lint: tuple[Diagnostic, ...] = ()  # active lint errors in the generated files
    not_compared: tuple[NotCompared, ...] = ()  # kinds the model does not hold, in the build
    marked_applied: tuple[str, ...] = ()  # files recorded as applied on the live target
    target: str = ""  # the live database of `--to live`, masked

    @property
    def refused(self) -> bool:
        return self.status is DiffStatus.REFUSED

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service, "dialect": self.dialect, "source": self.source,
            "status": self.status.value,
            "changes": [change_dict(c) for c in self.changes],
            "files": [f.to_dict() for f in self.files],
            "refusals": [r.to_dict() for r in self.refusals],
            "notices": list(self.notices),
            "residue": [change_dict(c) for c in self.residue],
            "lint": [d.to_dict() for d in self.lint],
            "not_compared": [{"kind": n.kind, "count": n.count} for n in self.not_compared],
            "marked_applied": list(self.marked_applied), "target": self.target,
        }
