"""JSON documents of a report (pure): the full report and the column list.

Unlike a snapshot, which leaves defaults out to stay short, the JSON report
spells out every field of every object (a script should not need to know the
model's defaults), with each object's annotations next to it. The shape is
versioned: `{"format": "dbtool-introspect", "version": 1, ...}`, described by
the JSON Schema shipped as `dbtool/data/introspect.schema.json` and documented
in docs/introspect.md. Any incompatible change bumps `version`.
"""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from typing import Any

from dbtool import __version__
from dbtool.model import Table
from dbtool.report.columns import column_rows
from dbtool.report.contents import MigrationContents
from dbtool.report.data import IntrospectionReport, MigrationEntry

FORMAT = "dbtool-introspect"
COLUMNS_FORMAT = "dbtool-introspect-columns"
VERSION = 1
# A table's nested objects that carry annotations (tables.<t>.columns.<c> …).
_ANNOTATED = ("columns", "indexes", "policies")
_SECTIONS = ("tables", "views", "triggers", "functions", "enums", "sequences", "extensions",
             "publications")


def plain(obj: Any) -> Any:
    """Every field of a model object as JSON data (tuples become lists)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple | list):
        return [plain(item) for item in obj]
    return obj


def _annotated(report: IntrospectionReport, obj: Any, path: tuple[str, ...]) -> dict[str, Any]:
    """The object's fields plus its key and annotations; a table's columns,
    indexes and policies carry their own annotations, its foreign keys `ref_key`."""
    data: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(obj, Table) and f.name in _ANNOTATED:
            data[f.name] = [_annotated(report, item, (*path, f.name, item.name)) for item in value]
        elif isinstance(obj, Table) and f.name == "foreign_keys":
            data[f.name] = [{**plain(fk), "ref_key": fk.ref_key} for fk in value]
        else:
            data[f.name] = plain(value)
    key = getattr(obj, "key", None)
    if isinstance(key, str):
        data["key"] = key
    data["annotations"] = dict(report.note(*path))
    return data


def _schema(report: IntrospectionReport) -> dict[str, Any]:
    return {section: [_annotated(report, item, (section, _object_id(item)))
                      for item in getattr(report.schema, section)]
            for section in _SECTIONS}


def _object_id(obj: Any) -> str:
    """The name an annotation path uses: the key, or a trigger's name."""
    key = getattr(obj, "key", None)
    return key if isinstance(key, str) else obj.name


def contents_data(contents: MigrationContents | None) -> dict[str, Any] | None:
    return None if contents is None else plain(contents)


def _migration(entry: MigrationEntry) -> dict[str, Any]:
    return {"name": entry.name, "state": entry.state, "applied_at": entry.applied_at,
            "checksum": entry.checksum, "summary": entry.summary,
            "contents": contents_data(entry.contents), "problem": entry.problem}


def report_document(report: IntrospectionReport) -> dict[str, Any]:
    """The JSON report as plain data, keys in a fixed order."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "generator": f"dbtool {__version__}",
        "service": report.service,
        "dialect": report.dialect,
        "source": plain(report.source),
        "tables_filter": list(report.tables_filter),
        "summary": {**report.summary(), "migrations": report.migration_counts()},
        "schema": _schema(report),
        "migrations": [_migration(m) for m in report.migrations],
    }


def columns_document(report: IntrospectionReport) -> dict[str, Any]:
    """Seed 004's quick column list, with information_schema's column names."""
    return {"format": COLUMNS_FORMAT, "version": VERSION, "service": report.service,
            "dialect": report.dialect, "columns": column_rows(report)}


def dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_json(report: IntrospectionReport) -> str:
    return dumps(report_document(report))


def render_columns_json(report: IntrospectionReport) -> str:
    return dumps(columns_document(report))


__all__ = ["COLUMNS_FORMAT", "FORMAT", "VERSION", "columns_document", "plain",
           "render_columns_json", "render_json", "report_document"]
