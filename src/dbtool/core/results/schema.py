"""What `snapshot` and `audit` return, and a drift `Change` as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from dbtool.migrations.history import State

if TYPE_CHECKING:
    from dbtool.core.security import SecurityFinding
    from dbtool.diff import Change
    from dbtool.model import NotCompared

def change_dict(change: Change) -> dict[str, Any]:
    """A change as JSON; `message` is the one-line description users see in text output."""
    data = change.to_dict()
    data["message"] = data.pop("description")
    return data


# -- snapshot and audit -------------------------------------------------------------------
class SnapshotStatus(StrEnum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"
    STALE = "stale"  # differs, and the caller only checked
    SKIPPED = "skipped"  # no scratch server (`skip_reason`)


@dataclass(frozen=True)
class SnapshotResult:
    """One service's `snapshot`: where it was written and the annotations left without object."""

    service: str
    path: str = ""
    status: SnapshotStatus = SnapshotStatus.UNCHANGED
    orphans: tuple[str, ...] = ()  # dotted paths of annotations whose object no longer exists
    skip_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "path": self.path, "status": self.status.value,
                "orphaned_annotations": list(self.orphans), "skip_reason": self.skip_reason}


@dataclass(frozen=True)
class HistoryProblem:
    """A migration whose history row is not simply applied on the audited database."""

    migration: str
    state: State  # pending | modified | missing | out-of-order

    def to_dict(self) -> dict[str, str]:
        return {"migration": self.migration, "state": self.state.value}


@dataclass(frozen=True)
class AuditResult:
    """One service's `audit`: its database (live, or a scratch build) against its snapshot."""

    service: str
    source: str  # "scratch" or the masked URL of the live database
    snapshot: str = ""
    changes: tuple[Change, ...] = ()
    history: tuple[HistoryProblem, ...] = ()  # live databases only
    security: tuple[SecurityFinding, ...] = ()  # dialects with roles (Postgres)
    skip_reason: str | None = None
    # kinds the schema model does not hold, so neither the snapshot nor the differ saw them
    not_compared: tuple[NotCompared, ...] = ()
    migrations: str = ""  # the service's migrations folder (where history problems point)

    @property
    def clean(self) -> bool:
        return not self.changes and not self.history and not self.security

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service, "source": self.source, "snapshot": self.snapshot,
            "clean": self.clean if self.skip_reason is None else None,
            "skip_reason": self.skip_reason,
            "changes": [change_dict(c) for c in self.changes],
            "history": [h.to_dict() for h in self.history],
            "security": [f.to_dict() for f in self.security],
            "not_compared": [{"kind": n.kind, "count": n.count} for n in self.not_compared],
        }
