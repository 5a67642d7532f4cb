"""dbtool: ordered raw-SQL migrations, drift checks and schema reports.

The package is a library first; `dbtool.cli` is a thin layer over it. The public API is
one function per command, taking what the command line takes, returning the command's
typed frozen result and raising the typed errors (see docs/python-api.md):

    import dbtool

    (run,) = dbtool.migrate("api")          # or dir="migrations", url="sqlite:///app.db"
    for state in dbtool.status("api")[0].states: ...
    report = dbtool.check(all=True)

Everything below is imported on first use (module `__getattr__`), so `import dbtool` and
`dbtool --help` cost what they did before the API existed.
"""

from __future__ import annotations

import sys

__version__ = "0.1.0"

TYPE_CHECKING = False  # as typing.TYPE_CHECKING (type checkers read it so), without importing typing

if TYPE_CHECKING:
    from dbtool.api import audit, check, introspect, migrate, status
    from dbtool.core.results import (
        AuditResult,
        CheckReport,
        DiffResult,
        DiffStatus,
        RunStatus,
        ServiceRun,
        ServiceStatus,
        SnapshotResult,
        SnapshotStatus,
    )
    from dbtool.errors import (
        ConfigError,
        ConnectionFailed,
        DbtoolError,
        HistoryConflict,
        LockTimeout,
        MigrationFailed,
        MigrationFileError,
        RuleViolation,
        SqlSyntaxError,
        UrlError,
        UsageError,
    )
    from dbtool.lint.report import LintReport
    from dbtool.migrations.history import State
    from dbtool.report.data import IntrospectionReport

# name -> the module it lives in. `diff`, `lint` and `snapshot` are modules of their own,
# made callable (dbtool._command_module): dbtool.lint("api") runs dbtool.api.lint.
_HOMES = {
    **dict.fromkeys(("audit", "check", "introspect", "migrate", "status"), "dbtool.api"),
    **dict.fromkeys(("AuditResult", "CheckReport", "DiffResult", "DiffStatus", "RunStatus",
                     "ServiceRun", "ServiceStatus", "SnapshotResult", "SnapshotStatus"),
                    "dbtool.core.results"),
    **dict.fromkeys(("ConfigError", "ConnectionFailed", "DbtoolError", "HistoryConflict",
                     "LockTimeout", "MigrationFailed", "MigrationFileError", "RuleViolation",
                     "SqlSyntaxError", "UrlError", "UsageError"), "dbtool.errors"),
    "LintReport": "dbtool.lint.report",
    "State": "dbtool.migrations.history",
    "IntrospectionReport": "dbtool.report.data",
}
_MODULES = ("diff", "lint", "snapshot")

__all__ = [
    "AuditResult", "CheckReport", "ConfigError", "ConnectionFailed", "DbtoolError", "DiffResult",
    "DiffStatus", "HistoryConflict", "IntrospectionReport", "LintReport", "LockTimeout",
    "MigrationFailed", "MigrationFileError", "RuleViolation", "RunStatus", "ServiceRun",
    "ServiceStatus", "SnapshotResult", "SnapshotStatus", "SqlSyntaxError", "State", "UrlError",
    "UsageError", "__version__", "audit", "check", "diff", "introspect", "lint", "migrate",
    "snapshot", "status",
]


def _module(name: str) -> object:
    """`importlib.import_module` without importing importlib (the builtin does the work)."""
    __import__(name)
    return sys.modules[name]


def __getattr__(name: str) -> object:
    if name in _MODULES:
        return _module(f"{__name__}.{name}")  # binds the attribute itself
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
