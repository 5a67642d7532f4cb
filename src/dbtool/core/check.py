"""`check`: the CI entry point. Every service: names and order valid, every
migration applies to a scratch database, the result equals the snapshot, and
no lint errors. One summary, one exit code.

A failure in one service is recorded and the next service still runs, so one
CI run shows every problem. A service that could not be built (no scratch
server) was not checked: it fails the report unless skips are allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from dbtool.config import Project, Service
from dbtool.core.results.check import CheckFinding, CheckReport, CheckStep, ServiceCheck, StepResult
from dbtool.core.scratch import ScratchUnavailable, built_scratch
from dbtool.core.targets import TargetSpec, Use, resolve_targets
from dbtool.errors import DbtoolError, ExitCode, SourceLocation, UsageError
from dbtool.migrations.files import discover

if TYPE_CHECKING:
    from dbtool.diff import Change
    from dbtool.lint.framework import Diagnostic
    from dbtool.model import Schema

__all__ = ["CheckFinding", "CheckReport", "CheckStep", "ServiceCheck", "StepResult", "check",
           "check_service"]


@dataclass
class _Checking:
    """One service's check while its steps run; `result()` is what `check` reports."""

    service: Service
    steps: dict[CheckStep, StepResult] = field(default_factory=dict)
    errors: list[CheckFinding] = field(default_factory=list)
    cautions: list[CheckFinding] = field(default_factory=list)
    skip_reason: str | None = None
    unreachable: bool = False
    files: int = 0
    built: Schema | None = None  # the scratch build's schema, for the docs step

    def result(self) -> ServiceCheck:
        return ServiceCheck(self.service.name, self.service.dialect, MappingProxyType(dict(self.steps)),
                            tuple(self.errors), tuple(self.cautions), self.skip_reason,
                            self.unreachable, self.files)


Step = Callable[[Project | None, _Checking], None]


def _files(project: Project | None, run: _Checking) -> None:
    service = run.service
    files, _ = discover(service.migrations, service.naming, service.ignore)
    run.files = len(files)


def _build_and_compare(project: Project | None, run: _Checking) -> None:
    from dbtool import diff, snapshot
    from dbtool.core.schema_ops import inspect_url

    service = run.service
    try:
        with built_scratch(service, project) as (url, _run):
            run.steps[CheckStep.APPLY] = StepResult.OK
            actual = run.built = inspect_url(service, url)
    except ScratchUnavailable as exc:
        run.steps[CheckStep.APPLY] = run.steps[CheckStep.SNAPSHOT] = StepResult.SKIPPED
        run.skip_reason = exc.one_line()
        return
    declared = _declared_drift(service, project, actual)
    run.errors += declared
    if service.snapshot is None or not service.snapshot.exists():
        run.steps[CheckStep.SNAPSHOT] = StepResult.FAIL
        fix = f"run `dbtool snapshot {service.name}`"
        run.errors.append(CheckFinding(f"no snapshot at {service.snapshot} — {fix}", "snapshot",
                                       f"no snapshot at {service.snapshot}", None, fix))
        return
    changes = diff.diff(snapshot.load(service.snapshot).schema, actual)
    run.steps[CheckStep.SNAPSHOT] = StepResult.FAIL if changes or declared else StepResult.OK
    run.errors += _drift(service, changes)


def _declared_drift(service: Service, project: Project | None, actual: Schema) -> list[CheckFinding]:
    """`declared = "DIR"`: the migrations must build what the folder's SQL declares (the
    snapshot is then the reviewable YAML of it, still compared below)."""
    if service.declared is None:
        return []
    from dbtool import diff
    from dbtool.core.desired import declared_schema

    folder = service.declared
    shown = folder.relative_to(project.root).as_posix() if project and folder.is_relative_to(project.root) else str(folder)
    fix = (f"if the declared SQL is right, write the migration with `dbtool diff {service.name} NAME`; "
           f"if the migrations are right, change the SQL in {shown}")
    changes = diff.diff(declared_schema(service, project, folder), actual)
    return [CheckFinding(f"declared {shown}: {c.describe()}", "drift", c.describe(),
                         SourceLocation(folder, None), fix, change=c) for c in changes]


def _drift(service: Service, changes: list[Change]) -> list[CheckFinding]:
    """One finding per change, located in the snapshot; the fix is each one's hint."""
    from dbtool.report.annotations import SnapshotLines

    path = service.snapshot
    if not changes or path is None:
        return []
    lines = SnapshotLines(path)
    fix = (f"if the snapshot is right, write the migration with `dbtool diff {service.name} NAME`; "
           f"if the migrations are right, rewrite it with `dbtool snapshot {service.name}`")
    return [CheckFinding(f"snapshot {path.name}: {c.describe()}", "drift", c.describe(),
                         SourceLocation(path, lines.change(c)), fix, change=c) for c in changes]


def _lint(project: Project | None, run: _Checking) -> None:
    from dbtool.lint.service import lint_service

    report = lint_service(run.service)
    errors = [d for d in report.diagnostics if d.severity.value == "error" and not d.suppressed]
    warnings = [d for d in report.diagnostics if d.severity.value == "warning" and not d.suppressed]
    run.errors += [_lint_finding(d) for d in errors]
    run.cautions += [_lint_finding(d) for d in warnings]
    run.steps[CheckStep.LINT] = (StepResult.FAIL if errors else
                                 StepResult.WARN if warnings else StepResult.OK)


def _lint_finding(d: Diagnostic) -> CheckFinding:
    return CheckFinding(f"lint {d.code} {d.location}: {d.message}", d.code, d.message, d.location,
                        d.help, diagnostic=d)


def _docs(project: Project | None, run: _Checking) -> None:
    """A committed docs/schema/<service>.md must equal `introspect --format markdown` now."""
    from dbtool.core.introspect import docs_path, docs_status

    service = run.service
    try:
        state, problem = docs_status(service, project, schema=run.built)
    except ScratchUnavailable:
        state, problem = "skipped", None
    run.steps[CheckStep.DOCS] = {"ok": StepResult.OK, "stale": StepResult.FAIL}.get(
        state, StepResult.SKIPPED)
    if problem:
        what, _, fix = problem.partition(" — ")
        run.errors.append(CheckFinding(problem, "docs", what, SourceLocation(docs_path(service), 1),
                                       fix or None))


# (step, the step a failure is reported under): a build failure is the apply step's
STEPS: tuple[tuple[CheckStep, Step], ...] = (
    (CheckStep.FILES, _files), (CheckStep.APPLY, _build_and_compare), (CheckStep.LINT, _lint),
    (CheckStep.DOCS, _docs))
_NEEDED = (CheckStep.FILES, CheckStep.APPLY)  # later steps need these


def check_service(service: Service, project: Project | None,
                  steps: tuple[tuple[CheckStep, Step], ...] = STEPS) -> ServiceCheck:
    run = _Checking(service)
    for name, step in steps:
        try:
            step(project, run)
            if name is not CheckStep.APPLY:  # the build step records apply and snapshot itself
                run.steps.setdefault(name, StepResult.OK)
        except DbtoolError as exc:
            run.steps[name] = StepResult.FAIL
            run.errors.append(CheckFinding.of_error(exc))
            run.unreachable = run.unreachable or exc.exit_code == ExitCode.UNREACHABLE
            if name in _NEEDED:
                break
    return run.result()


def check(spec: TargetSpec, *, allow_skip: bool = False) -> CheckReport:
    """Check every service (or the named ones; ad hoc the `--dir` folder against
    `--snapshot`). A skipped service fails the report unless `allow_skip`."""
    if spec.adhoc and spec.snapshot is None:
        raise UsageError("check --dir DIR needs --snapshot PATH, the schema file the migrations "
                         "must build", hint="e.g. dbtool check --dir migrations --dialect sqlite "
                                            "--snapshot schemas/app.yaml")
    if not (spec.adhoc or spec.services or spec.all):
        spec = replace(spec, all=True)
    resolution = resolve_targets(spec, Use.SCRATCH)
    steps = STEPS if not spec.adhoc else tuple(s for s in STEPS if s[0] is not CheckStep.DOCS)
    return CheckReport(tuple(check_service(t.service, resolution.project, steps)
                             for t in resolution.targets), allow_skip)
