"""Lint output formats: text, JSON, GitHub Actions annotations and SARIF 2.1.0.

Pure functions of the reports: they return strings or JSON-ready data and
never print (the CLI writes them). Paths are shown relative to `base` (the
repository root for SARIF, so code scanning can match them to files).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dbtool import __version__
from dbtool.lint.framework import Diagnostic, Severity, all_rules, dialect_names, display_path
from dbtool.lint.report import LintReport

JSON_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_text(reports: Sequence[LintReport], base: Path | None = None, *,
                show_suppressed: bool = False) -> list[str]:
    """Human-readable lines: one finding per line with its help, then a summary per report."""
    lines: list[str] = []
    for report in reports:
        for diagnostic in report.diagnostics:
            if diagnostic.suppressed and not show_suppressed:
                continue
            lines.extend(_text_diagnostic(diagnostic, base))
        lines.append(_text_summary(report))
    return lines


def _text_diagnostic(diagnostic: Diagnostic, base: Path | None) -> list[str]:
    where = diagnostic.to_dict(base)["location"]
    head = f"{where}: {diagnostic.severity.value} {diagnostic.code} {diagnostic.message}"
    if diagnostic.suppressed:
        return [f"{head}", f"    suppressed: {diagnostic.suppressed_by}"]
    return [head, f"    help: {diagnostic.help}"]


def _text_summary(report: LintReport) -> str:
    counts = report.summary()
    parts = [_plural(counts["errors"], "error"), _plural(counts["warnings"], "warning")]
    if counts["info"]:
        parts.append(f"{counts['info']} info")
    tail = f" ({counts['suppressed']} suppressed)" if counts["suppressed"] else ""
    return f"{report.name} ({report.dialect}): {_plural(counts['files'], 'file')}, {', '.join(parts)}{tail}"


def render_json(reports: Sequence[LintReport], base: Path | None = None) -> dict[str, Any]:
    """The `--format json` document (documented in docs/lint.md)."""
    totals = {"files": 0, "errors": 0, "warnings": 0, "info": 0, "suppressed": 0}
    for report in reports:
        for key, value in report.summary().items():
            totals[key] += value
    return {
        "version": JSON_VERSION,
        "failed": any(r.failed for r in reports),
        "summary": totals,
        "reports": [r.to_dict(base) for r in reports],
    }


def render_github(reports: Sequence[LintReport], base: Path | None = None) -> list[str]:
    """GitHub Actions annotations (`dbtool.report.github`), paths relative to `base`."""
    from dbtool.report.annotations import lint_annotations
    from dbtool.report.github import render

    return render(lint_annotations(reports), base or Path.cwd())


def render_sarif(reports: Sequence[LintReport], base: Path | None = None) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run, every rule described, suppressions kept."""
    rules = all_rules()
    codes = sorted(rules)
    index = {code: i for i, code in enumerate(codes)}
    descriptors = [_sarif_rule(rules[code]()) for code in codes]
    results = [_sarif_result(d, index[d.code], base) for r in reports for d in r.diagnostics]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "dbtool", "version": __version__,
                            "semanticVersion": __version__, "rules": descriptors}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if base is not None:
        run["originalUriBaseIds"] = {"SRCROOT": {"uri": base.resolve().as_uri() + "/"}}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _sarif_rule(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": f"{rule.summary}. Safe alternative: {rule.help}"},
        "help": {"text": rule.help,
                 "markdown": f"**{rule.code} {rule.name}**: {rule.help} (see docs/lint.md)"},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity],
                                 "enabled": not rule.opt_in},
        "properties": {"tags": [rule.code.rstrip("0123456789"), *dialect_names(rule)]},
    }


def _sarif_result(diagnostic: Diagnostic, rule_index: int, base: Path | None) -> dict[str, Any]:
    location = diagnostic.location
    shown = display_path(location.path, base)
    if Path(shown).is_absolute():
        artifact: dict[str, Any] = {"uri": Path(shown).as_uri()}
    else:
        artifact = {"uri": shown, "uriBaseId": "SRCROOT"} if base is not None else {"uri": shown}
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVEL[diagnostic.severity],
        "message": {"text": f"{diagnostic.message}. Help: {diagnostic.help}"},
        "locations": [{"physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": location.line or 1, "startColumn": location.col or 1},
        }}],
    }
    if diagnostic.suppressed:
        result["suppressions"] = [{"kind": "inSource", "justification": diagnostic.suppressed_by}]
    return result
