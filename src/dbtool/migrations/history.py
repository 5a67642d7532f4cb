"""History rows and the per-migration state derived from files + history.

Pure functions: engines read rows, this module decides what each file's state
is, so every engine reports states the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from dbtool.migrations.files import MigrationFile


@dataclass(frozen=True)
class AppliedMigration:
    """One history row. `checksum` is None for rows written by another tool (wrangler)."""

    name: str
    applied_at: str | None
    checksum: str | None = None
    duration_ms: int | None = None
    applied_by: str | None = None
    source: str = "dbtool"


class State(StrEnum):
    APPLIED = "applied"
    PENDING = "pending"
    MODIFIED = "modified"  # applied, but the file's checksum changed since
    MISSING = "missing"  # history row without a file
    OUT_OF_ORDER = "out-of-order"  # pending, but older than the newest applied file
    IGNORED = "ignored"  # a parked file (`_name.sql` or an `ignore` glob): never applied


@dataclass(frozen=True)
class MigrationState:
    name: str
    state: State
    file: MigrationFile | None
    applied: AppliedMigration | None
    duplicate_version: bool = False

    @property
    def verified(self) -> bool:
        """False when the row came from a tool that records no checksum."""
        return self.applied is None or self.applied.checksum is not None

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "state": self.state.value,
            "version": self.file.version_text if self.file else None,
            "applied_at": self.applied.applied_at if self.applied else None,
            "duration_ms": self.applied.duration_ms if self.applied else None,
            "checksum": self.file.checksum if self.file else None,
            "recorded_checksum": self.applied.checksum if self.applied else None,
            "verified": self.verified,
            "source": self.applied.source if self.applied else None,
            "duplicate_version": self.duplicate_version,
        }


def compute_states(files: list[MigrationFile], applied: list[AppliedMigration],
                   parked: Sequence[str] = ()) -> list[MigrationState]:
    """Every file and every history row, in file order; missing rows last in history order.

    `parked` names files that are never applied (`dbtool.migrations.files.is_parked`):
    each is listed as ignored, after the rest, with its history row if one exists
    (then it is not missing either)."""
    by_name = {row.name: row for row in applied}
    versions = Counter(f.version.number for f in files)
    applied_files = [f for f in files if f.name in by_name]
    newest = max((f.version for f in applied_files), default=None)
    states = []
    for file in files:
        row = by_name.get(file.name)
        dup = versions[file.version.number] > 1
        if row is None:
            out = newest is not None and file.version < newest
            state = State.OUT_OF_ORDER if out else State.PENDING
        elif row.checksum is not None and row.checksum != file.checksum:
            state = State.MODIFIED
        else:
            state = State.APPLIED
        states.append(MigrationState(file.name, state, file, row, dup))
    names = {f.name for f in files} | set(parked)
    states += [MigrationState(r.name, State.MISSING, None, r) for r in applied if r.name not in names]
    states += [MigrationState(name, State.IGNORED, None, by_name.get(name)) for name in parked]
    return states


def summarise(states: list[MigrationState]) -> dict[str, int]:
    counts = Counter(s.state.value for s in states)
    return {state.value: counts.get(state.value, 0) for state in State}
