"""What `init` returns: the dbtool.toml it wrote (or would write) and each service's snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dbtool.core.init_detect import Detected


@dataclass(frozen=True)
class InitSnapshot:
    """One service's snapshot after `init`: written, unchanged, kept (one existed), skipped
    (no scratch server) or failed (the migrations do not apply), with the reason."""

    service: str
    path: str
    status: str
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "path": self.path, "status": self.status,
                "reason": self.reason}


@dataclass(frozen=True)
class InitResult:
    """The configuration `init` rendered, whether it was written, and what else it did."""

    root: Path
    config: Path
    services: tuple[Detected, ...]
    notes: tuple[str, ...]
    text: str  # the dbtool.toml
    dry_run: bool = False
    written: bool = False
    split: tuple[str, ...] = ()  # dbmate files whose down section moved (or would move)
    snapshots: tuple[InitSnapshot, ...] = ()

    @property
    def failed(self) -> bool:
        return any(s.status == "failed" for s in self.snapshots)

    def to_dict(self) -> dict[str, Any]:
        return {"config": str(self.config), "dry_run": self.dry_run, "written": self.written,
                "services": [s.to_dict() for s in self.services], "notes": list(self.notes),
                "split_down": list(self.split), "snapshots": [s.to_dict() for s in self.snapshots],
                "toml": self.text}
