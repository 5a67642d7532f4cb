"""`dbtool diff` on the five D1 services, from their seeds, with rows in every table.

Each scenario edits the snapshot, writes the migration with `dbtool diff`, applies it
with `dbtool migrate` to a database (foreign keys on, as D1 enforces them) that holds
rows in every table, and checks what a user would: every row still there by primary
key with its values, `dbtool check` clean, and no lint finding in the new file.
Each one rebuilds a table that other tables reference ON DELETE CASCADE / SET NULL,
the rebuild that drizzle-kit's generated SQL turns into data loss on D1.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dbtool.snapshot import load
from tests.diff.support import (
    SqliteRows,
    assert_rows_kept,
    dbtool,
    edit_snapshot,
    fill,
    make_project,
    snapshot_rows,
)

Edit = Callable[[dict[str, Any]], None]


def add_column(table: str, name: str, spec: dict[str, Any]) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        doc["tables"][table]["columns"][name] = spec
    return edit


def add_check(table: str, expression: str) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        doc["tables"][table].setdefault("checks", []).append({"expression": expression})
    return edit


def widen_check(table: str, old: str, new: str) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        for check in doc["tables"][table]["checks"]:
            check["expression"] = check["expression"].replace(old, new)
    return edit


def set_column(table: str, name: str, **fields: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        doc["tables"][table]["columns"][name].update(fields)
    return edit


def add_table(name: str, spec: dict[str, Any]) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        doc["tables"][name] = spec
    return edit


def both(*edits: Edit) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        for e in edits:
            e(doc)
    return edit


EXPORT_FILES = {
    "columns": {"id": {"type": "TEXT", "nullable": True},
                "job_id": {"type": "TEXT", "nullable": False},
                "key": {"type": "TEXT", "nullable": False}},
    "primary_key": {"columns": ["id"]},
    "foreign_keys": [{"columns": ["job_id"], "ref_table": "export_jobs", "ref_columns": ["id"],
                      "on_delete": "CASCADE"}],
    "indexes": {"idx_export_files_job_id": {"columns": ["job_id"]}},
}

# service -> steps; each step is (label, edit, rebuilt table, tables cascading from it, options)
SCENARIOS: dict[str, list[tuple[str, Edit, str, set[str], tuple[str, ...]]]] = {
    "api": [
        ("repertoire mastered", widen_check("user_repertoire", "'dropped')", "'dropped', 'mastered')"),
         "user_repertoire", set(), ()),
        ("user plan", both(add_column("users", "plan", {"type": "TEXT", "nullable": False, "default": "'free'"}),
                           add_check("users", "plan IN ('free', 'pro')")),
         "users", {"goal_progress", "idempotency_keys", "score_annotations", "sync_data", "user_repertoire"}, ()),
    ],
    "registry": [
        ("job priority", both(add_column("jobs", "priority", {"type": "INTEGER", "nullable": False, "default": "0"}),
                              add_check("jobs", "priority BETWEEN 0 AND 9")),
         "jobs", {"events", "feedback", "interpretations", "learning_runs"}, ()),
    ],
    "scores": [
        ("archived visibility", widen_check("scores", "'unlisted')", "'unlisted', 'archived')"),
         "scores", {"collection_members", "score_analytics", "score_pages", "score_versions"}, ()),
    ],
    "dictionary": [
        ("require sources", set_column("dictionary_entries", "sources", nullable=False, default="'[]'"),
         "dictionary_entries", {"ai_model_usage", "manual_review_queue", "related_terms",
                                "term_embeddings", "user_feedback"},
         ("--fill", "dictionary_entries.sources='[]'")),
    ],
    "export": [
        ("export files", add_table("export_files", EXPORT_FILES), "", set(), ()),
        ("cancelled status", widen_check("export_jobs", "'error')", "'error', 'cancelled')"),
         "export_jobs", {"export_files"}, ()),
    ],
}


def _migrate(project: Path, service: str, db: Path) -> None:
    proc = dbtool(project, "migrate", service, "--url", f"sqlite:///{db}")
    assert proc.returncode == 0, proc.stderr + proc.stdout


def _new_file_lint(project: Path, path: str) -> list[dict[str, Any]]:
    proc = dbtool(project, "lint", path, "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    return [d for r in report["reports"] for d in r["diagnostics"] if not d["suppressed"]]


@pytest.mark.parametrize("service", sorted(SCENARIOS))
def test_diff_rebuilds_without_losing_a_row(service: str, tmp_path: Path) -> None:
    project = make_project(tmp_path, service)
    db = tmp_path / f"{service}.db"
    _migrate(project, service, db)
    rng = random.Random(f"scenario-{service}")
    for label, edit, rebuilt, cascading, options in SCENARIOS[service]:
        schema = load(project / "schemas" / f"{service}.yaml").schema
        rows = SqliteRows(db)
        counts = fill(rows, schema, rng)
        assert all(counts.values()), f"tables without rows: {[t for t, n in counts.items() if not n]}"
        before = snapshot_rows(rows, schema)
        rows.close()

        edit_snapshot(project, service, edit)
        proc = dbtool(project, "diff", service, label, "--format", "json", *options)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "written" and len(result["files"]) == 1
        ops = [op for f in result["files"] for op in f["operations"]]
        if rebuilt:
            rebuild = next(op for op in ops if op["op"] == "rebuild_tables")
            assert {t["new"]["name"] for t in rebuild["tables"]} == {rebuilt, *cascading}
        _migrate(project, service, db)
        after_schema = load(project / "schemas" / f"{service}.yaml").schema
        rows = SqliteRows(db)
        after = snapshot_rows(rows, after_schema)
        rows.close()
        filled = {("dictionary_entries", "sources")} if options else set()
        assert_rows_kept(before, after, seed=f"{service}/{label}", ignore_columns=filled)
        check = dbtool(project, "check", service)
        assert check.returncode == 0, check.stdout + check.stderr
        assert _new_file_lint(project, result["files"][0]["path"]) == []
