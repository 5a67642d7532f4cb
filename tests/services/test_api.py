"""api (seed 001): users, sync, idempotency, repertoire, annotations, goal progress.

The behaviour test at the bottom is the important one: 0010 rebuilds user_repertoire to
widen its status CHECK, and must keep every row, index and child row on D1, where foreign
keys are always enforced and DROP TABLE cascades.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.services.d1_expectations import API as SVC
from tests.services.d1_expectations import (
    REPERTOIRE_STATUSES,
    apply_like_d1,
    assert_exact_files,
    assert_file_contents,
    assert_foreign_key,
    build,
    connect,
    dump,
    indexes,
    insert,
    migration_files,
    referencing,
    triggers,
)

BEFORE_REBUILD = "0009_add_goal_progress.sql"


# -- files; the table-driven schema checks are in test_d1_schemas.py ----------------------

def test_exactly_the_eleven_files_with_both_0008s() -> None:
    assert len(SVC.files) == 11
    assert "0008_duplicate_prevention.sql" in SVC.files
    assert "0008_repertoire_and_annotations.sql" in SVC.files
    assert_exact_files(SVC)


@pytest.mark.parametrize("name", sorted(SVC.creates))
def test_tables_are_created_in_the_files_the_seed_names(name: str) -> None:
    assert_file_contents(SVC, name)


def test_live_sync_index_is_partial_on_not_deleted_rows(db: sqlite3.Connection) -> None:
    sql = db.execute("SELECT sql FROM sqlite_schema WHERE name = 'idx_sync_data_live'").fetchone()[0]
    assert indexes(db, "sync_data")["idx_sync_data_live"][2] is True
    assert "WHERE deleted_at IS NULL" in sql


def test_sync_metadata_has_no_foreign_key(db: sqlite3.Connection) -> None:
    """Seed: 'No FK constraints in D1 implementation' (0004 rebuilt it without one)."""
    assert db.execute("PRAGMA foreign_key_list('sync_metadata')").fetchall() == []
    db.execute("INSERT INTO sync_metadata (user_id) VALUES ('not-a-user-yet')")


def test_soft_deleted_sync_rows_stay_and_can_be_filtered(db: sqlite3.Connection) -> None:
    insert(db, "users", {"id": "u-9", "email": "u9@example.com"})
    for n in range(3):
        insert(db, "sync_data", {"id": f"sd-{n}", "user_id": "u-9", "entity_type": "logbook_entry",
                                 "entity_id": f"e-{n}", "data": "{}", "checksum": f"c{n}"})
    db.execute("UPDATE sync_data SET deleted_at = CURRENT_TIMESTAMP WHERE id = 'sd-1'")
    live = db.execute("SELECT id FROM sync_data WHERE user_id = 'u-9' AND deleted_at IS NULL "
                      "ORDER BY id").fetchall()
    assert live == [("sd-0",), ("sd-2",)]
    assert db.execute("SELECT count(*) FROM sync_data WHERE user_id = 'u-9'").fetchone() == (3,)


# -- 0010: the user_repertoire rebuild -----------------------------------------------------

def _populate_before_rebuild(conn: sqlite3.Connection) -> None:
    """Rows in every table, written while user_repertoire still has the 0008 CHECK."""
    for n, provider in enumerate(("magic_link", "google"), start=1):
        insert(conn, "users", {"id": f"u-{n}", "email": f"user{n}@example.com",
                               "display_name": f"User {n}", "auth_provider": provider,
                               "google_id": f"g-{n}" if provider == "google" else None})
    for n, status in enumerate(("planned", "learning", "polished", "learning"), start=1):
        insert(conn, "user_repertoire", {
            "id": f"ur-{n}", "user_id": f"u-{1 + n % 2}", "score_id": f"score-{n}",
            "status": status, "difficulty_rating": n, "personal_notes": f"notes {n}",
            "reference_links": '["https://imslp.org/"]',
            "created_at": f"2024-0{n}-01 10:00:00", "updated_at": f"2024-0{n}-02 11:00:00"})
    for n in range(1, 4):
        insert(conn, "score_annotations", {
            "id": f"sa-{n}", "user_id": "u-1", "score_id": "score-1", "page_number": n,
            "annotation_type": ("highlight", "text", "measure_bracket")[n - 1],
            "annotation_data": f'{{"n": {n}}}'})
    insert(conn, "sync_data", {"id": "sd-1", "user_id": "u-1", "entity_type": "goal",
                               "entity_id": "goal-1", "data": '{"title": "BWV 846"}',
                               "checksum": "c1"})
    insert(conn, "sync_metadata", {"user_id": "u-1", "last_sync_token": "t1"})
    insert(conn, "idempotency_keys", {"id": "ik-1", "key": "k1", "user_id": "u-1",
                                      "request_hash": "h", "expires_at": "2099-01-01"})
    insert(conn, "goal_progress", {"id": "gp-1", "goal_id": "goal-1", "user_id": "u-1",
                                   "value": 12.5, "notes": "good week"})


def _repertoire_shape(conn: sqlite3.Connection):
    return (indexes(conn, "user_repertoire"),
            {n: t for n, t in triggers(conn).items() if t == "user_repertoire"})


def test_0010_rebuild_keeps_rows_indexes_and_child_rows(tmp_path: Path) -> None:
    db_path = build(SVC.name, tmp_path / "api.db", to=BEFORE_REBUILD)
    conn = connect(db_path)
    _populate_before_rebuild(conn)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        conn.execute("UPDATE user_repertoire SET status = 'dropped' WHERE id = 'ur-1'")
    before = {t: dump(conn, t) for t in SVC.tables}
    shape_before = _repertoire_shape(conn)
    conn.close()

    build(SVC.name, db_path)  # applies 0010
    conn = connect(db_path)
    applied = [r[0] for r in conn.execute("SELECT name FROM d1_migrations ORDER BY id")]
    assert applied[-1] == "0010_add_dropped_status.sql"

    # every row of every table is still there, unchanged (timestamps included)
    for table, rows in before.items():
        assert dump(conn, table) == rows, table
    assert len(before["user_repertoire"]) == 4 and len(before["score_annotations"]) == 3

    # same indexes (names, columns, uniqueness) and the same trigger
    assert _repertoire_shape(conn) == shape_before
    assert set(shape_before[0]) >= {"idx_user_repertoire_user_id", "idx_user_repertoire_score_id",
                                    "idx_user_repertoire_status", "idx_user_repertoire_updated_at"}
    assert ("user_id", "score_id") in {c for c, unique, _ in shape_before[0].values() if unique}

    # the new status is accepted, an unknown one still rejected
    conn.execute("UPDATE user_repertoire SET status = 'dropped' WHERE id = 'ur-1'")
    assert conn.execute("SELECT status FROM user_repertoire WHERE id = 'ur-1'").fetchone() == ("dropped",)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        conn.execute("UPDATE user_repertoire SET status = 'archived' WHERE id = 'ur-2'")
    for status in REPERTOIRE_STATUSES:
        conn.execute("UPDATE user_repertoire SET status = ? WHERE id = 'ur-3'", (status,))

    # the foreign key to users survived with its action, and still works
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert_foreign_key(conn, next(f for f in SVC.foreign_keys if f.table == "user_repertoire"))
    conn.execute("DELETE FROM users WHERE id = 'u-2'")
    assert conn.execute("SELECT count(*) FROM user_repertoire WHERE user_id = 'u-2'").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM user_repertoire").fetchone() == (2,)
    conn.close()


def test_nothing_references_user_repertoire(db: sqlite3.Connection) -> None:
    """0010's rebuild is cascade-safe because user_repertoire is a leaf table. A future
    table referencing it must change the rebuild pattern (see the 0010 header)."""
    assert referencing(db, "user_repertoire") == []


def test_0010_is_cascade_safe_with_foreign_keys_enforced_like_d1(tmp_path: Path) -> None:
    """Independently of dbtool's engine: apply the files as D1 does (one transaction per
    file, foreign keys ON) and check no row is lost across 0010."""
    files = migration_files(SVC.name)
    split = [p.name for p in files].index("0010_add_dropped_status.sql")
    conn = sqlite3.connect(tmp_path / "d1.db", isolation_level=None)
    apply_like_d1(conn, files[:split])
    _populate_before_rebuild(conn)
    before = {t: dump(conn, t) for t in SVC.tables}
    apply_like_d1(conn, files[split:])
    assert {t: dump(conn, t) for t in SVC.tables} == before
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
