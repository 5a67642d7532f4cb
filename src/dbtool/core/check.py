"""`check`: the CI entry point. Every service: names and order valid, every
migration applies to a scratch database, the result equals the snapshot, and
no lint errors. One summary, one exit code.

A failure in one service is recorded and the next service still runs, so one
CI run shows every problem.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from dbtool.config import Project, Service
from dbtool.core.scratch import ScratchUnavailable, built_scratch
from dbtool.core.targets import TargetSpec, Use, resolve_targets
from dbtool.errors import DbtoolError, ExitCode, SourceLocation, UsageError
from dbtool.migrations.files import discover


@dataclass(frozen=True)
class CheckFinding:
    """One problem or warning: the line text output shows, and where it is for annotations."""

    text: str  # the one line of text/JSON output
    code: str  # lint code, drift, snapshot, docs, or the error's kind (migration-failed …)
    message: str
    location: SourceLocation | None = None
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        loc = self.location
        return {"code": self.code, "message": self.message, "hint": self.hint,
                "file": str(loc.path) if loc else None, "line": loc.line if loc else None,
                "col": loc.col if loc else None}

    @classmethod
    def of_error(cls, exc: DbtoolError) -> CheckFinding:
        return cls(exc.one_line(), exc.kind, exc.message, exc.location, exc.hint)


@dataclass
class ServiceCheck:
    service: str
    dialect: str
    steps: dict[str, str] = field(default_factory=dict)  # step -> ok | fail | skipped | warn
    errors: list[CheckFinding] = field(default_factory=list)
    cautions: list[CheckFinding] = field(default_factory=list)  # warnings: shown, never fail
    skip_reason: str | None = None
    unreachable: bool = False  # a database (the scratch server) could not be reached: exit 3
    files: int = 0
    # the scratch build's schema, handed from the build step to the docs step (not reported)
    built: Any = field(default=None, repr=False, compare=False)

    @property
    def problems(self) -> list[str]:
        """The error lines; the drift fix (each drift finding's hint) follows them once."""
        fixes = dict.fromkeys(f.hint for f in self.errors if f.code == "drift" and f.hint)
        return [f.text for f in self.errors] + list(fixes)

    @property
    def warnings(self) -> list[str]:
        return [f.text for f in self.cautions]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "dialect": self.dialect, "ok": self.ok, "files": self.files,
                "steps": self.steps, "problems": self.problems, "warnings": self.warnings,
                "skip_reason": self.skip_reason, "unreachable": self.unreachable,
                "findings": [{"level": "error", **f.to_dict()} for f in self.errors]
                + [{"level": "warning", **f.to_dict()} for f in self.cautions]}


@dataclass
class CheckReport:
    """Every service's check. A skipped service (no scratch server) was not checked, so it is
    not a pass: the report fails unless `allow_skip` accepts skips."""

    services: list[ServiceCheck]
    allow_skip: bool = False

    @property
    def require_all(self) -> bool:
        """A skip fails the check (the default; `--require-all` asks for it explicitly)."""
        return not self.allow_skip

    @property
    def skipped(self) -> list[str]:
        return [s.service for s in self.services if s.skip_reason]

    @property
    def passed(self) -> bool:
        """Every service was checked and is clean."""
        return all(s.ok for s in self.services) and not self.skipped

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.services) and (self.allow_skip or not self.skipped)

    @property
    def exit_code(self) -> int:
        """0 clean (skips only with allow_skip) · 1 problems or skips · 3 a database was
        unreachable (the check could not be made, which is not the same as finding a problem)."""
        if any(s.unreachable for s in self.services):
            return int(ExitCode.UNREACHABLE)
        return 0 if self.ok else int(ExitCode.PROBLEMS)

    @property
    def verdict(self) -> str:
        """The summary line: `passed` only when every service was checked and is clean."""
        if self.passed:
            return "passed"
        skipped = self.skipped
        what = (f"{len(skipped)} of {len(self.services)} service(s) skipped, not checked: "
                f"{', '.join(skipped)}") if skipped else ""
        if not all(s.ok for s in self.services):
            return "FAILED" + (f" ({what})" if what else "")
        if self.allow_skip:
            return f"incomplete — {what} (accepted by --allow-skip)"
        return f"FAILED — {what} (--allow-skip accepts skips)"

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "passed": self.passed, "require_all": self.require_all,
                "allow_skip": self.allow_skip, "skipped": self.skipped,
                "exit_code": self.exit_code, "services": [s.to_dict() for s in self.services]}


Step = Callable[[Service, Project | None, ServiceCheck], None]


def _files(service: Service, project: Project | None, result: ServiceCheck) -> None:
    files, _ = discover(service.migrations, service.naming, service.ignore)
    result.files = len(files)


def _build_and_compare(service: Service, project: Project | None, result: ServiceCheck) -> None:
    from dbtool import diff, snapshot
    from dbtool.core.schema_ops import inspect_url

    try:
        with built_scratch(service, project) as (url, _run):
            result.steps["apply"] = "ok"
            actual = result.built = inspect_url(service, url)
    except ScratchUnavailable as exc:
        result.steps["apply"] = result.steps["snapshot"] = "skipped"
        result.skip_reason = exc.one_line()
        return
    if service.snapshot is None or not service.snapshot.exists():
        result.steps["snapshot"] = "fail"
        fix = f"run `dbtool snapshot {service.name}`"
        result.errors.append(CheckFinding(f"no snapshot at {service.snapshot} — {fix}", "snapshot",
                                          f"no snapshot at {service.snapshot}", None, fix))
        return
    changes = diff.diff(snapshot.load(service.snapshot).schema, actual)
    result.steps["snapshot"] = "fail" if changes else "ok"
    if changes:
        result.errors += _drift(service, changes)


def _drift(service: Service, changes: list[Any]) -> list[CheckFinding]:
    """One finding per change, located in the snapshot; the fix is each one's hint."""
    from dbtool.report.annotations import SnapshotLines

    path = service.snapshot
    lines = SnapshotLines(path)
    fix = (f"if the snapshot is right, write the migration with `dbtool diff {service.name} NAME`; "
           f"if the migrations are right, rewrite it with `dbtool snapshot {service.name}`")
    return [CheckFinding(f"snapshot {path.name}: {c.describe()}", "drift", c.describe(),
                         SourceLocation(path, lines.change(c)), fix) for c in changes]


def _lint(service: Service, project: Project | None, result: ServiceCheck) -> None:
    from dbtool.lint.service import lint_service

    report = lint_service(service)
    errors = [d for d in report.diagnostics if d.severity.value == "error" and not d.suppressed]
    warnings = [d for d in report.diagnostics if d.severity.value == "warning" and not d.suppressed]
    result.errors += [_lint_finding(d) for d in errors]
    result.cautions += [_lint_finding(d) for d in warnings]
    result.steps["lint"] = "fail" if errors else ("warn" if warnings else "ok")


def _lint_finding(d: Any) -> CheckFinding:
    return CheckFinding(f"lint {d.code} {d.location}: {d.message}", d.code, d.message, d.location,
                        d.help)


def _docs(service: Service, project: Project | None, result: ServiceCheck) -> None:
    """A committed docs/schema/<service>.md must equal `introspect --format markdown` now."""
    from dbtool.core.introspect import docs_status

    try:
        state, problem = docs_status(service, project, schema=result.built)
    except ScratchUnavailable:
        state, problem = "skipped", None
    result.steps["docs"] = {"ok": "ok", "stale": "fail"}.get(state, "skipped")
    if problem:
        from dbtool.core.introspect import docs_path

        what, _, fix = problem.partition(" — ")
        result.errors.append(CheckFinding(problem, "docs", what, SourceLocation(docs_path(service), 1),
                                          fix or None))


STEPS: tuple[tuple[str, Step], ...] = (("files", _files), ("build", _build_and_compare), ("lint", _lint),
                                       ("docs", _docs))


def check_service(service: Service, project: Project | None,
                  steps: tuple[tuple[str, Step], ...] = STEPS) -> ServiceCheck:
    result = ServiceCheck(service.name, service.dialect)
    for name, step in steps:
        try:
            step(service, project, result)
            result.steps.setdefault(name, "ok")
        except DbtoolError as exc:
            result.steps["apply" if name == "build" else name] = "fail"
            result.errors.append(CheckFinding.of_error(exc))
            result.unreachable = result.unreachable or exc.exit_code == ExitCode.UNREACHABLE
            if name in ("files", "build"):
                break  # later steps need the earlier ones
    result.steps.pop("build", None)
    return result


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
    steps = STEPS if not spec.adhoc else tuple(s for s in STEPS if s[0] != "docs")
    return CheckReport([check_service(t.service, resolution.project, steps)
                        for t in resolution.targets], allow_skip)
