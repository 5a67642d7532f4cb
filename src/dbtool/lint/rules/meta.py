"""PS1xx (files and statements that cannot be parsed) and LT1xx (lint-ignore comments).

The engine reports these itself; they are rules so that they have stable
codes, appear in SARIF's rule list and docs/lint.md, and take severity
overrides like any other rule.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from dbtool.lint.framework import Finding, Rule, Scope, Severity, register
from dbtool.lint.suppress import Ignore


@register
class FileUnreadable(Rule):
    code = "PS101"
    name = "file-unreadable"
    summary = "A migration file that cannot be decoded, split or whose directives are invalid"
    help = "fix the file: UTF-8 text, closed strings/comments/bodies, known dbtool: directives"
    severity = Severity.ERROR
    scope = Scope.FILE


@register
class StatementUnparsable(Rule):
    code = "PS102"
    name = "statement-unparsable"
    summary = "A statement the dialect's own parser rejects (pglast for Postgres, SQLite for sqlite/d1)"
    help = "fix the syntax; the database would reject this statement when the migration runs"
    severity = Severity.ERROR


@register
class IgnoreWithoutReason(Rule):
    code = "LT101"
    name = "lint-ignore-without-reason"
    summary = "A `-- dbtool:lint-ignore CODE` comment without a reason"
    help = "write why the finding is acceptable: -- dbtool:lint-ignore CODE reason"
    severity = Severity.ERROR


@register
class IgnoreUnknownCode(Rule):
    code = "LT102"
    name = "lint-ignore-unknown-code"
    summary = "A lint-ignore comment naming a code that is not a dbtool lint rule"
    help = "use a code from `dbtool lint --rules`; separate several codes with commas, no spaces"
    severity = Severity.WARNING


@register
class IgnoreUnused(Rule):
    code = "LT103"
    name = "lint-ignore-unused"
    summary = "A lint-ignore comment that silences nothing (no such finding, or not above a statement)"
    help = "remove the comment, or move it directly above the statement it is meant for"
    severity = Severity.WARNING


@register
class IgnoreEngineRule(Rule):
    code = "LT104"
    name = "lint-ignore-engine-rule"
    summary = "A lint-ignore for a rule D1 itself enforces: the statement fails on D1 regardless"
    help = "fix the statement; D1 rejects it whatever lint says, and migrate refuses it"
    severity = Severity.WARNING


def directive_findings(ignore: Ignore, known: Mapping[str, type[Rule]], running: set[str],
                       used: set[tuple[int, str]]) -> Iterator[tuple[str, Finding]]:
    """(code, finding) pairs describing what is wrong with one lint-ignore comment."""
    codes = ", ".join(ignore.codes) or "(none)"
    if not ignore.reason or not ignore.codes:
        yield "LT101", Finding(f"lint-ignore {codes} has no reason, so it silences nothing")
    for code in ignore.codes:
        if code not in known:
            yield "LT102", Finding(f"lint-ignore names unknown rule code {code!r}")
        elif known[code].engine:
            yield "LT104", Finding(f"{code} cannot be silenced: D1 rejects the statement itself")
        elif ignore.reason and code in running and (id(ignore), code) not in used:
            yield "LT103", Finding(f"lint-ignore {code} silences nothing: the statement has no "
                                   f"{code} finding")


def filter_running(pairs: Iterator[tuple[str, Finding]], running: set[str]) -> Iterator[tuple[str, Finding]]:
    """Only the directive findings whose LT rule is switched on."""
    return ((code, finding) for code, finding in pairs if code in running)
