"""Mermaid `erDiagram` of a report (pure; GitHub renders it in Markdown).

Every table becomes an entity listing its columns with type and PK/FK/UK
markers; every foreign key becomes one relationship, `||--o{` when many child
rows may point at one parent row and `||--o|` when the foreign key columns
are unique (one-to-one). Mermaid's grammar is narrow — entity and attribute
names are words, types may not contain spaces or commas — so identifiers are
sanitised, and two names that sanitise alike get distinct suffixes.
"""

from __future__ import annotations

import re

from dbtool.model import Table
from dbtool.report.data import IntrospectionReport
from dbtool.report.facts import column_keys, relationships

_NOT_WORD = re.compile(r"[^A-Za-z0-9_]")
_NOT_TYPE = re.compile(r"[^A-Za-z0-9_()\[\]-]")


def _word(text: str) -> str:
    word = _NOT_WORD.sub("_", text.strip()) or "_"
    return word if (word[0].isalpha() or word[0] == "_") else f"_{word}"


def mermaid_type(text: str) -> str:
    """A column type as a Mermaid attribute type: `timestamp with time zone` ->
    `timestamp_with_time_zone`, `numeric(14,3)` -> `numeric(14-3)`."""
    cleaned = _NOT_TYPE.sub("_", text.strip().replace(",", "-").replace(" ", "_")) or "unknown"
    return cleaned if cleaned[0].isalpha() or cleaned[0] == "_" else f"t_{cleaned}"


class EntityNames:
    """Table key -> unique Mermaid entity name (stable: assigned in sorted key order)."""

    def __init__(self, keys: list[str]) -> None:
        self.names: dict[str, str] = {}
        used: set[str] = set()
        for key in sorted(set(keys)):
            base = candidate = _word(key)
            n = 2
            while candidate.lower() in used:
                candidate, n = f"{base}_{n}", n + 1
            used.add(candidate.lower())
            self.names[key] = candidate

    def __getitem__(self, key: str) -> str:
        return self.names[key]


def _entity(table: Table, name: str) -> list[str]:
    lines = [f"    {name} {{"]
    for column in table.columns:
        keys = column_keys(table, column)
        marker = f" {', '.join(keys)}" if keys else ""
        lines.append(f"        {mermaid_type(column.type or 'any')} {_word(column.name)}{marker}")
    lines.append("    }")
    return lines


def render_mermaid(report: IntrospectionReport) -> str:
    """The diagram source, without Markdown fences, ending in a newline."""
    rels = relationships(report.schema)
    names = EntityNames([t.key for t in report.schema.tables] + [r.parent for r in rels])
    lines = ["erDiagram"]
    for table in report.schema.tables:
        lines += _entity(table, names[table.key])
    for rel in rels:
        shape = "||--o|" if rel.unique else "||--o{"
        label = ", ".join(rel.columns).replace('"', "'")
        lines.append(f'    {names[rel.parent]} {shape} {names[rel.child]} : "{label}"')
    return "\n".join(lines) + "\n"


__all__ = ["EntityNames", "mermaid_type", "render_mermaid"]
