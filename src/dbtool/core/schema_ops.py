"""snapshot / audit / check: the drift machinery over the schema model.

Each service is built on a scratch database (or read from a live target),
inspected into the model, and compared with its snapshot as typed changes.
Nothing compares SQL text; everything goes through `dbtool.diff`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from dbtool.config import Project, Service
from dbtool.core.migrate import migrate_target
from dbtool.core.results.schema import (
    AuditResult,
    HistoryProblem,
    SnapshotResult,
    SnapshotStatus,
    change_dict,
)
from dbtool.core.scratch import ScratchUnavailable, built_scratch
from dbtool.core.targets import ResolvedTarget, TargetSpec, Use, resolve_targets
from dbtool.engines import CAPABILITIES, capabilities, open_engine
from dbtool.errors import ConfigError, UsageError
from dbtool.migrations.files import discover, parked_names
from dbtool.migrations.history import State, compute_states
from dbtool.urls import DatabaseUrl

if TYPE_CHECKING:
    from dbtool.core.security import SecurityFinding
    from dbtool.engines.pg_own_tables import OwnObject
    from dbtool.model import Schema


def inspect_url(service: Service, url: DatabaseUrl) -> Schema:
    engine = open_engine(url, service.dialect, history_table=service.history_table,
                         history_schema=service.history_schema)
    try:
        return engine.inspect(service.schemas)
    finally:
        engine.close()


def build_and_inspect(service: Service, project: Project | None) -> Schema:
    """The schema the migrations produce, read from a scratch database."""
    with built_scratch(service, project) as (url, _run):
        return inspect_url(service, url)


def _snapshot_path(service: Service) -> Path:
    if service.snapshot is None:
        raise ConfigError(f"service {service.name!r} has no snapshot path",
                          hint="add snapshot = \"schemas/NAME.yaml\" to dbtool.toml")
    return service.snapshot


# -- snapshot --------------------------------------------------------------------
def snapshot_service(service: Service, project: Project | None, *, check_only: bool = False
                     ) -> SnapshotResult:
    """(Re)write the service's snapshot from its migrations, keeping annotations."""
    from dbtool import snapshot

    path = _snapshot_path(service)
    try:
        schema = build_and_inspect(service, project)
    except ScratchUnavailable as exc:
        return SnapshotResult(service.name, str(path), SnapshotStatus.SKIPPED, skip_reason=exc.one_line())
    old = snapshot.load(path).annotations if path.exists() else {}
    text, orphans = snapshot.render(snapshot.Snapshot(service.name, service.dialect, schema), old)
    lost = tuple(".".join(p) for p in orphans)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return SnapshotResult(service.name, str(path), SnapshotStatus.UNCHANGED, lost)
    if not check_only:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return SnapshotResult(service.name, str(path),
                          SnapshotStatus.STALE if check_only else SnapshotStatus.WRITTEN, lost)


def snapshot(spec: TargetSpec) -> list[SnapshotResult]:
    """(Re)write each service's snapshot; ad hoc (`--dir`) the file `--snapshot` names."""
    if spec.adhoc and spec.snapshot is None:
        raise UsageError("snapshot --dir DIR needs --snapshot PATH, the schema file to write",
                         hint="e.g. dbtool snapshot --dir migrations --dialect sqlite --snapshot "
                              "schemas/app.yaml")
    resolution = resolve_targets(spec, Use.SCRATCH)
    return [snapshot_service(t.service, resolution.project) for t in resolution.targets]


# -- audit -----------------------------------------------------------------------
def _read_live(service: Service, url: DatabaseUrl
               ) -> tuple[Schema, tuple[HistoryProblem, ...], list[OwnObject]]:
    """Schema, history problems and dbtool's own tables' grants from ONE snapshot of the
    live database, so a concurrent migrate cannot commit between the reads (a torn report)."""
    files, _ = discover(service.migrations, service.naming, service.ignore)
    engine = open_engine(url, service.dialect, history_table=service.history_table,
                         history_schema=service.history_schema)
    try:
        with engine.read_view():
            schema = engine.inspect(service.schemas)
            applied = engine.history()
            own = engine.own_objects()
    finally:
        engine.close()
    states = compute_states(files, applied, parked_names(service.migrations, service.ignore))
    return schema, tuple(HistoryProblem(s.name, s.state) for s in states
                         if s.state not in (State.APPLIED, State.IGNORED)), own


def _build_for_audit(service: Service, project: Project | None) -> tuple[Schema, list[OwnObject]]:
    """The scratch build's schema and dbtool's own tables on it (created by that build)."""
    with built_scratch(service, project) as (url, _run):
        engine = open_engine(url, service.dialect, history_table=service.history_table,
                             history_schema=service.history_schema)
        try:
            with engine.read_view():
                return engine.inspect(service.schemas), engine.own_objects()
        finally:
            engine.close()


def _security(service: Service, schema: Schema, own: list[OwnObject]) -> list[SecurityFinding]:
    if not capabilities(service.dialect).roles:
        return []
    from dbtool.core.security import audit_security

    return audit_security(schema, schemas=service.schemas, exposed=service.exposed_schemas,
                          own_objects=own)


def audit_target(target: ResolvedTarget, project: Project | None, live: bool) -> AuditResult:
    from dbtool import diff, snapshot

    service = target.service
    path = _snapshot_path(service)
    source = target.url.display if live and target.url else "scratch"
    empty = AuditResult(service.name, source, str(path), migrations=str(service.migrations))
    if live and (target.skipped or target.url is None):
        return replace(empty, skip_reason=target.skip_reason)
    declared = snapshot.load(path)
    if live:
        _same_family(path, declared.dialect, service.dialect)
    history: tuple[HistoryProblem, ...] = ()
    try:
        if live and target.url is not None:
            actual, history, own = _read_live(service, target.url)
        else:
            actual, own = _build_for_audit(service, project)
    except ScratchUnavailable as exc:
        return replace(empty, skip_reason=exc.one_line())
    return replace(empty, changes=tuple(diff.diff(declared.schema, actual)), history=history,
                   security=tuple(_security(service, actual, own)),
                   not_compared=tuple(actual.not_compared))


def audit(spec: TargetSpec, *, snapshot: Path | None = None) -> list[AuditResult]:
    """Compare each service's database (live target, else scratch) with its snapshot.

    Ad hoc (`--dir DIR`, with `--url URL` for a live database) there is no configured
    snapshot: `--snapshot` names the file to compare with (required there, refused elsewhere)."""
    spec = replace(spec, snapshot=snapshot) if snapshot is not None else spec
    if spec.adhoc and spec.snapshot is None:
        raise UsageError("audit --dir DIR --url URL needs --snapshot PATH, the schema file to "
                         "compare the database with",
                         hint="pass --snapshot schemas/NAME.yaml (a file `dbtool snapshot` wrote), "
                              "or audit a service configured in dbtool.toml")
    if not spec.adhoc and spec.snapshot is not None:
        raise UsageError("--snapshot is for ad-hoc audits (--dir DIR --url URL)",
                         hint="a configured service compares with its own snapshot (snapshot = … "
                              "in dbtool.toml)")
    resolution = resolve_targets(spec, Use.EITHER)
    return [audit_target(t, resolution.project, not t.scratch) for t in resolution.targets]


def _same_family(path: Path, declared: str, dialect: str) -> None:
    """A snapshot of a Postgres schema cannot describe a SQLite database, or the reverse."""
    if declared in CAPABILITIES and CAPABILITIES[declared].family != capabilities(dialect).family:
        raise UsageError(f"snapshot {path} describes a {declared} schema, but the database is {dialect}",
                         hint="compare it with a database of the same engine")


__all__ = ["AuditResult", "SnapshotResult", "audit", "audit_target", "build_and_inspect",
           "change_dict", "inspect_url", "migrate_target", "snapshot", "snapshot_service"]
