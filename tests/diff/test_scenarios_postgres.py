"""`dbtool diff` on the Postgres services (scenes, studio), from their seeds.

On existing tables holding rows: a new index (CREATE INDEX CONCURRENTLY in a second,
no-transaction file), a new foreign key (NOT VALID, validated in that second file) and
a type change; applied with `dbtool migrate`, every row is kept, `check` is clean and
the new files have no lint finding. scenes also gets a new pair of tables with circular
foreign keys, like its own scenes <-> prompts.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from dbtool.snapshot import load
from tests.conftest import require_postgres
from tests.diff.support import (
    PostgresRows,
    assert_rows_kept,
    dbtool,
    edit_snapshot,
    fill,
    make_project,
    snapshot_rows,
)


def scenes_edit(doc: dict[str, Any]) -> None:
    tables = doc["tables"]
    tables["scenes"]["indexes"]["idx_scenes_created_at"] = {"columns": ["created_at"]}
    tables["scenes"]["columns"]["creator_fid"]["type"] = "bigint"
    tables["prompts"]["columns"]["reviewer_scene_id"] = {"type": "integer", "nullable": True}
    tables["prompts"]["foreign_keys"].append({"columns": ["reviewer_scene_id"], "ref_table": "scenes",
                                              "ref_columns": ["id"], "on_delete": "SET NULL"})
    tables["prompts"]["indexes"]["idx_prompts_reviewer_scene_id"] = {"columns": ["reviewer_scene_id"]}
    tables["branches"] = {
        "columns": {"id": {"type": "integer", "nullable": False},
                    "head_id": {"type": "integer", "nullable": True}},
        "primary_key": {"columns": ["id"]},
        "foreign_keys": [{"columns": ["head_id"], "ref_table": "leaves", "ref_columns": ["id"]}],
        "indexes": {"idx_branches_head_id": {"columns": ["head_id"]}},
    }
    tables["leaves"] = {
        "columns": {"id": {"type": "integer", "nullable": False},
                    "branch_id": {"type": "integer", "nullable": False}},
        "primary_key": {"columns": ["id"]},
        "foreign_keys": [{"columns": ["branch_id"], "ref_table": "branches", "ref_columns": ["id"],
                          "on_delete": "CASCADE"}],
        "indexes": {"idx_leaves_branch_id": {"columns": ["branch_id"]}},
    }


def studio_edit(doc: dict[str, Any]) -> None:
    tables = doc["tables"]
    tables["generations"]["indexes"]["idx_generations_name"] = {"columns": ["name"]}
    tables["credits_ledger"]["columns"]["amount"]["type"] = "numeric(16,3)"
    tables["tasks"]["columns"]["source_generation_id"] = {"type": "uuid", "nullable": True}
    tables["tasks"].setdefault("foreign_keys", []).append(
        {"columns": ["source_generation_id"], "ref_table": "generations", "ref_columns": ["id"],
         "on_delete": "SET NULL"})
    tables["tasks"]["indexes"]["idx_tasks_source_generation_id"] = {"columns": ["source_generation_id"]}


SCENARIOS = {"scenes": scenes_edit, "studio": studio_edit}


@pytest.mark.postgres
@pytest.mark.parametrize("service", sorted(SCENARIOS))
def test_diff_on_existing_tables_keeps_every_row(service: str, tmp_path: Path, pg_url: str) -> None:
    require_postgres()
    project = make_project(tmp_path, service)
    prelude = ("--prelude",) if service == "studio" else ()
    migrate = dbtool(project, "migrate", service, "--url", pg_url, *prelude)
    assert migrate.returncode == 0, migrate.stderr
    schema = load(project / "schemas" / f"{service}.yaml").schema
    rows = PostgresRows(pg_url)
    outside = {}
    if service == "studio":  # users.id references the prelude's auth.users
        outside["auth.users"] = [
            {"id": r[0]} for r in rows.conn.execute(
                "INSERT INTO auth.users (id) SELECT gen_random_uuid() FROM generate_series(1, 6) RETURNING id")]
    counts = fill(rows, schema, random.Random(f"pg-{service}"), outside=outside)
    assert all(counts.values()), f"tables without rows: {[t for t, n in counts.items() if not n]}"
    before = snapshot_rows(rows, schema)
    rows.close()

    edit_snapshot(project, service, SCENARIOS[service])
    proc = dbtool(project, "diff", service, "index fk type", "--format", "json", pg=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    first, second = result["files"]
    assert first["transaction"] and not second["transaction"]
    assert first["statements"][0] == "SET LOCAL lock_timeout = '5s'"
    assert any("NOT VALID" in s and "FOREIGN KEY" in s for s in first["statements"])
    assert any(s.startswith("CREATE INDEX CONCURRENTLY") for s in second["statements"])
    assert any("VALIDATE CONSTRAINT" in s for s in second["statements"])
    assert any("ALTER COLUMN" in s and " TYPE " in s for s in first["statements"])

    migrate = dbtool(project, "migrate", service, "--url", pg_url)
    assert migrate.returncode == 0, migrate.stderr
    rows = PostgresRows(pg_url)
    after = snapshot_rows(rows, load(project / "schemas" / f"{service}.yaml").schema)
    rows.close()
    assert_rows_kept(before, after, seed=service)
    check = dbtool(project, "check", service, pg=True)
    assert check.returncode == 0, check.stdout + check.stderr
    for generated in result["files"]:
        lint = dbtool(project, "lint", generated["path"], "--format", "json")
        assert lint.returncode == 0, lint.stdout
        active = [d for r in json.loads(lint.stdout)["reports"] for d in r["diagnostics"] if not d["suppressed"]]
        assert active == [], active


@pytest.mark.postgres
def test_no_lock_safe_writes_plain_forms_in_one_file(tmp_path: Path) -> None:
    require_postgres()
    project = make_project(tmp_path, "scenes")

    def edit(doc: dict[str, Any]) -> None:
        scenes = doc["tables"]["scenes"]
        scenes["indexes"]["idx_scenes_created_at"] = {"columns": ["created_at"]}
        scenes["columns"]["status"]["nullable"] = False
        scenes["checks"].append({"expression": "generation_attempts >= 0"})

    edit_snapshot(project, "scenes", edit)
    proc = dbtool(project, "diff", "scenes", "plain", "--no-lock-safe", "--fill",
                  "scenes.status='pending_payment'", "--format", "json", pg=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (file,) = json.loads(proc.stdout)["files"]
    assert file["transaction"] is True
    text = (project / "migrations" / "scenes" / file["name"]).read_text()
    assert "CONCURRENTLY" not in text and "NOT VALID" not in text and "VALIDATE" not in text
    assert "-- dbtool:lint-ignore PG101 written with --no-lock-safe" in text
    assert "-- dbtool:lint-ignore PG105 written with --no-lock-safe" in text
    assert dbtool(project, "check", "scenes", pg=True).returncode == 0
