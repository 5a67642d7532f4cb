"""export (seed 003): `0001_create_export_jobs.sql` as the seed writes it, and every query
example of the seed run against the migrated schema with bound parameters.

The seed's "Get User's Recent Jobs" example reads `projects`, a table the seed keeps
outside D1 ("Currently, the main database (projects, clips, games) stays in local SQLite";
"For now, only `export_jobs` lives in D1"). The migration deliberately does not create it,
so that query fails on D1 with "no such table: projects": the Worker must resolve a user's
project ids in the app's SQLite database first and query export_jobs by project_id.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest

from tests.services.d1_expectations import EXPORT as SVC
from tests.services.d1_expectations import (
    MIGRATIONS,
    assert_check,
    assert_columns,
    assert_exact_files,
    assert_index,
    assert_tables,
    assert_unique,
    d1_violations,
    migration_files,
)

# The seed's D1 query examples, verbatim.
CREATE_JOB = """
  INSERT INTO export_jobs (id, project_id, type, input_video_key, params)
  VALUES (?, ?, ?, ?, ?)
"""
GET_JOB = """
  SELECT * FROM export_jobs WHERE id = ?
"""
ACTIVE_JOBS = """
  SELECT * FROM export_jobs
  WHERE project_id = ? AND status IN ('pending', 'processing')
  ORDER BY created_at DESC
"""
UPDATE_STATUS = """
  UPDATE export_jobs
  SET status = ?, progress = ?, started_at = datetime('now')
  WHERE id = ?
"""
MARK_COMPLETE = """
  UPDATE export_jobs
  SET status = 'complete', progress = 100, output_video_key = ?, completed_at = datetime('now')
  WHERE id = ?
"""
MARK_ERROR = """
  UPDATE export_jobs
  SET status = CASE WHEN retry_count < 3 THEN 'pending' ELSE 'error' END,
      error = ?,
      retry_count = retry_count + 1
  WHERE id = ?
"""
RECENT_JOBS = """
  SELECT * FROM export_jobs
  WHERE project_id IN (SELECT id FROM projects WHERE user_id = ?)
  ORDER BY created_at DESC
  LIMIT 20
"""


@pytest.fixture
def db(db: sqlite3.Connection) -> sqlite3.Connection:
    """The shared copy (tests/services/conftest.py), with rows by column name."""
    db.row_factory = sqlite3.Row
    return db


def _create(conn: sqlite3.Connection, project_id: int, kind: str = "overlay") -> str:
    job_id = str(uuid.uuid4())
    params = {"highlight_regions": [{"x": 1, "y": 2}], "crop_keyframes": []}
    conn.execute(CREATE_JOB, (job_id, project_id, kind, f"input/{project_id}.mp4", json.dumps(params)))
    return job_id


# -- schema --------------------------------------------------------------------------------

def test_single_file_as_the_seed_names_it() -> None:
    assert_exact_files(SVC)


def test_file_keeps_the_seed_header_with_a_real_date() -> None:
    text = (MIGRATIONS / "export" / "0001_create_export_jobs.sql").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "-- Migration: Create export_jobs table"
    assert lines[1].startswith("-- Created: 20") and "XX" not in lines[1]


def test_table_and_columns(db: sqlite3.Connection) -> None:
    assert_tables(db, SVC)
    assert_columns(db, "export_jobs", SVC.tables["export_jobs"])


@pytest.mark.parametrize("name", sorted(SVC.indexes))
def test_indexes(db: sqlite3.Connection, name: str) -> None:
    assert_index(db, name, SVC.indexes[name])


def test_primary_key_is_unique(db: sqlite3.Connection) -> None:
    db.row_factory = None
    assert_unique(db, SVC, "export_jobs", ("id",))


@pytest.mark.parametrize("check", SVC.checks, ids=lambda c: f"{c.table}.{c.column}")
def test_checks(db: sqlite3.Connection, check) -> None:
    db.row_factory = None
    assert_check(db, SVC, check)


def test_defaults(db: sqlite3.Connection) -> None:
    job = db.execute(GET_JOB, (_create(db, 1),)).fetchone()
    assert (job["status"], job["progress"], job["retry_count"]) == ("pending", 0, 0)
    assert job["created_at"] and job["started_at"] is None and job["completed_at"] is None


@pytest.mark.parametrize("path", migration_files(SVC.name), ids=lambda p: p.name)
def test_file_obeys_d1_rules(path: Path) -> None:
    assert d1_violations(path) == []


# -- the seed's query examples -------------------------------------------------------------

def test_create_and_get_job(db: sqlite3.Connection) -> None:
    job_id = _create(db, 42, "framing")
    job = db.execute(GET_JOB, (job_id,)).fetchone()
    assert job["project_id"] == 42 and job["type"] == "framing"
    assert json.loads(job["params"])["highlight_regions"] == [{"x": 1, "y": 2}]
    assert db.execute(GET_JOB, ("no-such-id",)).fetchone() is None


def test_get_active_jobs_for_project(db: sqlite3.Connection) -> None:
    a, b, c = _create(db, 7), _create(db, 7), _create(db, 7)
    other = _create(db, 8)
    db.execute(UPDATE_STATUS, ("processing", 10, b))
    db.execute(MARK_COMPLETE, ("output/c.mp4", c))
    active = [r["id"] for r in db.execute(ACTIVE_JOBS, (7,))]
    assert set(active) == {a, b} and other not in active
    plan = " ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + ACTIVE_JOBS, (7,)))
    assert "idx_export_jobs_project_status" in plan


def test_update_job_status(db: sqlite3.Connection) -> None:
    job_id = _create(db, 1)
    db.execute(UPDATE_STATUS, ("processing", 0, job_id))
    job = db.execute(GET_JOB, (job_id,)).fetchone()
    assert job["status"] == "processing" and job["progress"] == 0 and job["started_at"]
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        db.execute(UPDATE_STATUS, ("running", 5, job_id))


def test_mark_job_complete(db: sqlite3.Connection) -> None:
    job_id = _create(db, 1)
    db.execute(MARK_COMPLETE, ("output/1.mp4", job_id))
    job = db.execute(GET_JOB, (job_id,)).fetchone()
    assert (job["status"], job["progress"], job["output_video_key"]) == ("complete", 100, "output/1.mp4")
    assert job["completed_at"]


def test_mark_job_error_retries_three_times_then_fails(db: sqlite3.Connection) -> None:
    job_id = _create(db, 1)
    seen = []
    for attempt in range(4):
        db.execute(MARK_ERROR, (f"RunPod timeout #{attempt}", job_id))
        job = db.execute(GET_JOB, (job_id,)).fetchone()
        seen.append((job["status"], job["retry_count"]))
    assert seen == [("pending", 1), ("pending", 2), ("pending", 3), ("error", 4)]
    assert db.execute(GET_JOB, (job_id,)).fetchone()["error"] == "RunPod timeout #3"


def test_runpod_and_queue_lookups_use_their_indexes(db: sqlite3.Connection) -> None:
    """The seed's index comments: RunPod job lookup, and pending jobs in queue order."""
    runpod = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM export_jobs WHERE runpod_job_id = ?", ("rp-1",)))
    assert "idx_export_jobs_runpod" in runpod
    queue = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM export_jobs WHERE status = ? ORDER BY created_at",
        ("pending",)))
    assert "idx_export_jobs_status_created" in queue


def test_recent_jobs_query_needs_projects_which_is_not_in_d1(db: sqlite3.Connection) -> None:
    """Seed 003 keeps `projects` in the app's local SQLite, not in D1 (see module docstring):
    the example fails here exactly as it would on D1."""
    _create(db, 1)
    with pytest.raises(sqlite3.OperationalError, match="no such table: projects"):
        db.execute(RECENT_JOBS, ("user-1",)).fetchall()
