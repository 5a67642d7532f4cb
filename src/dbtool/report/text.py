"""Rich terminal report (pure: returns renderables, the CLI prints them).

A summary first — counts of tables, columns, indexes, foreign keys, triggers,
policies and migrations applied / pending — so a glance answers "what is in
this database and is it up to date"; then one table per database table with
each column's keys, default and references, followed by its indexes.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape as esc
from rich.table import Table as RichTable
from rich.text import Text

from dbtool.model import Table
from dbtool.report.data import IntrospectionReport
from dbtool.report.facts import (
    check_text,
    column_keys,
    default_text,
    index_columns,
    references,
    uniqueness,
)

_STATE_STYLE = {"applied": "green", "pending": "yellow", "modified": "red", "missing": "red",
                "out-of-order": "magenta"}


def _summary(report: IntrospectionReport) -> Any:
    counts, migrations = report.summary(), report.migration_counts()
    grid = RichTable.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("service", esc(f"{report.service} ({report.dialect_label})"))
    grid.add_row("source", esc(report.source.describe().replace("`", "")))
    if report.tables_filter:
        grid.add_row("restricted to", esc(", ".join(report.tables_filter)))
    always = ("tables", "columns", "indexes", "foreign_keys", "triggers", "policies")
    for key in (*always, "views", "functions", "enums", "sequences", "publications"):
        if counts[key] or key in always:
            grid.add_row(key.replace("_", " "), str(counts[key]))
    states = [f"[{_STATE_STYLE[s]}]{n} {s}[/]" for s, n in migrations.items()
              if s in _STATE_STYLE and (n or s in ("applied", "pending"))]
    grid.add_row("migrations", ", ".join(states))
    return grid


def _table(report: IntrospectionReport, t: Table) -> Any:
    title = f"[bold]{esc(t.key)}[/]"
    if purpose := report.purpose(t):
        title += f" — {esc(purpose)}"
    if (registry := report.registry(t)) and registry.lower() != "none":
        title += f" [dim]({esc(registry)})[/]"
    rt = RichTable(title=title, title_justify="left", show_edge=False, pad_edge=False,
                   header_style="bold", expand=False)
    for header in ("column", "type", "null", "default", "key", "references"):
        rt.add_column(header, overflow="fold")
    for c in t.columns:
        keys = ", ".join(column_keys(t, c))
        rt.add_row(Text(c.name), Text(c.type), "yes" if c.nullable else "no",
                   Text(default_text(c)), Text(keys, style="cyan"),
                   Text(", ".join(references(t, c))))
    return rt


def _table_footer(report: IntrospectionReport, t: Table) -> list[str]:
    lines = [esc(f"  index {i.name} ({index_columns(i)})" + (f" {uniqueness(i)}" if i.unique else "")
                 + (f" where {i.where}" if i.where else "")) for i in t.indexes]
    lines += [esc(f"  unique ({', '.join(u.columns)}) nulls not distinct") for u in t.uniques
              if u.nulls_not_distinct]
    lines += [esc(f"  check {check_text(c)}") for c in t.checks]
    lines += [esc(f"  foreign key ({', '.join(f.columns)}) -> {f.ref_key} NOT VALID")
              for f in t.foreign_keys if f.not_valid]
    lines += [esc(f"  trigger {tr.name}: {tr.timing} {' OR '.join(tr.events)}")
              for tr in report.schema.triggers if tr.table == t.key]
    if report.has_security:
        rls = "enabled" if t.rls_enabled else "[red]disabled[/]"
        lines.append(f"  row-level security {rls}, {len(t.policies)} policies")
        lines += [esc(f"  policy {p.name!r} {p.command} to {', '.join(p.roles)}")
                  for p in t.policies]
        lines += [esc(f"  grant {g.render()}") for g in t.grants]
    return lines


def _migrations(report: IntrospectionReport) -> Any:
    rt = RichTable(title="[bold]migrations (in order)[/]", title_justify="left",
                   show_edge=False, pad_edge=False, header_style="bold")
    rt.add_column("migration", no_wrap=True)
    rt.add_column("state", no_wrap=True)
    rt.add_column("contents", overflow="fold")
    for m in report.migrations:
        style = _STATE_STYLE.get(m.state, "")
        rt.add_row(Text(m.name), Text(m.state, style=style), Text(m.summary))
    return rt


def render_text(report: IntrospectionReport) -> list[Any]:
    """Renderables in print order: summary, migrations, then each table."""
    out: list[Any] = [_summary(report), Text(""), _migrations(report)]
    for t in report.schema.tables:
        out += [Text(""), _table(report, t)]
        out += [Text.from_markup(line) for line in _table_footer(report, t)]
    return out


__all__ = ["render_text"]
