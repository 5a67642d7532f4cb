"""The lint framework: severities, diagnostics, the Rule base class and the registry.

A rule is a small analyzer in the style of Atlas's analyzers and squawk's
rules: a stable code, a name, a default severity, the dialect capabilities it
depends on (`applies_to`, never a dialect's name), and a `check(ctx)` that
yields findings over the statement's dialect-neutral facts. The engine (`dbtool.lint.engine`)
turns findings into located `Diagnostic`s, applies the per-service severity
configuration and the inline `-- dbtool:lint-ignore CODE reason` comments.
Codes never change meaning once released: tools and suppressions refer to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from dbtool.errors import SourceLocation
from dbtool.sql.dialects import DIALECTS, Dialect


class Severity(StrEnum):
    """How bad a finding is: errors fail `dbtool lint` (exit 1), the others are shown."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class Scope(StrEnum):
    """What a rule looks at: one statement, one file, or the service's whole file set."""

    STATEMENT = "statement"
    FILE = "file"
    SERVICE = "service"


@dataclass(frozen=True)
class StatementRef:
    """A statement by position: file index in the run, statement index in the file."""

    file: int
    statement: int


@dataclass(frozen=True)
class Finding:
    """What a rule reports; the engine adds code, severity, location and suppression.

    `at` defaults to the statement being checked; `offset` (into that
    statement's SQL) points the column at the offending token.
    """

    message: str
    help: str | None = None
    at: StatementRef | None = None
    offset: int = 0
    severity: Severity | None = None
    location: SourceLocation | None = None  # for findings outside any statement


@dataclass(frozen=True)
class Diagnostic:
    """One located finding, as every output format shows it."""

    code: str
    severity: Severity
    message: str
    location: SourceLocation
    help: str
    rule: str
    suppressed_by: str | None = None  # the lint-ignore reason, when silenced

    @property
    def suppressed(self) -> bool:
        return self.suppressed_by is not None

    def to_dict(self, base: Path | None = None) -> dict[str, Any]:
        """The JSON shape documented in docs/lint.md."""
        path = display_path(self.location.path, base)
        return {
            "code": self.code,
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "help": self.help,
            "file": path,
            "line": self.location.line,
            "col": self.location.col,
            "location": str(SourceLocation(path, self.location.line, self.location.col)),
            "suppressed": self.suppressed,
            "suppressed_reason": self.suppressed_by,
        }


def display_path(path: Path | str, base: Path | None) -> str:
    """`path` relative to `base` when it lies below it, with forward slashes."""
    target = Path(path)
    if base is not None:
        try:
            return target.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            pass
    return target.as_posix()


class Rule:
    """Base class of every lint rule. Subclasses set the class attributes and `check`.

    `engine` rules describe statements the target cannot run safely -- D1
    rejects them (D1xx), or they would break the transaction dbtool runs a
    file in (TX101): `dbtool migrate` (and `rollback`, for rollback files)
    refuses them before anything runs, and a lint-ignore cannot silence them;
    `refusal` names the kind in migrate's error ("D1 rule").
    `silent_loss` rules find statements that destroy rows the file never
    names (DL102: a DROP TABLE that cascades into child tables): `migrate`
    refuses a file with such a finding at error severity unless a lint-ignore
    with a reason or `--allow-data-loss` acknowledges it.
    `prefilter` (statement rules): a pattern that every statement the rule can
    report on matches at its start (`Statement.sql` starts at the first token);
    other statements are not shown to the rule, and `migrate` skips the lint
    framework entirely when no pending statement matches (see dbtool.lint.refusals).
    `opt_in` rules (conventions) run only where dbtool.toml enables them.
    `applies_to` says which dialects the rule means something for, by what it
    depends on (a capability of `dbtool.sql.dialects.Dialect`); every dialect by default.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]  # one line: what the rule catches
    help: ClassVar[str]  # the safe alternative
    severity: ClassVar[Severity] = Severity.WARNING
    scope: ClassVar[Scope] = Scope.STATEMENT
    opt_in: ClassVar[bool] = False
    engine: ClassVar[bool] = False
    refusal: ClassVar[str] = ""
    silent_loss: ClassVar[bool] = False
    prefilter: ClassVar[re.Pattern[str] | None] = None

    @classmethod
    def applies_to(cls, dialect: Dialect) -> bool:
        """Whether the rule means anything for `dialect` (asked of capabilities, not names)."""
        return True

    def severity_for(self, dialect: Dialect) -> Severity:
        """The default severity where `dialect`'s behaviour makes the finding more or less severe."""
        return self.severity

    def check(self, ctx: Any) -> Iterable[Finding]:
        """Yield findings for the statement, file or service in `ctx`."""
        return ()

    def may_report(self, sql: str) -> bool:
        """False when the statement cannot trip this rule (its prefilter does not match)."""
        return self.prefilter is None or self.prefilter.match(sql) is not None


REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule to the registry; codes must be unique."""
    if cls.code in REGISTRY:
        raise ValueError(f"duplicate lint rule code {cls.code}")
    REGISTRY[cls.code] = cls
    return cls


def dialect_names(rule: type[Rule] | Rule) -> list[str]:
    """The names of the dialects `rule` applies to, sorted (for listings and SARIF tags)."""
    return sorted(name for name, dialect in DIALECTS.items() if rule.applies_to(dialect))


def all_rules() -> dict[str, type[Rule]]:
    """Every registered rule, by code (importing the rule modules registers them)."""
    import dbtool.lint.rules  # noqa: F401  (registers on import)

    return dict(sorted(REGISTRY.items()))
