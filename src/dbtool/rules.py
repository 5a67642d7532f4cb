"""Engine rules checked before anything runs (D1's statement restrictions).

The rules themselves are lint rules (`dbtool.lint.rules.d1`, codes D1xx);
this module holds D1's limits and allow-list and is the entry point `dbtool
migrate` calls before it touches a D1 target. It runs the same analyzers as
`dbtool lint` -- only those whose statements D1 itself rejects (the
"engine" rules), always at error severity and never silenced by a
lint-ignore -- so migrate and lint cannot disagree about what D1 accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dbtool.errors import RuleViolation

D1_PRAGMAS = frozenset({
    "foreign_keys", "defer_foreign_keys", "case_sensitive_like", "ignore_check_constraints",
    "legacy_alter_table", "recursive_triggers", "reverse_unordered_selects", "data_version",
    "page_size", "foreign_key_check", "foreign_key_list", "index_info", "index_list",
    "index_xinfo", "quick_check", "optimize", "table_list", "table_info", "table_xinfo",
})
MAX_STATEMENT_BYTES = 100_000
MAX_COLUMNS = 100
MAX_STATEMENTS = 100  # the seeds' batch limit: statements in one migration file


def d1_engine_codes() -> list[str]:
    """Codes of the lint rules describing statements D1 rejects outright."""
    from dbtool.lint.framework import all_rules

    return [code for code, rule in all_rules().items() if rule.engine and "d1" in rule.dialects]


def d1_violation(sql: str) -> str | None:
    """The first D1 rule a single statement breaks, as a message, or None."""
    from dbtool.lint.engine import lint_loaded
    from dbtool.migrations.splitter import Statement

    class _File:  # the minimum lint_loaded reads from a LoadedMigration
        file = type("F", (), {"path": "<sql>", "name": "<sql>"})()
        text = sql
        statements = (Statement(sql, 1, 1, 0, sql.count("\n") + 1),)
        directives: frozenset[str] = frozenset()

    found = lint_loaded([_File()], "d1", d1_engine_codes())
    return found[0].message if found else None


def check_files(capabilities: Any, loaded: Sequence[Any]) -> None:
    """Raise RuleViolation on the first statement that breaks the engine's rules."""
    if not capabilities.d1_rules:
        return
    from dbtool.lint.engine import lint_loaded

    for diagnostic in lint_loaded(loaded, "d1", d1_engine_codes()):
        raise RuleViolation(
            f"D1 rule: {diagnostic.message} [{diagnostic.code}]",
            location=diagnostic.location,
            hint=f"{diagnostic.help}; nothing was applied (see `dbtool lint`)",
        )
