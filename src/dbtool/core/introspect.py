"""`introspect`: assemble the introspection report for one service.

The one core function the CLI calls. It does the I/O — builds a scratch
database from the migrations (or reads a live target), inspects it, reads the
snapshot's annotations and the migration files — and hands plain data to
`dbtool.report`, whose renderers are pure. `docs_status` serves `dbtool
check`: a committed docs/schema/<service>.md must equal what the Markdown
renderer produces now.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbtool.config import Project, Service, load_project
from dbtool.core.schema_ops import inspect_url
from dbtool.core.scratch import built_scratch
from dbtool.core.status import status_target
from dbtool.core.targets import ResolvedTarget, TargetSpec, Use, resolve_targets
from dbtool.errors import DbtoolError, UsageError
from dbtool.migrations.files import MigrationFile, discover, load
from dbtool.report.contents import analyse
from dbtool.report.data import IntrospectionReport, MigrationEntry, Source, restrict

if TYPE_CHECKING:
    from dbtool.model import Schema

DOCS_DIR = Path("docs") / "schema"


def introspect(spec: TargetSpec, *, tables: Sequence[str] = ()) -> IntrospectionReport:
    """The report of one service: from `--target/--url` when given (live; ad hoc
    `--dir DIR --url URL`), else from a scratch database built from its migrations."""
    project = None if spec.adhoc else load_project(spec.config)
    if project is not None and len(spec.services) != 1 and len(project.services) != 1:
        raise UsageError("introspect reports on one service: name it",
                         hint=f"services: {', '.join(s.name for s in project.services)}")
    resolution = resolve_targets(spec, Use.EITHER, project=project)
    target = resolution.one
    if target.scratch:
        report = scratch_report(target.service, resolution.project)
    else:
        report = _live_report(target, resolution.project)
    return restrict(report, tables)


def scratch_report(service: Service, project: Project | None, *,
                   schema: Schema | None = None) -> IntrospectionReport:
    """Built from the migrations: every file applied, in order, no timestamps
    (so the Markdown document is the same on every run). `schema`: a scratch build
    the caller already inspected (check builds once for the snapshot and the docs)."""
    if schema is None:
        with built_scratch(service, project) as (url, _run):
            schema = inspect_url(service, url)
    files, _ = discover(service.migrations, service.naming, service.ignore)
    entries = tuple(_entry(service, f.name, "applied", f) for f in files)
    source = Source("scratch", "scratch", None, _relative(service.migrations, service.root))
    return _report(service, source, schema, entries)


def _live_report(target: ResolvedTarget, project: Project | None) -> IntrospectionReport:
    service = target.service
    if target.skipped or target.url is None:
        raise UsageError(f"{service.name}: {target.skip_reason or 'no database URL'}",
                         hint="pass --url or --target, or omit both to build from the migrations")
    status = status_target(target, project.lock_timeout if project else 30.0)
    if not status.exists:
        raise UsageError(f"database {target.url.display} does not exist",
                         hint="check the URL, or run `dbtool migrate` first")
    schema = inspect_url(service, target.url)
    entries = tuple(
        _entry(service, s.name, s.state.value, s.file,
               applied_at=s.applied.applied_at if s.applied else None,
               checksum=s.applied.checksum if s.applied and s.applied.checksum else None)
        for s in status.states if s.state.value != "ignored")  # parked files are no migrations
    source = Source("target", target.label, target.url.display,
                    _relative(service.migrations, service.root))
    return _report(service, source, schema, entries)


def _entry(service: Service, name: str, state: str, file: MigrationFile | None, *,
           applied_at: str | None = None, checksum: str | None = None) -> MigrationEntry:
    """A history entry with what its file does; an unreadable file is reported, not fatal."""
    if file is None:
        return MigrationEntry(name, state, applied_at, checksum)
    try:
        statements = load(file, service.dialect).statements
    except DbtoolError as exc:
        return MigrationEntry(name, state, applied_at, checksum or file.checksum,
                              problem=exc.one_line())
    contents = analyse((s.sql for s in statements), service.dialect)
    return MigrationEntry(name, state, applied_at, checksum or file.checksum, contents)


def _report(service: Service, source: Source, schema: Schema,
            entries: tuple[MigrationEntry, ...]) -> IntrospectionReport:
    return IntrospectionReport(service.name, service.dialect, source, schema,
                               _annotations(service), entries)


def _annotations(service: Service) -> dict[tuple[str, ...], dict[str, Any]]:
    from dbtool import snapshot

    if service.snapshot is None or not service.snapshot.exists():
        return {}
    return snapshot.load(service.snapshot).annotations


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# -- docs/schema/<service>.md for `dbtool check` ----------------------------------------
def docs_path(service: Service) -> Path:
    return service.root / DOCS_DIR / f"{service.name}.md"


def docs_status(service: Service, project: Project | None, *,
                schema: Schema | None = None) -> tuple[str, str | None]:
    """("ok" | "missing" | "stale", problem line). Missing is not a failure: a
    project opts in by committing the file. Raises ScratchUnavailable (a skip)."""
    from dbtool.report.markdown import render_markdown

    path = docs_path(service)
    if not path.is_file():
        return "missing", None
    expected = render_markdown(scratch_report(service, project, schema=schema))
    if path.read_text(encoding="utf-8") == expected:
        return "ok", None
    rel = _relative(path, service.root)
    return "stale", (f"{rel} is stale: it differs from what the migrations produce — regenerate "
                     f"it with `dbtool introspect {service.name} --format markdown --output {rel}`")


__all__ = ["docs_path", "docs_status", "introspect", "scratch_report"]
