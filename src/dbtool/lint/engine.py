"""The lint engine: load files, run the rules statement by statement, resolve suppressions.

For each file in order, every statement is checked by the statement rules
with the schema as it stood before that statement, then replayed into the
schema (a scratch SQLite database, or the Postgres model) so the next
statement -- and the next file -- sees its effect. Files outside the
selection (`--changed-since`, a single path) are replayed for context but not
reported on. File rules run after each file, service rules after the last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dbtool.errors import MigrationFileError, SourceLocation
from dbtool.lint.config import LintConfig
from dbtool.lint.context import (
    FileContext,
    FileState,
    LintFile,
    NullSchema,
    ServiceContext,
    StatementContext,
    creates_anywhere,
    observe,
)
from dbtool.lint.framework import Diagnostic, Finding, Rule, Scope, StatementRef, all_rules
from dbtool.lint.report import LintReport
from dbtool.lint.sqlite_schema import SYNTAX_MARKERS
from dbtool.lint.suppress import Ignore, directive_lines, parse_ignores
from dbtool.migrations.files import MigrationFile, decode, directives
from dbtool.migrations.splitter import scan
from dbtool.sql.dialects import Dialect, Syntax, dialect_of


def load_file(file: MigrationFile, dialect: Dialect, *, selected: bool = True) -> LintFile:
    """Decode, read directives and split one file; failures are kept, not raised."""
    lint_file = LintFile(file.path, file.name, selected=selected)
    try:
        lint_file.text = decode(file)
        parsed = scan(lint_file.text, dialect.syntax, file.path)
        lint_file.statements = tuple(parsed.statements)
        try:
            lint_file.directives = directives(file, lint_file.text, parsed)
        except MigrationFileError as exc:
            lint_file.error = exc
    except MigrationFileError as exc:
        lint_file.error = exc
        return lint_file
    analyze = dialect.analyzer()
    lint_file.analyses = [analyze(s.sql) for s in lint_file.statements]
    return lint_file


def new_schema(dialect: Dialect) -> Any:
    """The schema before each statement: SQLite-syntax files are replayed on a scratch
    SQLite database (SQLite answers exactly); Postgres files fold into a model."""
    if dialect.syntax is Syntax.POSTGRES:
        from dbtool.lint.pg_schema import PgSchema

        return PgSchema()
    from dbtool.lint.sqlite_schema import SqliteReplay

    return SqliteReplay()


@dataclass
class _Run:
    """One lint run over one file set."""

    dialect: Dialect
    config: LintConfig
    rules: list[Rule]
    files: list[LintFile]
    schema: Any
    raw: list[tuple[Rule, Finding]] = field(default_factory=list)

    def scoped(self, scope: Scope) -> list[Rule]:
        return [r for r in self.rules if r.scope is scope]

    def meta(self, code: str) -> Rule | None:
        return next((r for r in self.rules if r.code == code), None)

    def add(self, rule: Rule | None, findings: Iterable[Finding], ref: StatementRef | None) -> None:
        if rule is None:
            return
        for finding in findings:
            self.raw.append((rule, finding if finding.at or ref is None else replace(finding, at=ref)))


def active_rules(dialect: Dialect, config: LintConfig, *,
                 only: Iterable[str] | None = None) -> list[Rule]:
    """Instances of every rule that runs for `dialect` under `config`."""
    wanted = set(only) if only is not None else None
    return [cls() for code, cls in all_rules().items()
            if (wanted is None or code in wanted) and config.runs(cls(), dialect)]


def lint_files(files: Sequence[MigrationFile], dialect: str | Dialect,
               config: LintConfig | None = None, *,
               selected: Iterable[str] | None = None, name: str = "",
               codes: Iterable[str] | None = None) -> LintReport:
    """Lint `files` (one service's, in order); report on `selected` names (default: all),
    with the rules `codes` (default: every rule `config` runs)."""
    config = config or LintConfig()
    target = dialect_of(dialect)
    chosen = None if selected is None else set(selected)
    loaded = [load_file(f, target, selected=chosen is None or f.name in chosen) for f in files]
    with new_schema(target) as schema:
        run = _Run(target, config, active_rules(target, config, only=codes), loaded, schema)
        for index, lint_file in enumerate(loaded):
            _lint_file(run, index, lint_file)
        service = ServiceContext(target, loaded, schema, config)
        for rule in run.scoped(Scope.SERVICE):
            run.add(rule, rule.check(service), None)
    reported = tuple(f.path for f in loaded if f.selected)
    shown = {str(p) for p in reported}
    diagnostics = [d for d in resolve(run) if str(d.location.path) in shown]
    return LintReport(name, target.name, reported, tuple(diagnostics))


def lint_loaded(loaded: Sequence[Any], dialect: str | Dialect,
                codes: Iterable[str]) -> list[Diagnostic]:
    """Run the rules `codes` over already-split migrations, without a schema (migrate's check).

    When every rule has a prefilter, only the statements one of them may report on are
    analysed (on Postgres a pglast parse each); the others stay unanalysed (None).
    """
    target = dialect_of(dialect)
    config = LintConfig(enable=frozenset(codes))
    rules = active_rules(target, config, only=codes)
    screened = all(r.scope is Scope.STATEMENT and r.prefilter is not None for r in rules)
    analyze = target.analyzer()

    def analyses(statements: Sequence[Any]) -> list[Any]:
        return [analyze(s.sql) if not screened or any(r.may_report(s.sql) for r in rules) else None
                for s in statements]

    files = [LintFile(m.file.path, m.file.name, m.text, tuple(m.statements),
                      analyses(m.statements), m.directives)
             for m in loaded]
    run = _Run(target, config, rules, files, NullSchema())
    for index, lint_file in enumerate(files):
        _lint_file(run, index, lint_file)
    return [d for d in resolve(run, suppress=False)]


def _lint_file(run: _Run, index: int, lint_file: LintFile) -> None:
    if lint_file.error is not None and lint_file.selected:
        run.add(run.meta("PS101"), [_file_error(lint_file.error, lint_file.path)], None)
    state = FileState(creates_anywhere=creates_anywhere(lint_file.analyses))
    for position in range(len(lint_file.statements)):
        ctx = StatementContext(run.dialect, lint_file, index, position, state, run.schema, run.config)
        if lint_file.selected:
            sql = ctx.statement.sql
            for rule in run.scoped(Scope.STATEMENT):
                if rule.may_report(sql):
                    run.add(rule, rule.check(ctx), ctx.ref)
        error = run.schema.apply(ctx.analysis, ctx.ref)
        if lint_file.selected:
            run.add(run.meta("PS102"), _parse_problems(ctx, error), ctx.ref)
        observe(state, ctx.analysis)
    if lint_file.selected:
        file_ctx = FileContext(run.dialect, lint_file, index, state, run.config)
        for rule in run.scoped(Scope.FILE):
            run.add(rule, rule.check(file_ctx), StatementRef(index, 0) if lint_file.statements else None)


def _file_error(error: MigrationFileError, path: Path) -> Finding:
    location = error.location or SourceLocation(path, 1, 1)
    return Finding(error.message, help=error.hint, location=location)


def _parse_problems(ctx: StatementContext, replay_error: str | None) -> list[Finding]:
    """A statement the dialect's parser rejects (pglast; SQLite's own parser on replay)."""
    analysis = ctx.analysis
    if analysis is not None and analysis.error:
        return [Finding(f"PostgreSQL's parser rejects this statement: {analysis.error}",
                        offset=analysis.error_offset)]
    if replay_error and any(marker in replay_error for marker in SYNTAX_MARKERS):
        return [Finding(f"SQLite's parser rejects this statement: {replay_error}")]
    return []


# -- diagnostics and suppressions -----------------------------------------------


def locate(files: list[LintFile], finding: Finding) -> SourceLocation:
    """file:line:col of a finding: its statement's position plus the offset into it."""
    if finding.location is not None:
        return finding.location
    assert finding.at is not None
    lint_file = files[finding.at.file]
    statement = lint_file.statements[finding.at.statement]
    before = statement.sql[: finding.offset]
    breaks = before.count("\n")
    if not breaks:
        return SourceLocation(lint_file.path, statement.line, statement.col + len(before))
    return SourceLocation(lint_file.path, statement.line + breaks, len(before) - before.rfind("\n"))


def resolve(run: _Run, *, suppress: bool = True) -> list[Diagnostic]:
    """Turn raw findings into diagnostics, applying severities and lint-ignore comments."""
    ignores = _ignores(run.files) if suppress else {}
    used: set[tuple[int, str]] = set()
    diagnostics = []
    for rule, finding in run.raw:
        severity = run.config.severity_of(rule, run.dialect, finding.severity)
        reason = None
        if finding.at is not None and not rule.engine:
            for ignore in ignores.get((finding.at.file, finding.at.statement), []):
                if rule.code in ignore.codes and ignore.reason:
                    reason = ignore.reason
                    used.add((id(ignore), rule.code))
        diagnostics.append(Diagnostic(rule.code, severity, finding.message, locate(run.files, finding),
                                      finding.help or rule.help, rule.name, reason))
    if suppress:
        diagnostics += _directive_diagnostics(run, ignores, used)
    order = {f.path: i for i, f in enumerate(run.files)}
    diagnostics.sort(key=lambda d: (order.get(Path(d.location.path), -1), d.location.line or 0,
                                    d.location.col or 0, d.code))
    return diagnostics


def _ignores(files: list[LintFile]) -> dict[tuple[int, int], list[Ignore]]:
    found: dict[tuple[int, int], list[Ignore]] = {}
    for file_index, lint_file in enumerate(files):
        if not lint_file.selected:
            continue
        lines = lint_file.text.splitlines()
        for position, statement in enumerate(lint_file.statements):
            parsed = parse_ignores(statement.leading_comments, statement.line, lines)
            if parsed:
                found[(file_index, position)] = parsed
    return found


def _directive_diagnostics(run: _Run, ignores: dict[tuple[int, int], list[Ignore]],
                           used: set[tuple[int, str]]) -> list[Diagnostic]:
    """LT1xx: lint-ignore comments without a reason, with unknown codes, unused or orphaned."""
    from dbtool.lint.rules.meta import directive_findings, filter_running

    known = all_rules()
    running = {r.code for r in run.rules}
    out: list[Diagnostic] = []
    for (file_index, _), parsed in ignores.items():
        path = run.files[file_index].path
        for ignore in parsed:
            for code, finding in filter_running(directive_findings(ignore, known, running, used),
                                                running):
                rule = known[code]()
                out.append(Diagnostic(code, run.config.severity_of(rule, run.dialect), finding.message,
                                      SourceLocation(path, ignore.line, ignore.col),
                                      finding.help or rule.help, rule.name))
    out += _orphans(run, ignores)
    return out


def _orphans(run: _Run, ignores: dict[tuple[int, int], list[Ignore]]) -> list[Diagnostic]:
    """lint-ignore comments that are not directly above a statement silence nothing."""
    attached = {(f, i.line) for (f, _), parsed in ignores.items() for i in parsed}
    rule = run.meta("LT103")
    out: list[Diagnostic] = []
    if rule is None:
        return out
    for file_index, lint_file in enumerate(run.files):
        if not lint_file.selected:
            continue
        for line in directive_lines(lint_file.text):
            if (file_index, line) not in attached:
                out.append(Diagnostic(
                    "LT103", run.config.severity_of(rule, run.dialect),
                    "this lint-ignore is not directly above a statement, so it silences nothing",
                    SourceLocation(lint_file.path, line, 1),
                    "put it on the line(s) directly above the statement, with no blank line between",
                    rule.name))
    return out
