"""What `status` returns: one `ServiceStatus` per service."""

from __future__ import annotations

from dataclasses import dataclass

from dbtool.migrations.history import MigrationState, State, summarise


# -- status ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServiceStatus:
    """Every migration's state against one service's database (`status`)."""

    service: str
    target: str
    label: str
    scheme: str = ""  # the naming scheme: sequential | timestamp
    states: tuple[MigrationState, ...] = ()
    skip_reason: str | None = None
    exists: bool = True  # False: the database was not created yet

    @property
    def counts(self) -> dict[str, int]:
        return summarise(list(self.states))

    @property
    def needs_attention(self) -> bool:
        """Anything pending, modified, missing or out of order — or applied by another tool
        (Supabase, dbmate) and not adopted yet, which `migrate` refuses."""
        return any(s.state not in (State.APPLIED, State.IGNORED) or _unadopted(s) for s in self.states)

    def to_dict(self) -> dict[str, object]:
        return {
            "service": self.service, "target": self.target, "label": self.label,
            "naming": self.scheme, "skip_reason": self.skip_reason, "database_exists": self.exists,
            "counts": self.counts, "migrations": [s.to_dict() for s in self.states],
        }


def _unadopted(state: MigrationState) -> bool:
    row = state.applied
    return row is not None and row.checksum is None and row.source in ("supabase", "dbmate")
