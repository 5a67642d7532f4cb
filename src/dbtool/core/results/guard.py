"""What `guard` returns: a `GuardReport` of the committed migrations that changed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from dbtool.errors import SourceLocation


class EditKind(StrEnum):
    MODIFIED = "modified"
    DELETED = "deleted"
    RENAMED = "renamed"


@dataclass(frozen=True)
class FrozenEdit:
    """A committed migration that changed: `modified`, `deleted` or `renamed`."""

    service: str
    name: str
    path: Path
    kind: EditKind
    renamed_to: str | None = None

    @property
    def message(self) -> str:
        if self.kind is EditKind.RENAMED:
            return (f"{self.name} was renamed to {self.renamed_to}: a migration's name is its identity, "
                    "so every tool would apply it again")
        if self.kind is EditKind.DELETED:
            return f"{self.name} was deleted, but databases that applied it still list it"
        return f"{self.name} changed after it was committed; databases that applied it will not see the edit"

    @property
    def hint(self) -> str:
        fix = {EditKind.RENAMED: f"give it back the name {self.name}",
               EditKind.DELETED: f"restore {self.name}; undo its effect in a new migration "
                                 "(`dbtool new`)"}.get(
            self.kind, "restore it and put the change in a new migration (`dbtool new`)")
        return (f"{fix}; if it was never applied anywhere, compare against the target branch "
                "instead (--against origin/main)")

    @property
    def location(self) -> SourceLocation:
        return SourceLocation(self.path, 1 if self.path.exists() else None)

    def to_dict(self) -> dict[str, object]:
        return {"service": self.service, "name": self.name, "kind": self.kind.value,
                "path": str(self.path), "renamed_to": self.renamed_to, "message": self.message,
                "hint": self.hint}


@dataclass(frozen=True)
class GuardReport:
    """Every chosen service's committed migrations compared with `against`."""

    against: str
    services: tuple[str, ...] = ()
    edits: tuple[FrozenEdit, ...] = ()
    checked: int = 0  # committed migration files compared
    outside: tuple[str, ...] = ()  # services whose folder is not in this repository

    @property
    def ok(self) -> bool:
        return not self.edits

    def to_dict(self) -> dict[str, object]:
        return {"against": self.against, "ok": self.ok, "checked": self.checked,
                "services": list(self.services), "outside_repository": list(self.outside),
                "edits": [e.to_dict() for e in self.edits]}
