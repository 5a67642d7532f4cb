"""Introspection reports: the data is assembled once (`IntrospectionReport`),
and every format is a pure function of it.

| format   | module        | returns                      |
|----------|---------------|------------------------------|
| text     | `text`        | Rich renderables             |
| json     | `json_format` | str (validated by the schema) |
| markdown | `markdown`    | str                          |
| mermaid  | `mermaid`     | str                          |
| html     | `html`        | str (self-contained page)    |
| columns  | `columns`     | Rich table / rows            |

Renderers are imported lazily by `render`, so importing the package costs
nothing beyond the data classes.
"""

from __future__ import annotations

from typing import Any

from dbtool.report.data import IntrospectionReport, MigrationEntry, Source, restrict

FORMATS = ("text", "json", "markdown", "mermaid", "html", "columns")
SCHEMA_RESOURCE = "data/introspect.schema.json"


def render(report: IntrospectionReport, fmt: str, *, columns: bool = False) -> Any:
    """The report in `fmt`: a str for json/markdown/mermaid/html (and columns+json),
    a list of Rich renderables for text and columns."""
    if fmt == "columns" or (columns and fmt == "text"):
        from dbtool.report.columns import render_columns_table

        return [render_columns_table(report)]
    if fmt == "json":
        from dbtool.report import json_format

        return json_format.render_columns_json(report) if columns else json_format.render_json(report)
    if fmt == "text":
        from dbtool.report.text import render_text

        return render_text(report)
    if fmt == "markdown":
        from dbtool.report.markdown import render_markdown

        return render_markdown(report)
    if fmt == "mermaid":
        from dbtool.report.mermaid import render_mermaid

        return render_mermaid(report)
    if fmt == "html":
        from dbtool.report.html import render_html

        return render_html(report)
    raise ValueError(f"unknown report format {fmt!r}")


def json_schema_text() -> str:
    """The JSON Schema shipped in the package (describes `--format json` output)."""
    from importlib.resources import files

    return files("dbtool").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")


__all__ = ["FORMATS", "IntrospectionReport", "MigrationEntry", "Source", "json_schema_text",
           "render", "restrict"]
