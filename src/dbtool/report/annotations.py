"""Each command's findings as GitHub annotations (rendered by `dbtool.report.github`).

The location is the most precise one known: a lint finding's `file:line:col`; a
drift change's line in the snapshot file; a history problem's migration file;
a failed statement's `file:line:col`. Messages of the commands that span
services start with the service, so a log stays readable; the title is the code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from dbtool.report.github import Annotation

_LINT_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
_SECTION = {"view": "views", "trigger": "triggers", "function": "functions", "enum": "enums",
            "sequence": "sequences", "extension": "extensions", "publication": "publications"}


def lint_annotations(reports: Iterable[Any]) -> Iterator[Annotation]:
    """Active (not silenced) lint diagnostics, with the rule's safe alternative as help."""
    for report in reports:
        for d in report.active:
            yield Annotation.at(_LINT_LEVEL[d.severity.value], d.code, d.message, d.location, d.help)


class SnapshotLines:
    """Lines of objects in one snapshot file (read once), for drift and security findings."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.text = self.path.read_text(encoding="utf-8") if self.path.is_file() else ""

    def line(self, keys: tuple[str, ...]) -> int | None:
        from dbtool.snapshot import line_of

        return line_of(self.text, keys) if self.text else None

    def change(self, change: Any) -> int | None:
        section = _SECTION.get(change.object_type.value, "tables")
        return self.line((section, *change.path))

    def finding(self, obj: str, schemas: tuple[str, ...] = ("public",)) -> int | None:
        """A security finding's object (`public.t`, `public.t policy 'p'`, `public.f(args)`)."""
        head, _, policy = obj.partition(" policy ")
        name = head.split(".", 1)[1] if head.split(".", 1)[0] in schemas[:1] else head
        if "(" in name:
            return self.line(("functions", name))
        keys = ("tables", name, "policies", policy.strip("'")) if policy else ("tables", name)
        return self.line(keys)


def drift_annotations(service: str, snapshot: Path | str, changes: Iterable[Any],
                      hint: str | None = None, *, lines: SnapshotLines | None = None,
                      ) -> Iterator[Annotation]:
    lines = lines or SnapshotLines(snapshot)
    for change in changes:
        yield Annotation("error", "drift", f"{service}: {change.describe()}", snapshot,
                         lines.change(change), hint=hint)


def audit_annotations(results: Iterable[Any]) -> Iterator[Annotation]:
    for r in results:
        if r.skip_reason:
            yield Annotation("warning", "skipped", f"{r.service}: skipped: {r.skip_reason}")
            continue
        lines = SnapshotLines(r.snapshot)
        yield from drift_annotations(r.service, r.snapshot, r.changes, lines=lines)
        for item in r.history:
            yield _history(r.service, r.migrations, item.migration, item.state.value)
        for f in r.security:
            yield Annotation("error", f.code, f"{r.service}: {f.object}: {f.message}", r.snapshot,
                             lines.finding(f.object), hint=f.hint)
        if r.not_compared:
            kinds = ", ".join(f"{n.kind} ({n.count})" for n in r.not_compared)
            yield Annotation("notice", "not compared", f"{r.service}: the schema model does not "
                             f"hold these, so the audit did not compare them: {kinds}")


def _history(service: str, folder: str, name: str, state: str) -> Annotation:
    path = Path(folder) / name if folder else None
    level = "warning" if state == "pending" else "error"
    message = f"{service}: {name} is {state}"
    if path is not None and path.is_file():
        return Annotation(level, "history", message, path, 1)
    return Annotation(level, "history", message)


def check_annotations(report: Any) -> Iterator[Annotation]:
    for s in report.services:
        for level, finding in [*(("error", f) for f in s.errors), *(("warning", f) for f in s.cautions)]:
            yield Annotation.at(level, finding.code, f"{s.service}: {finding.message}",
                                finding.location, finding.hint)
        if s.skip_reason:
            level = "error" if report.require_all else "warning"
            yield Annotation(level, "skipped", f"{s.service}: skipped: {s.skip_reason}")


def status_annotations(results: Iterable[Any]) -> Iterator[Annotation]:
    """Migrations that need attention: modified / missing / out-of-order (errors), pending."""
    for r in results:
        if r.skip_reason:
            yield Annotation("warning", "skipped", f"{r.service}: skipped: {r.skip_reason}")
            continue
        for s in r.states:
            if s.state.value != "applied":
                folder = str(s.file.path.parent) if s.file is not None else ""
                yield _history(r.service, folder, s.name, s.state.value)
