"""What the history commands (adopt, baseline, mark, repair, rollback) return."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from dbtool.core.results.schema import change_dict

if TYPE_CHECKING:
    from dbtool.diff import Change

# -- history commands ----------------------------------------------------------------------
class HistoryAction(StrEnum):
    """What a history command does to one row."""

    RECORD = "record"  # add the row without running the file (adopt, baseline, mark --applied)
    CHECKSUM = "checksum"  # record the file's current checksum (repair)
    UNRECORD = "unrecord"  # remove the row, undoing nothing (mark --pending)
    ROLLBACK = "rollback"  # run down/<name>.sql and remove the row
    SKIP = "skip"  # nothing to do for this row (said why in `detail`)


@dataclass(frozen=True)
class HistoryItem:
    """One history row the command writes (or would write under --dry-run)."""

    name: str
    action: HistoryAction
    detail: str = ""
    old_checksum: str | None = None
    new_checksum: str | None = None
    diff: tuple[str, ...] = ()  # repair: a unified line diff from the applied text

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "action": self.action.value, "detail": self.detail,
                "old_checksum": self.old_checksum, "new_checksum": self.new_checksum,
                "diff": list(self.diff)}


@dataclass(frozen=True)
class UncomparedCounts:
    """baseline: objects of a kind the model does not hold, counted on both sides."""

    kind: str
    database: int
    scratch: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "database": self.database, "scratch": self.scratch}


@dataclass(frozen=True)
class HistoryResult:
    """What one history command did (adopt, baseline, mark, repair, rollback): `written` is
    True only after the commit; `refused` or `problems` make it exit 1."""

    command: str
    service: str
    target: str
    label: str
    dry_run: bool = False
    written: bool = False
    items: tuple[HistoryItem, ...] = ()
    problems: tuple[str, ...] = ()  # reported, not written: exit 1
    warnings: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()  # baseline's differences from the scratch build
    refused: str | None = None  # why nothing was written: exit 1
    forced: bool = False
    message: str = ""  # a one-line summary when there is nothing to list
    not_compared: tuple[UncomparedCounts, ...] = ()  # baseline

    @property
    def writes(self) -> tuple[HistoryItem, ...]:
        return tuple(i for i in self.items if i.action is not HistoryAction.SKIP)

    @property
    def exit_code(self) -> int:
        return 1 if self.refused or self.problems else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command, "service": self.service, "target": self.target,
            "label": self.label, "dry_run": self.dry_run, "written": self.written,
            "forced": self.forced, "refused": self.refused, "message": self.message,
            "items": [i.to_dict() for i in self.items], "problems": list(self.problems),
            "warnings": list(self.warnings), "changes": [change_dict(c) for c in self.changes],
            "not_compared": [u.to_dict() for u in self.not_compared],
        }
