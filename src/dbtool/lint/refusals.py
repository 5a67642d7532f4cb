"""The refusals `migrate` (and `rollback`) applies before anything runs.

Two kinds, both ordinary lint rules (`dbtool.lint.rules`), so migrate and lint
cannot disagree:

* engine rules (`Rule.engine`): statements the target cannot run safely — D1
  rejects them (D1xx), or they would break the transaction dbtool runs a file
  in (TX101). `check_files` runs them over the files about to run, always at
  error severity and never silenced by a lint-ignore.
* silent data loss (`Rule.silent_loss`): statements that destroy rows the file
  never names (DL102, a table rebuild whose DROP cascades into child tables).
  They need the schema the file starts from, so `check_data_loss` replays the
  earlier files as `dbtool lint` does; a lint-ignore with a reason, or
  `migrate --allow-data-loss`, lets the file through with a warning.

Importing the lint framework costs ~50 ms (pglast and every rule module), a
fifth of migrating 200 files, so both checks first screen the statements with
the rules' prefilters (`dbtool.lint.prefilters`, light): a run whose pending
statements match none never imports the framework.
tests/lint/test_migrate_rules.py checks that the screens below agree with the
rules' own attributes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from dbtool.errors import RuleViolation
from dbtool.lint.prefilters import TABLE_DROP, TRANSACTION_CONTROL

# Per dialect: the screen every statement that can trip one of its engine rules passes,
# or None when some engine rule must see every statement (D1's size and column limits).
ENGINE_SCREENS: dict[str, re.Pattern[str] | None] = {
    "sqlite": TRANSACTION_CONTROL, "postgres": TRANSACTION_CONTROL, "d1": None,
}
# Per dialect: the same for the silent-loss rules; a dialect with none is absent.
SILENT_LOSS_SCREENS: dict[str, re.Pattern[str]] = {"sqlite": TABLE_DROP, "d1": TABLE_DROP}


def engine_codes(dialect: str) -> list[str]:
    """Codes of the engine rules of `dialect` (what migrate refuses outright)."""
    from dbtool.lint.framework import all_rules
    from dbtool.sql.dialects import dialect_of

    target = dialect_of(dialect)
    return [code for code, rule in all_rules().items() if rule.engine and rule.applies_to(target)]


def d1_engine_codes() -> list[str]:
    """Codes of the lint rules describing statements D1 rejects outright."""
    return engine_codes("d1")


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


def _screened_out(screen: re.Pattern[str] | None, loaded: Sequence[Any]) -> bool:
    """True when no statement of `loaded` passes `screen` (None passes everything)."""
    if screen is None:
        return False
    return not any(screen.match(s.sql) for m in loaded for s in m.statements)


def check_files(capabilities: Any, loaded: Sequence[Any]) -> None:
    """Raise RuleViolation on the first statement that breaks the engine's rules."""
    dialect = capabilities.dialect
    if _screened_out(ENGINE_SCREENS.get(dialect), loaded):
        return
    from dbtool.lint.engine import lint_loaded
    from dbtool.lint.framework import all_rules

    for diagnostic in lint_loaded(loaded, dialect, engine_codes(dialect)):
        rule = all_rules()[diagnostic.code]
        label = f"{rule.refusal}: " if rule.refusal else ""
        raise RuleViolation(
            f"{label}{diagnostic.message} [{diagnostic.code}]",
            location=diagnostic.location,
            hint=f"{diagnostic.help}; nothing was applied (see `dbtool lint`)",
        )


def check_data_loss(service: Any, files: Sequence[Any], pending: Sequence[Any], *,
                    allow: bool = False) -> list[str]:
    """Refuse a pending file that silently destroys rows (rules with `silent_loss`).

    `files` are the service's files in order (the earlier ones are replayed for
    the schema), `pending` the loaded files about to run. Returns one warning per
    finding that a lint-ignore (with its reason) or `allow` (--allow-data-loss)
    lets through; raises RuleViolation on the first other one.
    """
    screen = SILENT_LOSS_SCREENS.get(service.dialect)
    if screen is None:
        return []
    suspects = {m.file.name for m in pending if not _screened_out(screen, [m])}
    if not suspects:
        return []
    findings = _silent_loss_findings(service, files, suspects)
    warnings = []
    for finding in findings:
        if finding.suppressed:
            warnings.append(f"{finding.location}: {finding.message} [{finding.code}] — applied: "
                            f"acknowledged by lint-ignore ({finding.suppressed_by})")
        elif allow:
            warnings.append(f"{finding.location}: {finding.message} [{finding.code}] — applied "
                            "anyway (--allow-data-loss)")
        else:
            raise RuleViolation(
                f"data loss: {finding.message} [{finding.code}]", location=finding.location,
                hint=f"{finding.help}; nothing was applied — if the loss is intended, put "
                     f"`-- dbtool:lint-ignore {finding.code} <reason>` above the statement or "
                     "pass --allow-data-loss")
    return warnings


def _silent_loss_findings(service: Any, files: Sequence[Any], suspects: set[str]) -> list[Any]:
    """Error-severity findings of the silent-loss rules in the `suspects` files, with the
    files before the last of them replayed for context (as `dbtool lint` would)."""
    from dbtool.lint.config import LintConfig
    from dbtool.lint.engine import lint_files
    from dbtool.lint.framework import Severity, all_rules
    from dbtool.sql.dialects import dialect_of

    dialect = dialect_of(service.dialect)
    config = LintConfig.for_service(service)
    codes = [code for code, cls in all_rules().items() if cls.silent_loss
             and config.runs(cls(), dialect) and config.severity_of(cls(), dialect) is Severity.ERROR]
    if not codes:
        return []
    last = max(i for i, f in enumerate(files) if f.name in suspects)
    report = lint_files(list(files[: last + 1]), dialect.name, config, selected=suspects,
                        name=service.name, codes=codes)
    return [d for d in report.diagnostics if d.code in codes and d.severity is Severity.ERROR]
