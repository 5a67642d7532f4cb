"""The result of linting one service or path: every diagnostic, suppressed ones included."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbtool.lint.framework import Diagnostic, Severity, display_path


@dataclass(frozen=True)
class LintReport:
    """Diagnostics of one service (or one ad-hoc folder/file), in file order.

    Suppressed diagnostics stay in the report with their reason; only the
    active (unsuppressed) ones count towards `failed`.
    """

    name: str
    dialect: str
    files: tuple[Path, ...]  # the files reported on
    diagnostics: tuple[Diagnostic, ...]

    @property
    def active(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if not d.suppressed)

    @property
    def suppressed(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.suppressed)

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.active if d.severity is severity)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.active if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.active if d.severity is Severity.WARNING)

    @property
    def failed(self) -> bool:
        """Whether an unsuppressed error remains (what makes `dbtool lint` exit 1)."""
        return any(d.severity is Severity.ERROR for d in self.active)

    def summary(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "errors": self.count(Severity.ERROR),
            "warnings": self.count(Severity.WARNING),
            "info": self.count(Severity.INFO),
            "suppressed": len(self.suppressed),
        }

    def to_dict(self, base: Path | None = None) -> dict[str, Any]:
        """The per-service object of `dbtool lint --format json` (see docs/lint.md)."""
        return {
            "name": self.name,
            "dialect": self.dialect,
            "files": [display_path(p, base) for p in self.files],
            "summary": self.summary(),
            "failed": self.failed,
            "diagnostics": [d.to_dict(base) for d in self.diagnostics],
        }
