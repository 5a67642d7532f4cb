"""`dbtool lint`: static rules on migration files, with stable codes (see docs/lint.md).

Library entry points:

- `lint_service(service)` -> LintReport for a configured service (what `dbtool
  lint` and `dbtool check` call);
- `lint_path(path, dialect)` for a migrations folder or file outside dbtool.toml;
- `lint_files(files, dialect, config)` for discovered MigrationFiles.

Heavy imports (pglast) happen only when a Postgres file is analysed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from dbtool.lint.config import LintConfig
    from dbtool.lint.framework import Diagnostic, Rule, Severity
    from dbtool.lint.report import LintReport

__all__ = ["Diagnostic", "LintConfig", "LintReport", "Rule", "Severity", "all_rules",
           "lint_files", "lint_path", "lint_service"]

_EXPORTS = {
    "Diagnostic": "dbtool.lint.framework", "Rule": "dbtool.lint.framework",
    "Severity": "dbtool.lint.framework", "all_rules": "dbtool.lint.framework",
    "LintConfig": "dbtool.lint.config", "LintReport": "dbtool.lint.report",
    "lint_files": "dbtool.lint.engine", "lint_path": "dbtool.lint.service",
    "lint_service": "dbtool.lint.service",
}


def __getattr__(name: str) -> Any:
    """Lazy exports, so `import dbtool.lint` stays cheap."""
    if name not in _EXPORTS:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)


# `dbtool.lint(...)` is the public API function of that name (dbtool._command_module).
from dbtool._command_module import make_callable  # noqa: E402

make_callable(__name__)
