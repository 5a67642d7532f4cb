"""Self-contained HTML report of a report (pure: returns the page as a string).

One file with everything inline — stylesheet, script, and the ERD as an SVG
laid out by `erd_svg` — so it opens from disk, from a CI artifact or an
e-mail with no network access. Sections: summary, a filter box over tables and
columns, the ERD picture, migrations in order, then one section per table.
Each table section carries `data-table` and a lower-cased `data-search`
(its name and column names) for the filter script in `html_assets`.

At 1,000 tables the page stays usable: sections use `content-visibility:
auto` so off-screen tables cost no layout, and the filter is one linear pass.
"""

from __future__ import annotations

from html import escape

from dbtool.model import Table
from dbtool.report.data import IntrospectionReport
from dbtool.report.erd_svg import render_svg
from dbtool.report.facts import (
    check_text,
    column_keys,
    default_text,
    index_columns,
    references,
    uniqueness,
)
from dbtool.report.html_assets import CSS, JS


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _grid(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """An HTML table; row cells are already-escaped HTML."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="grid"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _summary(report: IntrospectionReport) -> str:
    counts = report.summary()
    items = [(k.replace("_", " "), n) for k, n in counts.items()
             if n or k in ("tables", "columns", "indexes", "foreign_keys", "triggers")]
    migrations = report.migration_counts()
    items += [(f"migrations {state}", n) for state, n in migrations.items()
              if (n and state != "total") or state in ("applied", "pending")]
    return '<dl class="summary">' + "".join(
        f"<div><dt>{_e(label)}</dt><dd>{n}</dd></div>" for label, n in items) + "</dl>"


def _header(report: IntrospectionReport) -> str:
    restricted = (f'<p class="muted">Restricted to: {_e(", ".join(report.tables_filter))}</p>'
                  if report.tables_filter else "")
    return (f"<header><h1>Schema: <code>{_e(report.service)}</code></h1>"
            f'<p class="muted">{_e(report.dialect_label)} · read from '
            f"{_e(report.source.describe().replace('`', ''))}</p>{restricted}"
            f"{_summary(report)}</header>")


def _filter_bar(report: IntrospectionReport) -> str:
    n = len(report.schema.tables)
    return ('<div id="filter-bar"><label for="filter">Filter</label>'
            '<input id="filter" type="search" placeholder="table or column name" '
            'autocomplete="off" spellcheck="false">'
            f'<span id="filter-count" class="muted">{n} of {n} tables</span></div>')


def _migrations(report: IntrospectionReport) -> str:
    rows = [(f"<code>{_e(m.name)}</code>", _e(m.state), _e(m.applied_at or ""), _e(m.summary))
            for m in report.migrations]
    body = _grid(("Migration", "State", "Applied at", "Contents"), rows) if rows \
        else "<p>No migration files.</p>"
    return f'<section class="block" id="migrations"><h2>Migrations (in order)</h2>{body}</section>'


def _columns(t: Table) -> str:
    rows = []
    for c in t.columns:
        keys = ", ".join(column_keys(t, c))
        rows.append((f"<code>{_e(c.name)}</code>", _e(c.type), "yes" if c.nullable else "no",
                     f"<code>{_e(default_text(c))}</code>", f'<span class="key">{_e(keys)}</span>',
                     _e(", ".join(references(t, c)))))
    return _grid(("Column", "Type", "Null", "Default", "Key", "References"), rows)


def _extras(report: IntrospectionReport, t: Table) -> str:
    items = [f"index <code>{_e(i.name)}</code> ({_e(index_columns(i))})"
             + (f" {uniqueness(i)}" if i.unique else "")
             + (f" where <code>{_e(i.where)}</code>" if i.where else "")
             for i in t.indexes]
    items += [f"unique ({_e(', '.join(u.columns))}) nulls not distinct" for u in t.uniques
              if u.nulls_not_distinct]
    items += [f"check <code>{_e(check_text(c))}</code>" for c in t.checks]
    items += [f"foreign key ({_e(', '.join(f.columns))}) → {_e(f.ref_key)} NOT VALID"
              for f in t.foreign_keys if f.not_valid]
    items += [f"trigger <code>{_e(tr.name)}</code>: {_e(tr.timing)} {_e(' OR '.join(tr.events))}"
              for tr in report.schema.triggers if tr.table == t.key]
    if report.has_security:
        items.append(f"row-level security {'enabled' if t.rls_enabled else '<b>disabled</b>'}")
        items += [f"policy <code>{_e(p.name)}</code> {_e(p.command)} to {_e(', '.join(p.roles))}"
                  for p in t.policies]
        items += [f"grant {_e(g.render())}" for g in t.grants]
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>" if items else ""


def _table_section(report: IntrospectionReport, t: Table) -> str:
    search = " ".join([t.key, *(c.name for c in t.columns)]).lower()
    purpose = report.purpose(t)
    registry = report.registry(t)
    meta = f'<p>{_e(purpose)}</p>' if purpose else ""
    if registry and registry.lower() != "none":
        meta += f'<p class="muted">Registry: {_e(registry)}</p>'
    anchor = "t-" + "".join(ch if ch.isalnum() else "-" for ch in t.key)
    return (f'<section class="table-section" id="{_e(anchor)}" data-table="{_e(t.key)}" '
            f'data-search="{_e(search)}"><h3><code>{_e(t.key)}</code></h3>{meta}'
            f"{_columns(t)}{_extras(report, t)}</section>")


def render_html(report: IntrospectionReport) -> str:
    """The complete page."""
    title = f"{report.service} — dbtool schema report"
    sections = "".join(_table_section(report, t) for t in report.schema.tables)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head>"
        f"<body>{_header(report)}{_filter_bar(report)}"
        '<section class="block" id="erd"><h2>Entity-relationship diagram</h2>'
        f'<div class="erd-scroll">{render_svg(report.schema)}</div></section>'
        f"{_migrations(report)}"
        f'<main id="tables"><h2>Tables</h2>{sections}</main>'
        f"<script>{JS}</script></body></html>\n"
    )


__all__ = ["render_html"]
