"""Report sections follow what the schema holds (and what its dialect can hold), never the
dialect's name: a Postgres schema always has a row-level-security state, and any schema that
holds functions, policies or publications shows them."""

from __future__ import annotations

from dbtool.model import Function, Policy, Publication, Schema, Table
from dbtool.report.data import IntrospectionReport, Source
from dbtool.report.html import render_html
from dbtool.report.markdown import render_markdown
from dbtool.report.text import render_text

SECTIONS = ("## Functions", "## Row-level security", "## Publications")


def report(dialect: str, schema: Schema) -> IntrospectionReport:
    return IntrospectionReport("svc", dialect, Source("scratch", "scratch"), schema)


def _text(r: IntrospectionReport) -> str:
    from rich.console import Console

    console = Console(width=200, record=True)
    for item in render_text(r):
        console.print(item)
    return console.export_text()


def test_a_plain_sqlite_schema_has_none_of_them() -> None:
    r = report("d1", Schema(tables=(Table("t"),)))
    markdown = render_markdown(r)
    assert not any(s in markdown for s in SECTIONS) and "**Policies:**" not in markdown
    assert "row-level security" not in render_html(r) and "row-level security" not in _text(r)


def test_a_postgres_schema_without_such_objects_says_it_has_none() -> None:
    markdown = render_markdown(report("postgres", Schema(tables=(Table("t"),))))
    assert all(s in markdown for s in SECTIONS)
    assert "No functions." in markdown and "No publications." in markdown
    assert "- **Row-level security:** disabled" in markdown


def test_a_schema_that_holds_them_shows_them_whatever_its_dialect() -> None:
    table = Table("t", rls_enabled=True, policies=(Policy("own rows", using="true"),))
    schema = Schema(tables=(table,), functions=(Function("f", "", "int", "sql", "SELECT 1"),),
                    publications=(Publication("p", ("t",)),))
    r = report("sqlite", schema)
    markdown = render_markdown(r)
    assert all(s in markdown for s in SECTIONS)
    assert "**Functions:** 1" in markdown and "**Policies:** 1" in markdown
    assert "enabled, 1 policy" in markdown
    assert "own rows" in render_html(r) and "own rows" in _text(r)
