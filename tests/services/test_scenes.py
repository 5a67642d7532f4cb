"""The scenes service (seed 002), built by `dbtool migrate` on a real Postgres.

Table-driven schema checks against the seed, then the behaviour the seed
describes: the CHECK enums, the unique payment proof, the scenes <-> prompts
cycle and the genesis scene.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from tests.helpers import REPO, migrate_service
from tests.services import pg_expectations as expect

pytestmark = pytest.mark.postgres

MIGRATIONS = REPO / "migrations" / "scenes"


@pytest.fixture
def scenes(pg_url: str) -> Iterator[psycopg.Connection]:
    migrate_service("scenes", pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn


def _rejected(conn: psycopg.Connection, sql: str, params: tuple, error: type[Exception]) -> None:
    with pytest.raises(error), conn.transaction():
        conn.execute(sql, params)


def _accepted(conn: psycopg.Connection, sql: str, params: tuple) -> None:
    """Run a statement that must succeed, and leave no trace."""
    with conn.transaction():
        conn.execute(sql, params)
        raise psycopg.Rollback


# ---------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------

def test_migration_files_are_sequential_and_split() -> None:
    names = sorted(p.name for p in MIGRATIONS.glob("*.sql"))
    assert names[:4] == [
        "0001_create_scenes.sql",
        "0002_create_prompts.sql",
        "0003_seed_genesis_scene.sql",
        "0004_add_retry_tracking.sql",
    ]
    versions = [int(name.split("_", 1)[0]) for name in names]
    assert versions == list(range(1, len(names) + 1))


# ---------------------------------------------------------------------------
# schema, table-driven
# ---------------------------------------------------------------------------

def test_every_table_and_column_of_the_seed(scenes: psycopg.Connection) -> None:
    assert expect.tables(scenes) == set(expect.SCENES_COLUMNS)
    for table, expected in expect.SCENES_COLUMNS.items():
        actual = expect.columns(scenes, table)
        assert actual == expected, f"{table}: columns differ"


def test_every_index_of_the_seed_by_name(scenes: psycopg.Connection) -> None:
    actual = expect.indexes(scenes)
    for name, (table, definition) in expect.SCENES_INDEXES.items():
        assert name in actual, f"index {name} missing"
        assert actual[name] == (table, definition), name


def test_unique_transaction_hash(scenes: psycopg.Connection) -> None:
    uniques = expect.unique_constraints(scenes)
    for table, cols in expect.SCENES_UNIQUES.items():
        assert (table, cols) in uniques
    scenes.execute(
        "INSERT INTO scenes (parent_id, slot, status, transaction_hash)"
        " VALUES (1, 'A', 'generating', '0xabc')")
    _rejected(
        scenes,
        "INSERT INTO scenes (parent_id, slot, status, transaction_hash)"
        " VALUES (1, 'B', 'generating', %s)",
        ("0xabc",),
        errors.UniqueViolation,
    )
    # NULL is not a payment proof yet: any number of unpaid scenes
    scenes.execute("INSERT INTO scenes (parent_id, slot, status) VALUES (1, 'B', 'pending_payment')")
    scenes.execute("INSERT INTO scenes (parent_id, slot, status) VALUES (1, 'C', 'pending_payment')")


def test_scenes_and_prompts_reference_each_other(scenes: psycopg.Connection) -> None:
    fks = expect.foreign_keys(scenes)
    for fk in expect.SCENES_FOREIGN_KEYS:
        assert fk in fks, f"missing foreign key {fk}"

    # the cycle in use: a scene's prompts, and the accepted prompt on the scene
    scene_id = scenes.execute(
        "INSERT INTO scenes (parent_id, slot, status) VALUES (1, 'A', 'generating') RETURNING id"
    ).fetchone()[0]
    rejected_prompt = scenes.execute(
        "INSERT INTO prompts (scene_id, prompt_text, outcome) VALUES (%s, 'a cat', 'moderation_rejected')"
        " RETURNING id", (scene_id,)).fetchone()[0]
    accepted_prompt = scenes.execute(
        "INSERT INTO prompts (scene_id, prompt_text, outcome) VALUES (%s, 'a dog', 'success')"
        " RETURNING id", (scene_id,)).fetchone()[0]
    scenes.execute("UPDATE scenes SET prompt_id = %s, status = 'completed' WHERE id = %s",
                   (accepted_prompt, scene_id))
    assert scenes.execute(
        "SELECT p.prompt_text FROM scenes s JOIN prompts p ON p.id = s.prompt_id WHERE s.id = %s",
        (scene_id,)).fetchone() == ("a dog",)
    assert scenes.execute(
        "SELECT count(*) FROM prompts WHERE scene_id = %s", (scene_id,)).fetchone()[0] == 2
    assert rejected_prompt != accepted_prompt

    # both directions are enforced
    _rejected(scenes, "UPDATE scenes SET prompt_id = 999999 WHERE id = %s", (scene_id,),
              errors.ForeignKeyViolation)
    _rejected(scenes, "INSERT INTO prompts (scene_id, prompt_text) VALUES (%s, 'x')", (999999,),
              errors.ForeignKeyViolation)
    _rejected(scenes, "INSERT INTO scenes (parent_id, slot, status) VALUES (%s, 'A', 'generating')",
              (999999,), errors.ForeignKeyViolation)
    # a prompt needs a scene and a text
    _rejected(scenes, "INSERT INTO prompts (scene_id, prompt_text) VALUES (NULL, 'x')", (),
              errors.NotNullViolation)
    _rejected(scenes, "INSERT INTO prompts (scene_id, prompt_text) VALUES (%s, NULL)", (scene_id,),
              errors.NotNullViolation)


# ---------------------------------------------------------------------------
# CHECK enums
# ---------------------------------------------------------------------------

def test_bad_status_is_rejected_and_every_seed_status_accepted(scenes: psycopg.Connection) -> None:
    sql = "INSERT INTO scenes (parent_id, slot, status) VALUES (1, 'A', %s)"
    _rejected(scenes, sql, ("done",), errors.CheckViolation)
    _rejected(scenes, sql, ("COMPLETED",), errors.CheckViolation)
    for status in expect.SCENE_STATUSES:
        _accepted(scenes, sql, (status,))


def test_bad_slot_is_rejected_and_a_b_c_accepted(scenes: psycopg.Connection) -> None:
    sql = "INSERT INTO scenes (parent_id, slot, status) VALUES (1, %s, 'generating')"
    for bad in ("D", "a", "Z"):
        _rejected(scenes, sql, (bad,), errors.CheckViolation)
    _rejected(scenes, sql, ("AB",), errors.StringDataRightTruncation)  # CHAR(1)
    for slot in ("A", "B", "C"):
        _accepted(scenes, sql, (slot,))


def test_bad_prompt_outcome_is_rejected_and_every_seed_outcome_accepted(
    scenes: psycopg.Connection,
) -> None:
    sql = "INSERT INTO prompts (scene_id, prompt_text, outcome) VALUES (1, 'p', %s)"
    _rejected(scenes, sql, ("succeeded",), errors.CheckViolation)
    for outcome in expect.PROMPT_OUTCOMES:
        _accepted(scenes, sql, (outcome,))


# ---------------------------------------------------------------------------
# genesis scene
# ---------------------------------------------------------------------------

def test_genesis_scene_is_scene_1_without_parent_or_slot(scenes: psycopg.Connection) -> None:
    rows = scenes.execute(
        "SELECT id, parent_id, slot, status, generation_attempts FROM scenes").fetchall()
    assert rows == [(1, None, None, "completed", 0)]


def test_new_scenes_get_ids_after_genesis(scenes: psycopg.Connection) -> None:
    ids = [
        scenes.execute(
            "INSERT INTO scenes (parent_id, slot, status) VALUES (1, %s, 'pending_payment')"
            " RETURNING id", (slot,)).fetchone()[0]
        for slot in ("A", "B", "C")
    ]
    assert ids == [2, 3, 4]
    children = scenes.execute(
        "SELECT slot FROM scenes WHERE parent_id = 1 ORDER BY slot").fetchall()
    assert children == [("A",), ("B",), ("C",)]


def test_retry_tracking_added_to_existing_scenes(pg_url: str) -> None:
    """0004 adds the retry columns by ALTER: rows made before it get the default."""
    migrate_service("scenes", pg_url, to="0003_seed_genesis_scene.sql")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert "generation_attempts" not in expect.columns(conn, "scenes")
        conn.execute("INSERT INTO scenes (parent_id, slot, status) VALUES (1, 'A', 'failed')")

    migrate_service("scenes", pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT id, generation_attempts, first_attempt_at FROM scenes ORDER BY id").fetchall()
        assert rows == [(1, 0, None), (2, 0, None)]


def test_second_migrate_changes_nothing(scenes: psycopg.Connection, pg_url: str) -> None:
    scenes.execute("INSERT INTO scenes (parent_id, slot, status) VALUES (1, 'A', 'generating')")
    migrate_service("scenes", pg_url)
    rows = scenes.execute("SELECT id, status FROM scenes ORDER BY id").fetchall()
    assert rows == [(1, "completed"), (2, "generating")]


def test_migration_sql_is_plain_postgres() -> None:
    """No Supabase objects: scenes builds without a prelude."""
    for path in MIGRATIONS.glob("*.sql"):
        text = Path(path).read_text(encoding="utf-8").lower()
        for word in ("auth.", "storage.", "supabase_realtime", "begin;", "commit;"):
            assert word not in text, f"{path.name} mentions {word}"
