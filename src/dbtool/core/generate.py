"""`diff`: write the next migration from the declared schema, proven before it is written.

Current state: a scratch database built from the service's migrations (as
`check` builds it). Desired state: the service's snapshot. The planner
(`dbtool.plan`) turns the typed changes between them into operations and SQL;
then, before anything is written, the new file(s) are applied to that same
scratch database and the result is diffed against the snapshot again. Any
residual difference, a failed statement, or a lint error refuses the write.

`diff_urls` compares two live databases instead and only prints the SQL.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbtool.config import Project, Service
from dbtool.core.migration_text import FileText, build_text, lint_reason
from dbtool.core.results.generate import DiffResult, DiffStatus, GeneratedFile
from dbtool.errors import ConfigError, ConnectionFailed, DbtoolError, UsageError

if TYPE_CHECKING:
    from dbtool.core.targets import TargetSpec

MAX_LINT_ROUNDS = 3


@dataclass
class _FileDraft:
    """A generated file while lint may still add its lint-ignores (the text changes)."""

    name: str
    path: str
    transactional: bool
    text: str
    operations: list[Any]  # dbtool.plan.ops.Op
    statements: list[str]

    def frozen(self) -> GeneratedFile:
        return GeneratedFile(self.name, self.path, self.transactional, self.text,
                             tuple(self.operations), tuple(self.statements))


@dataclass
class _Diffing:
    """What `diff` found so far; `result()` is the frozen `DiffResult` it returns."""

    service: str
    dialect: str
    source: str
    status: DiffStatus = DiffStatus.NOTHING
    changes: list[Any] = field(default_factory=list)  # dbtool.diff.Change
    files: list[_FileDraft] = field(default_factory=list)
    refusals: list[Any] = field(default_factory=list)  # dbtool.plan.Refusal
    notices: list[str] = field(default_factory=list)
    residue: list[Any] = field(default_factory=list)  # dbtool.diff.Change left after the proof
    lint: list[Any] = field(default_factory=list)  # dbtool.lint Diagnostic (active errors)
    not_compared: list[Any] = field(default_factory=list)  # dbtool.model.NotCompared of the build
    marked: list[str] = field(default_factory=list)  # files recorded as applied (--mark-applied)
    target: str = ""  # the live database (--to live), masked

    def result(self) -> DiffResult:
        return DiffResult(self.service, self.dialect, self.source, self.status, tuple(self.changes),
                          tuple(f.frozen() for f in self.files), tuple(self.refusals),
                          tuple(self.notices), tuple(self.residue), tuple(self.lint),
                          tuple(self.not_compared), tuple(self.marked), self.target)


@dataclass
class Draft:
    """The rendered plan while it is being proven: files, their names and labels."""

    rendered: list[Any]  # dbtool.plan.RenderedFile
    names: list[tuple[str, str]]  # (file name, label)
    texts: list[FileText]
    now: datetime


@dataclass(frozen=True)
class DiffRequest:
    """`to`: None (the snapshot, or the service's `declared` folder), "live" or "sql:DIR"."""

    label: str
    options: Any  # dbtool.plan.PlanOptions
    dry_run: bool = False
    now: datetime | None = None
    to: str | None = None
    mark_applied: bool = False


# -- a service: scratch build vs snapshot ------------------------------------------------


def diff(spec: TargetSpec, request: DiffRequest) -> DiffResult:
    """The next migration of the one service `spec` (a dbtool.core.targets.TargetSpec)
    names — ad hoc: the `--dir` folder against its `--snapshot`. With `--to live` the
    service's database is resolved like any command's (`--target`, `--url`, default)."""
    from dbtool.core.targets import Use, resolve_targets

    if request.mark_applied and request.to != "live":
        raise UsageError("--mark-applied goes with --to live",
                         hint="dbtool diff SERVICE NAME --to live --mark-applied")
    if request.to == "live":
        resolution = resolve_targets(spec, Use.DATABASE)
        target = resolution.one
        if target.skipped or target.url is None:
            raise ConfigError(f"{target.service.name}: {target.skip_reason}",
                              hint="name the live database with --target T or --url U")
        return diff_service(target.service, resolution.project, request, live=target.url)
    if spec.target or spec.url:
        raise UsageError("--target and --url name the live database of --to live",
                         hint="dbtool diff SERVICE NAME --to live --target prod")
    resolution = resolve_targets(spec, Use.SCRATCH)
    return diff_service(resolution.one.service, resolution.project, request)


def diff_service(service: Service, project: Project | None, request: DiffRequest,
                 live: Any = None) -> DiffResult:
    from dbtool.core.desired import DesiredSource

    if not request.label.strip():
        raise UsageError("the migration needs a name", hint='e.g. dbtool diff api "add user plan"')
    root = project.root if project is not None else Path(".")
    source = DesiredSource.parse(request.to, root)
    if source.kind == "snapshot" and service.declared is not None:
        source = DesiredSource("sql", service.declared)
    if source.kind == "live":
        _live_history(service, live, request)
    result = _Diffing(service.name, service.dialect, _source_label(source, service, project, live))
    result.target = live.display if live is not None else ""
    _diff_into(result, service, project, request, source, live)
    if result.refusals:
        result.status = DiffStatus.REFUSED
        return result.result()
    if not result.files:
        return result.result()
    if not request.dry_run:
        _write(service, result)
        if request.mark_applied:
            from dbtool.core.capture import record_applied

            names = [f.name for f in result.files]
            record_applied(service, live, names, project.lock_timeout if project else 30.0)
            result.marked = names
    result.status = DiffStatus.DRY_RUN if request.dry_run else DiffStatus.WRITTEN
    return result.result()


def _live_history(service: Service, live: Any, request: DiffRequest) -> None:
    """The captured file is the difference from *every* migration: with --mark-applied the
    live database must have them all applied, else recording the file would lie."""
    from dbtool.core.capture import unapplied

    missing = unapplied(service, live) if request.mark_applied else []
    if missing:
        raise UsageError(f"{service.name}: the live database has not applied {missing[0]}"
                         + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
                         hint=f"run `dbtool migrate {service.name}` there first (or drop --mark-applied)")


def _source_label(source: Any, service: Service, project: Project | None, live: Any) -> str:
    if source.kind == "live":
        return f"the live database {live.display}"
    if source.kind == "sql":
        return f"the SQL in {_shown(source.folder, project)}"
    if service.snapshot is None or not service.snapshot.exists():
        raise ConfigError(f"service {service.name} has no snapshot at {service.snapshot}",
                          hint=f"write it with `dbtool snapshot {service.name}`, then edit it")
    return _shown(service.snapshot, project)


def _diff_into(result: DiffResult, service: Service, project: Project | None, request: DiffRequest,
               source: Any, live: Any) -> None:
    """Plan, render and prove the change from the migrations' build to the desired schema."""
    from dbtool import snapshot
    from dbtool.core import desired as desired_state
    from dbtool.core.schema_ops import inspect_url
    from dbtool.core.scratch import built_scratch

    inspected = source.kind != "snapshot"  # the desired schema was read from a database
    with built_scratch(service, project) as (url, _run):
        current = inspect_url(service, url)
        result.not_compared = list(current.not_compared)
        if source.kind == "live":
            desired = desired_state.without_prelude(desired_state.live_schema(live, service), current,
                                                    desired_state.prelude_schema(service, project))
        elif source.kind == "sql":
            desired = desired_state.declared_schema(service, project, source.folder)
        else:
            desired = snapshot.load(service.snapshot).schema
        options = replace(request.options, desired=result.source) if inspected else request.options
        draft = _plan_and_render(result, current, desired, replace(request, options=options), service)
        if draft is None:
            if inspected and result.status == "nothing":
                _uncompared(result, desired, current)
            return
        _prove(result, service, url, draft, desired, inspected=inspected)


def _uncompared(result: DiffResult, desired: Any, actual: Any) -> None:
    """Kinds the model does not hold (rules, domains …) counted differently: the file
    cannot carry them, so nothing claims the two schemas equal."""
    from dbtool.diff import diff_uncompared
    from dbtool.plan import Refusal

    for change in diff_uncompared(desired, actual):
        result.residue.append(change)
    if result.residue:
        result.refusals.append(Refusal(
            "uncompared", f"{result.source} holds objects the schema model does not hold, in other "
            f"numbers than the migrations ({result.residue[0].describe()})",
            "write that part by hand (`dbtool new`); dbtool diff cannot capture it"))


def _shown(path: Path, project: Project | None) -> str:
    """A path as the user reads it: relative to the project when it lies below it."""
    if project is not None:
        try:
            return path.resolve().relative_to(project.root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def _plan_and_render(result: _Diffing, current: Any, desired: Any, request: DiffRequest,
                     service: Service) -> Draft | None:
    from dbtool.migrations.files import discover
    from dbtool.migrations.naming import next_name
    from dbtool.plan import make_plan, render_plan

    planned = make_plan(current, desired, request.options, service.dialect)
    result.changes, result.notices = planned.changes, planned.plan.notices
    if planned.plan.refusals:
        result.refusals, result.status = list(planned.plan.refusals), DiffStatus.REFUSED
        return None
    if planned.plan.empty:
        result.status = DiffStatus.NOTHING
        return None
    existing, scheme = discover(service.migrations, service.naming)
    names = [f.name for f in existing]
    now = request.now or datetime.now(UTC)
    draft = Draft(render_plan(planned), [], [], now)
    for rendered in draft.rendered:
        label = f"{request.label} {rendered.plan.part}".strip()
        name = next_name(names, label, scheme, now)
        names.append(name)
        draft.names.append((name, label))
    draft.texts = _texts(result, draft)
    result.files = [_FileDraft(t.name, str(service.migrations / t.name), t.transactional, t.text,
                                  list(r.plan.operations), [s.sql for s in r.statements])
                    for t, r in zip(draft.texts, draft.rendered, strict=True)]
    return draft


def _texts(result: _Diffing, draft: Draft) -> list[FileText]:
    return [build_text(name, label, result.source, rendered, result.changes, draft.now)
            for (name, label), rendered in zip(draft.names, draft.rendered, strict=True)]


# -- the proof -----------------------------------------------------------------------------


def _prove(result: _Diffing, service: Service, url: Any, draft: Draft, desired: Any, *,
           inspected: bool = False) -> None:
    """Lint the new files (adding the lint-ignores their operations justify), apply them to
    the scratch database that holds the current state, and diff the result again."""
    from dbtool.plan import Refusal

    with tempfile.TemporaryDirectory(prefix="dbtool-diff-") as folder:
        copy = Path(folder) / "migrations"
        shutil.copytree(service.migrations, copy)
        trial = replace(service, migrations=copy)
        _lint_until_clean(result, trial, draft)
        if result.lint:
            result.refusals.append(Refusal("lint", f"the generated file(s) fail lint: "
                                           f"{result.lint[0].code} {result.lint[0].message}",
                                           "see `lint` in the JSON output; please report this"))
            return
        try:
            actual = _apply(trial, url)
        except DbtoolError as exc:
            result.refusals.append(Refusal("failed", f"the generated SQL failed on a scratch "
                                           f"database: {exc.one_line()}", "please report this"))
            return
    from dbtool.diff import diff

    result.residue = diff(desired, actual)
    if inspected and not result.residue:
        _uncompared(result, desired, actual)
        if result.refusals:
            return
    if result.residue:
        first = result.residue[0].describe()
        result.refusals.append(Refusal(
            "residue", f"after the generated SQL the database still differs from {result.source} "
            f"({len(result.residue)} difference(s), first: {first})",
            "nothing was written; the snapshot may spell a type or expression differently from "
            "the engine (write it as the engine reports it)"))


def _apply(service: Service, url: Any) -> Any:
    from dbtool.core.migrate import MigrateOptions, migrate_target
    from dbtool.core.schema_ops import inspect_url
    from dbtool.core.targets import ResolvedTarget

    migrate_target(ResolvedTarget(service, url, "scratch"), MigrateOptions(lock_timeout=30.0))
    return inspect_url(service, url)


def _lint_until_clean(result: _Diffing, trial: Service, draft: Draft) -> None:
    """Write the files into the trial folder and lint them; a finding an operation cannot
    avoid gets its lint-ignore with the reason, and the files are written again."""
    from dbtool.lint import LintConfig, lint_files
    from dbtool.migrations.files import discover

    config = LintConfig.for_service(trial)
    for attempt in range(MAX_LINT_ROUNDS + 1):  # the last round only lints what is written
        for text in draft.texts:
            (trial.migrations / text.name).write_text(text.text, encoding="utf-8", newline="\n")
        files, _ = discover(trial.migrations, trial.naming)
        report = lint_files(files, trial.dialect, config, selected=[t.name for t in draft.texts],
                            name=trial.name)
        active = [d for d in report.active if d.severity.value in ("error", "warning")]
        if attempt == MAX_LINT_ROUNDS or not _add_ignores(draft, active):
            break
        draft.texts = _texts(result, draft)
    result.lint = [d for d in report.active if d.severity.value == "error"]
    for generated, text in zip(result.files, draft.texts, strict=True):
        generated.text = text.text


def _add_ignores(draft: Draft, diagnostics: list[Any]) -> bool:
    added = False
    by_name = {t.name: (i, t) for i, t in enumerate(draft.texts)}
    for diagnostic in diagnostics:
        found = by_name.get(Path(str(diagnostic.location.path)).name)
        if found is None:
            continue
        index, text = found
        statement = text.statement_at(diagnostic.location.line)
        if statement is None:
            continue
        rendered = draft.rendered[index].statements[statement]
        op = draft.rendered[index].plan.operations[rendered.operation]
        reason = lint_reason(op, diagnostic.code)
        if reason and (diagnostic.code, reason) not in rendered.ignores:
            rendered.ignores.append((diagnostic.code, reason))
            added = True
    return added


def _write(service: Service, result: _Diffing) -> None:
    for generated in result.files:
        path = service.migrations / generated.name
        try:
            with path.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(generated.text)
        except FileExistsError as exc:
            raise UsageError(f"{path} already exists", hint="dbtool diff never overwrites a file") from exc


# -- two databases ----------------------------------------------------------------------------


def _inspect_both(probe: Service, a: Any, b: Any) -> tuple[Any, Any]:
    """Both schemas at once: `b` in a forked process (building a 1,000-table model is
    CPU work, and a thread would share one core with it), `a` here, and meanwhile the
    renderer's libraries load in a thread. Without fork, one after the other."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    from dbtool.core.schema_ops import inspect_url

    if "fork" not in multiprocessing.get_all_start_methods():
        return inspect_url(probe, a), inspect_url(probe, b)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as procs:
        remote = procs.submit(_inspect_in_child, probe, b.raw)  # forked before any thread starts
        with ThreadPoolExecutor(1) as threads:
            threads.submit(_warm_renderer, probe.dialect)
            current = inspect_url(probe, a)
        outcome = remote.result()
    if isinstance(outcome, tuple):  # an error in the child, as (class, message, hint)
        kind, message, hint = outcome
        try:
            raise kind(message, hint=hint)
        except TypeError:
            raise ConnectionFailed(message, hint=hint) from None
    return current, outcome


def _inspect_in_child(probe: Service, url: str) -> Any:
    from dbtool.core.schema_ops import inspect_url
    from dbtool.urls import parse_url

    try:
        return inspect_url(probe, parse_url(url))
    except DbtoolError as exc:
        return (type(exc), exc.message, exc.hint)


def _warm_renderer(dialect: str) -> None:
    """Import SQLAlchemy and Alembic (a third of a second) while the catalogs are read."""
    import importlib

    from dbtool.plan import DIALECTS

    for path in DIALECTS[dialect]:
        importlib.import_module(path.partition(":")[0])
    importlib.import_module("alembic.operations")


def diff_urls(source: str, target: str, dialect: str | None, options: Any) -> DiffResult:
    """The SQL that turns the database at `source` into the one at `target` (like migra)."""
    from dbtool.engines import capabilities
    from dbtool.plan import make_plan, render_plan
    from dbtool.urls import parse_url

    options = replace(options, desired="the --to database")
    a, b = parse_url(source), parse_url(target)
    dialect = dialect or a.dialect
    if capabilities(dialect).family != capabilities(b.dialect).family:
        raise UsageError(f"--from is {a.dialect} and --to is {b.dialect}",
                         hint="compare two databases of the same engine")
    current, desired = _inspect_both(Service(name="diff", dialect=dialect, migrations=Path(".")), a, b)
    result = _Diffing("", dialect, b.display)
    planned = make_plan(current, desired, options, dialect)
    result.changes, result.notices = list(planned.changes), list(planned.plan.notices)
    result.refusals = list(planned.plan.refusals)
    if result.refusals:
        result.status = DiffStatus.REFUSED
        return result.result()
    if planned.plan.empty:
        return result.result()
    for n, rendered in enumerate(render_plan(planned), 1):
        name = f"file {n}" + ("" if rendered.plan.transactional else " (outside a transaction)")
        result.files.append(_FileDraft(name, "", rendered.plan.transactional, "",
                                       list(rendered.plan.operations),
                                       [s.sql for s in rendered.statements]))
    result.status = DiffStatus.PRINTED
    return result.result()
