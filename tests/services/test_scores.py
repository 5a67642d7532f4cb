"""scores (seed 001): scores, versions, pages, collections, analytics; 18 migrations.

0006/0007 move the enums to lower case: upper-case rows written before them are converted,
and the CHECKs change. Both rebuild PARENT tables (scores; collections), so they must not
lose child rows on D1, where foreign keys are always enforced and DROP TABLE cascades.
score_pages only exists from 0010, after the lower-case change, so it cannot hold rows
before it; its foreign key and cascade are checked on the final schema.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.services.d1_expectations import SCORES as SVC
from tests.services.d1_expectations import (
    apply_like_d1,
    assert_exact_files,
    assert_file_contents,
    build,
    connect,
    dump_dicts,
    insert,
    insert_samples,
    migration_files,
)

BEFORE_LOWERCASE = "0005_add_visual_analysis_columns.sql"
ENUMS = ("instrument", "difficulty", "style_period")


# -- files; the table-driven schema checks are in test_d1_schemas.py ----------------------

def test_eighteen_files_ending_at_normalized_id() -> None:
    assert len(SVC.files) == 18
    assert SVC.files[-1] == "0018_add_normalized_id.sql"
    assert_exact_files(SVC)


@pytest.mark.parametrize("name", sorted({*SVC.creates, *SVC.alters}))
def test_files_the_seed_names_have_their_contents(name: str) -> None:
    assert_file_contents(SVC, name)


def test_deleting_a_score_still_cascades_to_every_child(db: sqlite3.Connection) -> None:
    """The rebuilt children kept ON DELETE CASCADE, pointing at the final scores table."""
    insert_samples(db, SVC)
    db.execute("DELETE FROM scores WHERE id = 'sc-1'")
    for child in ("score_versions", "score_pages", "collection_members", "score_analytics"):
        assert db.execute(f"SELECT count(*) FROM {child}").fetchone() == (0,), child


def test_general_collection_is_seeded(db: sqlite3.Connection) -> None:
    assert db.execute("SELECT slug, is_featured FROM collections WHERE id = 'general'").fetchone() == (
        "general", 0)


# -- 0006/0007: lower-case data migration ---------------------------------------------------

UPPER_SCORES = [
    # id, title, composer, instrument, difficulty, style_period, source
    ("s-1", "Prelude in C", "J.S. Bach", "PIANO", "BEGINNER", "BAROQUE", "imslp"),
    ("s-2", "Lagrima", "Francisco Tarrega", "GUITAR", "INTERMEDIATE", "ROMANTIC", "upload"),
    ("s-3", "Study No. 1", "Heitor Villa-Lobos", "BOTH", "ADVANCED", "MODERN", "manual"),
    ("s-4", "Sonatina", "Muzio Clementi", "PIANO", "INTERMEDIATE", "CLASSICAL", "generated"),
    ("s-5", "Improvisation", "Anon", "GUITAR", "BEGINNER", None, "upload"),
    ("s-6", "Spiegel im Spiegel", "Arvo Part", "PIANO", "ADVANCED", "CONTEMPORARY", "manual"),
]


def _populate_upper_case(conn: sqlite3.Connection) -> None:
    for sid, title, composer, instrument, difficulty, period, source in UPPER_SCORES:
        insert(conn, "scores", {"id": sid, "title": title, "composer": composer,
                                "instrument": instrument, "difficulty": difficulty,
                                "style_period": period, "source": source, "slug": f"slug-{sid}",
                                "tags": '["x"]', "has_visual_analysis": 1,
                                "created_at": "2024-01-01 00:00:00",
                                "updated_at": "2024-01-02 00:00:00"})
        insert(conn, "score_analytics", {"score_id": sid, "view_count": int(sid[-1]) * 10,
                                         "download_count": 1, "render_count": 2,
                                         "updated_at": "2024-01-03 00:00:00"})
    for n, (sid, fmt) in enumerate([("s-1", "pdf"), ("s-1", "musicxml"), ("s-2", "pdf"),
                                    ("s-3", "abc"), ("s-6", "image")], start=1):
        insert(conn, "score_versions", {"id": f"v-{n}", "score_id": sid, "format": fmt,
                                        "r2_key": f"scores/{sid}/{n}", "file_size_bytes": 1000 + n,
                                        "processing_status": "completed", "checksum": f"sum{n}",
                                        "updated_at": "2024-01-04 00:00:00"})
    insert(conn, "collections", {"id": "c-piano", "name": "Piano starters", "slug": "piano-starters",
                                 "instrument": "PIANO", "difficulty": "BEGINNER",
                                 "score_ids": '["s-1", "s-4"]'})
    insert(conn, "collections", {"id": "c-mixed", "name": "Mixed", "slug": "mixed",
                                 "score_ids": '["s-2", "s-3"]'})
    for n, (cid, sid) in enumerate([("c-piano", "s-1"), ("c-piano", "s-4"), ("c-mixed", "s-2"),
                                    ("c-mixed", "s-3"), ("c-mixed", "s-6")], start=1):
        insert(conn, "collection_members", {"id": f"m-{n}", "collection_id": cid, "score_id": sid,
                                            "display_order": n, "added_at": "2024-02-01 00:00:00"})


def _children(conn: sqlite3.Connection) -> dict[str, list[dict]]:
    return {t: dump_dicts(conn, t) for t in ("score_versions", "collection_members", "score_analytics")}


def test_lowercase_migration_converts_rows_and_keeps_child_rows(tmp_path: Path) -> None:
    db_path = build(SVC.name, tmp_path / "scores.db", to=BEFORE_LOWERCASE)
    conn = connect(db_path)
    # before 0006 the CHECKs are upper-case: lower-case is rejected
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        insert(conn, "scores", {"id": "x", "title": "t", "composer": "c",
                                "instrument": "piano", "difficulty": "BEGINNER"})
    _populate_upper_case(conn)
    children_before = _children(conn)
    scores_before = dump_dicts(conn, "scores")
    conn.close()

    build(SVC.name, db_path)
    conn = connect(db_path)

    # enums are lower-case now, row by row
    got = {r[0]: r[1:] for r in conn.execute(
        "SELECT id, instrument, difficulty, style_period, source FROM scores WHERE id LIKE 's-%'")}
    for sid, _, _, instrument, difficulty, period, source in UPPER_SCORES:
        assert got[sid] == (instrument.lower(), difficulty.lower(),
                            period.lower() if period else None, source), sid
    assert conn.execute(
        "SELECT id, instrument, difficulty FROM collections WHERE id LIKE 'c-%' ORDER BY id"
    ).fetchall() == [("c-mixed", None, None), ("c-piano", "piano", "beginner")]

    # nothing else in scores changed, except what the later data migrations rewrite on
    # purpose (0017 composer, 0018 normalized_id; their UPDATEs bump updated_at through the
    # trigger). The rebuilds alone keep updated_at: see the D1-emulation test below.
    after = {r["id"]: r for r in dump_dicts(conn, "scores")}
    for old in scores_before:
        new = after[old["id"]]
        for column, value in old.items():
            if column in {*ENUMS, "composer", "updated_at"}:
                continue
            assert new[column] == value, (old["id"], column)
    assert after["s-1"]["composer"] == "Johann Sebastian Bach"  # 0017 canonicalised "J.S. Bach"
    assert after["s-2"]["normalized_id"] == "francisco-tarrega--lagrima"  # 0018

    # every child row survived the parent rebuilds, unchanged apart from 0013's mime_type
    # backfill (which bumps score_versions.updated_at) and 0015's new columns
    children_after = _children(conn)
    assert [r["mime_type"] for r in children_after["score_versions"]] == [
        "application/pdf", "application/vnd.recordare.musicxml+xml", "application/pdf",
        "text/vnd.abc", "image/png"]
    for table, rows in children_before.items():
        skip = {"mime_type", "updated_at"} if table == "score_versions" else set()
        keep = set(rows[0]) - skip
        assert [{k: r[k] for k in keep} for r in children_after[table]] == [
            {k: r[k] for k in keep} for r in rows], table
    assert len(children_before["score_versions"]) == 5
    assert len(children_before["collection_members"]) == 5
    assert len(children_before["score_analytics"]) == 6

    # the lower-case CHECKs accept lower and reject upper case
    conn.execute("UPDATE scores SET instrument = 'guitar', difficulty = 'advanced', "
                 "style_period = 'contemporary' WHERE id = 's-1'")
    for column, value in (("instrument", "PIANO"), ("difficulty", "BEGINNER"),
                          ("style_period", "BAROQUE")):
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            conn.execute(f"UPDATE scores SET {column} = ? WHERE id = 's-2'", (value,))
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        conn.execute("UPDATE collections SET instrument = 'GUITAR' WHERE id = 'c-piano'")

    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    assert not {n for n in names if n.endswith(("_new", "_old"))}
    conn.close()


def test_lowercase_rebuilds_are_cascade_safe_with_foreign_keys_enforced_like_d1(tmp_path: Path) -> None:
    """Independently of dbtool's engine: apply the files as D1 does (one transaction per
    file, foreign keys ON, cascades live) and check no child row is lost in 0006/0007."""
    files = migration_files(SVC.name)
    split = [p.name for p in files].index("0006_lowercase_score_enums.sql")
    conn = sqlite3.connect(tmp_path / "d1.db", isolation_level=None)
    apply_like_d1(conn, files[:split])
    _populate_upper_case(conn)
    children = _children(conn)
    parents = {t: dump_dicts(conn, t) for t in ("scores", "collections")}
    apply_like_d1(conn, files[split:split + 2])  # 0006 and 0007
    assert [p.name for p in files[split:split + 2]] == [
        "0006_lowercase_score_enums.sql", "0007_lowercase_collection_enums.sql"]

    # children: identical, row for row and column for column (timestamps included)
    assert _children(conn) == children
    # parents: identical except the enum columns, which are lower-cased
    for table, rows in parents.items():
        lowered = [{k: (v.lower() if k in ENUMS and v else v) for k, v in r.items()} for r in rows]
        assert dump_dicts(conn, table) == lowered, table
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_the_textbook_rebuild_would_have_lost_child_rows(tmp_path: Path) -> None:
    """Control for the test above: with the same data, the usual SQLite rebuild (create,
    copy, DROP parent, rename) deletes the children through ON DELETE CASCADE even with
    PRAGMA defer_foreign_keys = on. This is the D1 data-loss bug 0006/0007 avoid."""
    files = migration_files(SVC.name)
    split = [p.name for p in files].index("0006_lowercase_score_enums.sql")
    conn = sqlite3.connect(tmp_path / "naive.db", isolation_level=None)
    apply_like_d1(conn, files[:split])
    _populate_upper_case(conn)
    conn.executescript("""
        BEGIN;
        PRAGMA defer_foreign_keys = on;
        CREATE TABLE scores_new AS SELECT * FROM scores;
        DROP TABLE scores;
        ALTER TABLE scores_new RENAME TO scores;
        COMMIT;
    """)
    assert conn.execute("SELECT count(*) FROM score_versions").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM score_analytics").fetchone() == (0,)
    conn.close()
