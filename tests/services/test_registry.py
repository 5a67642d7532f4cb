"""registry (seed 000): 13 migrations, 21 tables, ALTERs in 0008/0012, built by `dbtool migrate`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.services.d1_expectations import (
    REGISTRY as SVC,
)
from tests.services.d1_expectations import (
    assert_exact_files,
    assert_file_contents,
    assert_tables,
    build,
    connect,
    insert,
    insert_samples,
)


def test_exactly_the_thirteen_files_of_the_seed() -> None:
    assert len(SVC.files) == 13
    assert_exact_files(SVC)


@pytest.mark.parametrize("name", SVC.files)
def test_each_file_has_the_contents_the_seed_lists(name: str) -> None:
    assert_file_contents(SVC, name)


def test_all_21_tables_exist(db: sqlite3.Connection) -> None:
    assert len(SVC.tables) == 21
    assert_tables(db, SVC)


def test_alters_keep_existing_rows(tmp_path: Path) -> None:
    """0008/0009/0012 add columns in place: rows written before them survive, new columns NULL."""
    db_path = build(SVC.name, tmp_path / "registry.db", to="0007_learned_time.sql")
    conn = connect(db_path)
    insert(conn, "jobs", {"id": "j-old", "prompt": "old job", "status": "completed"})
    insert(conn, "static_colors", {"id": "c-old", "color_key": "000000", "r": 0, "g": 0, "b": 0,
                                   "name": "Night"})
    insert(conn, "static_sound", {"id": "s-old", "sound_key": "hum", "name": "hum"})
    insert(conn, "learned_motion", {"id": "m-old", "profile_key": "still", "motion_level": 0.0})
    conn.close()

    build(SVC.name, db_path)
    conn = connect(db_path)
    assert conn.execute("SELECT prompt, workflow_type FROM jobs WHERE id = 'j-old'").fetchone() == (
        "old job", None)
    assert conn.execute(
        "SELECT name, luminance, chroma, opacity, depth_breakdown_json FROM static_colors"
    ).fetchall() == [("Night", None, None, None, None)]
    assert conn.execute("SELECT name, strength_pct FROM static_sound").fetchall() == [("hum", None)]
    assert conn.execute(
        "SELECT motion_level, motion_direction, motion_rhythm FROM learned_motion"
    ).fetchall() == [(0.0, None, None)]
    conn.close()


def test_deleting_a_job_keeps_its_history_but_drops_its_feedback(db: sqlite3.Connection) -> None:
    insert_samples(db, SVC)
    db.execute("DELETE FROM jobs WHERE id = 'job-1'")
    assert db.execute("SELECT job_id FROM learning_runs").fetchall() == [(None,)]
    assert db.execute("SELECT job_id FROM events").fetchall() == [(None,)]
    assert db.execute("SELECT count(*) FROM feedback").fetchone() == (0,)
