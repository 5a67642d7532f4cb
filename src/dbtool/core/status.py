"""`status`: every migration's state against one database, without writing."""

from __future__ import annotations

from dbtool.core.foreign_history import history_with_foreign
from dbtool.core.results.status import ServiceStatus
from dbtool.core.targets import ResolvedTarget, TargetSpec, Use, resolve_targets
from dbtool.engines import open_engine
from dbtool.migrations.files import MigrationFile, discover, parked_names
from dbtool.migrations.history import compute_states

__all__ = ["ServiceStatus", "status", "status_target"]


def status_target(target: ResolvedTarget, lock_timeout: float = 30.0, *,
                  prepared: tuple[list[MigrationFile], str] | None = None) -> ServiceStatus:
    """`prepared`: the service's files and naming scheme, read once for a whole fleet."""
    service = target.service
    where = (service.name, target.url.display if target.url else "", target.label)
    if target.skipped or target.url is None:
        return ServiceStatus(*where, skip_reason=target.skip_reason)
    files, scheme = prepared or discover(service.migrations, service.naming, service.ignore)
    engine = open_engine(target.url, service.dialect, history_table=service.history_table,
                         history_schema=service.history_schema, lock_timeout=lock_timeout)
    try:
        exists = engine.exists()
        states = compute_states(files, history_with_foreign(engine, files),
                                parked_names(service.migrations, service.ignore))
    finally:
        engine.close()
    return ServiceStatus(*where, scheme, tuple(states), exists=exists)


def status(spec: TargetSpec) -> list[ServiceStatus]:
    """Status of every selected service; never writes to any database."""
    resolution = resolve_targets(spec, Use.DATABASE)
    return [status_target(t, resolution.lock_timeout) for t in resolution.targets]
