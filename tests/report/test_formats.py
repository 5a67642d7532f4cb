"""Every format on the seven bundled services (scratch builds), and on the fixture."""

from __future__ import annotations

import json
import re

import pytest

from dbtool.report import render
from dbtool.report.columns import column_rows
from dbtool.report.facts import relationships
from dbtool.report.html import render_html
from dbtool.report.json_format import columns_document, report_document
from dbtool.report.markdown import render_markdown
from dbtool.report.mermaid import render_mermaid
from tests.report.fixture import fixture_report
from tests.report.support import (
    DOCS,
    SERVICES,
    assert_golden,
    assert_valid,
    rich_text,
    service_report,
)

each_service = pytest.mark.parametrize("service", SERVICES)


@each_service
def test_text_has_summary_migrations_and_every_table(service: str) -> None:
    report = service_report(service)
    text = rich_text(render(report, "text"))
    counts = report.summary()
    assert re.search(rf"tables\s+{counts['tables']}\b", text)
    assert re.search(rf"columns\s+{counts['columns']}\b", text)
    assert re.search(rf"policies\s+{counts['policies']}\b", text)
    assert f"migrations    {len(report.migrations)} applied, 0 pending" in text
    for table in report.schema.tables:
        assert re.search(rf"^{re.escape(table.key)}\b", text, re.M), table.key
    for migration in report.migrations:
        assert migration.name in text


@each_service
def test_json_validates_against_the_shipped_schema(service: str) -> None:
    report = service_report(service)
    document = json.loads(render(report, "json"))
    assert_valid(document)
    assert (document["format"], document["version"]) == ("dbtool-introspect", 1)
    assert [t["key"] for t in document["schema"]["tables"]] == [t.key for t in report.schema.tables]
    assert document["summary"]["migrations"]["applied"] == len(report.migrations)
    purposes = {t["key"]: t["annotations"].get("purpose") for t in document["schema"]["tables"]}
    assert all(purposes.values()), "every bundled table has an annotated purpose"


@each_service
def test_markdown_equals_the_committed_document(service: str) -> None:
    """docs/schema/<service>.md is the golden file (and `dbtool check` guards it)."""
    text = render_markdown(service_report(service))
    assert text == (DOCS / f"{service}.md").read_text(encoding="utf-8")
    assert "## Migrations (in order)" in text and "```mermaid\nerDiagram\n" in text


@each_service
def test_mermaid_golden_and_structure(service: str) -> None:
    report = service_report(service)
    text = render_mermaid(report)
    assert_golden(f"{service}.mmd", text)
    lines = text.splitlines()
    assert lines[0] == "erDiagram"
    entities = {m.group(1) for line in lines if (m := re.fullmatch(r" {4}(\w+) \{", line))}
    assert entities == {t.key for t in report.schema.tables}
    edges = [line for line in lines if re.fullmatch(r' {4}\w+ \|\|--o[{|] \w+ : "[^"]*"', line)]
    assert len(edges) == len(relationships(report.schema))
    assert sum(len(t.foreign_keys) for t in report.schema.tables) == len(edges)


@each_service
def test_html_is_self_contained_with_a_section_and_node_per_table(service: str) -> None:
    report = service_report(service)
    page = render_html(report)
    for table in report.schema.tables:
        assert re.search(rf'<section class="table-section" id="t-[\w-]+" '
                         rf'data-table="{re.escape(table.key)}" data-search="', page)
        assert f'<g class="erd-node" data-table="{table.key}"' in page
    assert page.count('<g class="erd-node"') == len(report.schema.tables)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|@import|url\((?!#)""", page)
    assert "<script>" in page and "<style>" in page


@each_service
def test_columns_list_table_and_json(service: str) -> None:
    report = service_report(service)
    rows = column_rows(report)
    assert len(rows) == report.summary()["columns"]
    assert [r["table_name"] for r in rows] == sorted(r["table_name"] for r in rows)
    document = columns_document(report)
    assert_valid(document)
    text = rich_text(render(report, "columns"), width=400)
    assert "table_name" in text and "column_default" in text
    first = rows[0]
    assert re.search(rf"{first['table_name']}\s+│\s+{first['column_name']}\s+│", text)


# -- the fixture: what the bundled services do not cover -------------------------------
def test_fixture_goldens() -> None:
    report = fixture_report()
    assert_golden("fixture.md", render_markdown(report))
    assert_golden("fixture.mmd", render_mermaid(report))
    assert_valid(report_document(report))
    assert_valid(json.loads(render(report, "json", columns=True)))


def test_fixture_renders_edge_cases() -> None:
    report = fixture_report()
    md = render_markdown(report)
    assert "`'a \\| b'::text`" in md  # a pipe inside a default stays inside its cell
    assert "| **accounts** | **Core** | Who signs in |" in md
    assert "| **profiles** | — |  |" in md
    assert "| 0003_teams.sql | pending |  |" in md and "| 0000_gone.sql | missing |" in md
    assert "INSERT OR UPDATE OF handle" in md
    assert "| `handle` | character varying(40) | no |  | UK |  | Public @name |" in md
    mmd = render_mermaid(report)
    assert "accounts ||--o| profiles" in mmd  # the FK is the PK: one-to-one
    assert "team_memberships ||--o{ team_memberships" in mmd
    assert "auth_users ||--o{ accounts" in mmd  # a table in another schema
    assert "character_varying(40) handle UK" in mmd
    page = render_html(report)
    assert page.count('<g class="erd-node"') == 3
    assert 'data-search="team-memberships team_id account_id parent_team role"' in page
    text = rich_text(render(report, "text"))
    assert "policy 'no deletes' DELETE to public" in text
    assert "'a | b'::text" in text
