"""`status`: every migration's state against one database, without writing."""

from __future__ import annotations

from dataclasses import dataclass, field

from dbtool.core.history_ops import history_with_foreign
from dbtool.core.targets import ResolvedTarget, TargetSpec, Use, resolve_targets
from dbtool.engines import open_engine
from dbtool.migrations.files import discover, parked_names
from dbtool.migrations.history import MigrationState, State, compute_states, summarise


@dataclass
class ServiceStatus:
    service: str
    target: str
    label: str
    scheme: str = ""
    states: list[MigrationState] = field(default_factory=list)
    skip_reason: str | None = None
    exists: bool = True

    @property
    def counts(self) -> dict[str, int]:
        return summarise(self.states)

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


def status_target(target: ResolvedTarget, lock_timeout: float = 30.0) -> ServiceStatus:
    service = target.service
    result = ServiceStatus(service.name, target.url.display if target.url else "", target.label)
    if target.skipped or target.url is None:
        result.skip_reason = target.skip_reason
        return result
    files, result.scheme = discover(service.migrations, service.naming, service.ignore)
    engine = open_engine(target.url, service.dialect, history_table=service.history_table,
                         history_schema=service.history_schema, lock_timeout=lock_timeout)
    try:
        result.exists = engine.exists()
        result.states = compute_states(files, history_with_foreign(engine, files),
                                       parked_names(service.migrations, service.ignore))
    finally:
        engine.close()
    return result


def status(spec: TargetSpec) -> list[ServiceStatus]:
    """Status of every selected service; never writes to any database."""
    resolution = resolve_targets(spec, Use.DATABASE)
    return [status_target(t, resolution.lock_timeout) for t in resolution.targets]


def _unadopted(state: MigrationState) -> bool:
    row = state.applied
    return row is not None and row.checksum is None and row.source in ("supabase", "dbmate")
