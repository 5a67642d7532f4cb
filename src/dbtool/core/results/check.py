"""What `check` returns: a `CheckReport` of one `ServiceCheck` per service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from dbtool.errors import ExitCode, SourceLocation

if TYPE_CHECKING:
    from dbtool.diff import Change
    from dbtool.errors import DbtoolError
    from dbtool.lint.framework import Diagnostic

# -- check ---------------------------------------------------------------------------------
class CheckStep(StrEnum):
    FILES = "files"  # names and order valid
    APPLY = "apply"  # every migration applies to a scratch database
    SNAPSHOT = "snapshot"  # the result equals the snapshot
    LINT = "lint"  # no lint errors
    DOCS = "docs"  # a committed docs/schema/<service>.md is current


class StepResult(StrEnum):
    OK = "ok"
    FAIL = "fail"
    WARN = "warn"  # passed, with lint warnings
    SKIPPED = "skipped"  # not made (no scratch server, or nothing to compare)


@dataclass(frozen=True)
class CheckFinding:
    """One problem or warning: the line text output shows, where it is for annotations, and
    the typed object it came from (a drift `Change`, a lint `Diagnostic`) when there is one."""

    text: str  # the one line of text/JSON output
    code: str  # lint code, drift, snapshot, docs, or the error's kind (migration-failed …)
    message: str
    location: SourceLocation | None = None
    hint: str | None = None
    change: Change | None = field(default=None, compare=False)
    diagnostic: Diagnostic | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        loc = self.location
        return {"code": self.code, "message": self.message, "hint": self.hint,
                "file": str(loc.path) if loc else None, "line": loc.line if loc else None,
                "col": loc.col if loc else None}

    @classmethod
    def of_error(cls, exc: DbtoolError) -> CheckFinding:
        return cls(exc.one_line(), exc.kind, exc.message, exc.location, exc.hint)


@dataclass(frozen=True)
class ServiceCheck:
    """One service's `check`: each step's result, the errors (which fail it) and the
    warnings (shown, never failing), or why it was skipped."""

    service: str
    dialect: str
    steps: Mapping[CheckStep, StepResult] = field(default_factory=lambda: MappingProxyType({}))
    errors: tuple[CheckFinding, ...] = ()
    cautions: tuple[CheckFinding, ...] = ()  # warnings: shown, never fail
    skip_reason: str | None = None
    unreachable: bool = False  # a database (the scratch server) could not be reached: exit 3
    files: int = 0

    @property
    def drift(self) -> tuple[Change, ...]:
        """The typed differences between the scratch build and the snapshot."""
        return tuple(f.change for f in self.errors if f.change is not None)

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
                "steps": {str(k): str(v) for k, v in self.steps.items()}, "problems": self.problems,
                "warnings": self.warnings, "skip_reason": self.skip_reason,
                "unreachable": self.unreachable,
                "findings": [{"level": "error", **f.to_dict()} for f in self.errors]
                + [{"level": "warning", **f.to_dict()} for f in self.cautions]}


@dataclass(frozen=True)
class CheckReport:
    """Every service's check. A skipped service (no scratch server) was not checked, so it is
    not a pass: the report fails unless `allow_skip` accepts skips."""

    services: tuple[ServiceCheck, ...]
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
