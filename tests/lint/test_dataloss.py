"""DL1xx: data loss, including the D1 cascade on a parent-table rebuild."""

from __future__ import annotations

from pathlib import Path

from dbtool.lint.framework import Severity
from tests.lint.support import codes, lint, only

PARENT_AND_CHILDREN = """
CREATE TABLE scores (id TEXT PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE score_versions (
    id TEXT PRIMARY KEY,
    score_id TEXT NOT NULL REFERENCES scores(id) ON DELETE CASCADE
);
CREATE INDEX idx_score_versions_score_id ON score_versions(score_id);
"""

TEXTBOOK_REBUILD = """
PRAGMA defer_foreign_keys = on;
CREATE TABLE scores_new (id TEXT PRIMARY KEY, title TEXT NOT NULL, slug TEXT);
INSERT INTO scores_new (id, title) SELECT id, title FROM scores;
DROP TABLE scores;
ALTER TABLE scores_new RENAME TO scores;
"""

SAFE_REBUILD = """
CREATE TABLE scores_new (id TEXT PRIMARY KEY, title TEXT NOT NULL, slug TEXT);
INSERT INTO scores_new (id, title) SELECT id, title FROM scores;
CREATE TABLE score_versions_new (
    id TEXT PRIMARY KEY,
    score_id TEXT NOT NULL REFERENCES scores_new(id) ON DELETE CASCADE
);
INSERT INTO score_versions_new SELECT id, score_id FROM score_versions;
DROP TABLE score_versions;
DROP TABLE scores;
ALTER TABLE scores_new RENAME TO scores;
ALTER TABLE score_versions_new RENAME TO score_versions;
CREATE INDEX idx_score_versions_score_id ON score_versions(score_id);
"""


def test_dl102_d1_rebuild_of_a_parent_is_an_error_naming_both_tables(tmp_path: Path) -> None:
    report = lint(tmp_path, "d1", PARENT_AND_CHILDREN, TEXTBOOK_REBUILD)
    [finding] = only(report, "DL102")
    assert finding.severity is Severity.ERROR
    assert finding.message.startswith("table rebuild of scores: dropping scores cascades into "
                                      "score_versions (ON DELETE CASCADE): on D1 foreign keys are "
                                      "always enforced and PRAGMA foreign_keys=off has no effect, "
                                      "so the child rows are deleted")
    assert "score_versions_new REFERENCES scores_new" not in finding.help  # generic placeholders
    assert "<child>_new REFERENCES scores_new" in finding.help
    assert "DROP TABLE scores (now unreferenced, nothing cascades)" in finding.help
    assert "CREATE TABLE score_versions_backup AS SELECT * FROM score_versions" in finding.help
    assert "ALTER TABLE ADD COLUMN" in finding.help
    assert finding.location.line == 5 and report.failed
    assert "DL101" not in codes(report)  # rows were copied first: a rebuild, not a drop


def test_dl102_safe_rebuild_is_clean(tmp_path: Path) -> None:
    report = lint(tmp_path, "d1", PARENT_AND_CHILDREN, SAFE_REBUILD)
    assert codes(report) == []


def test_dl102_renaming_the_parent_away_first_still_cascades(tmp_path: Path) -> None:
    rename_away = """
ALTER TABLE scores RENAME TO scores_old;
CREATE TABLE scores (id TEXT PRIMARY KEY, title TEXT NOT NULL, slug TEXT);
INSERT INTO scores (id, title) SELECT id, title FROM scores_old;
DROP TABLE scores_old;
"""
    report = lint(tmp_path, "d1", PARENT_AND_CHILDREN, rename_away)
    [finding] = only(report, "DL102")
    assert "dropping scores_old cascades into score_versions" in finding.message
    assert "BC101" not in codes(report)  # scores is re-created by the same file


def test_dl102_ignores_a_new_empty_child_but_not_a_new_child_holding_copied_rows(tmp_path: Path) -> None:
    empty_child = ("CREATE TABLE notes (id TEXT PRIMARY KEY, score_id TEXT REFERENCES scores(id) "
                   "ON DELETE SET NULL);\n")
    rebuild = ("CREATE TABLE scores_new (id TEXT PRIMARY KEY, title TEXT NOT NULL);\n"
               "INSERT INTO scores_new SELECT id, title FROM scores;\n"
               "DROP TABLE score_versions;\nDROP TABLE scores;\nALTER TABLE scores_new RENAME TO scores;\n")
    assert "DL102" not in codes(lint(tmp_path / "a", "d1", PARENT_AND_CHILDREN, empty_child + rebuild))
    # the pitfall: the new child references the final parent name and already holds the rows
    copied_child = ("CREATE TABLE versions_new (id TEXT PRIMARY KEY, score_id TEXT NOT NULL "
                    "REFERENCES scores(id) ON DELETE CASCADE);\n"
                    "INSERT INTO versions_new SELECT id, score_id FROM score_versions;\n")
    [finding] = only(lint(tmp_path / "b", "d1", PARENT_AND_CHILDREN, copied_child + rebuild), "DL102")
    assert "versions_new (ON DELETE CASCADE)" in finding.message


def test_dl102_set_null_and_grandchildren(tmp_path: Path) -> None:
    schema = PARENT_AND_CHILDREN + """
CREATE TABLE pages (id TEXT PRIMARY KEY, version_id TEXT REFERENCES score_versions(id) ON DELETE CASCADE);
CREATE TABLE notes (id TEXT PRIMARY KEY, score_id TEXT REFERENCES scores(id) ON DELETE SET NULL);
"""
    [finding] = only(lint(tmp_path, "d1", schema, "DROP TABLE scores;"), "DL102")
    assert "score_versions (ON DELETE CASCADE) and notes (ON DELETE SET NULL)" in finding.message
    assert "from there into pages" in finding.message
    assert "deleted or set to NULL" in finding.message


def test_dl102_is_a_warning_on_plain_sqlite(tmp_path: Path) -> None:
    [finding] = only(lint(tmp_path, "sqlite", PARENT_AND_CHILDREN, TEXTBOOK_REBUILD), "DL102")
    assert finding.severity is Severity.WARNING


def test_dl102_dropping_a_leaf_is_fine(tmp_path: Path) -> None:
    leaf = """
CREATE TABLE score_versions_new (id TEXT PRIMARY KEY, score_id TEXT REFERENCES scores(id) ON DELETE CASCADE);
INSERT INTO score_versions_new SELECT * FROM score_versions;
DROP TABLE score_versions;
ALTER TABLE score_versions_new RENAME TO score_versions;
"""
    found = codes(lint(tmp_path, "d1", PARENT_AND_CHILDREN, leaf))
    assert "DL102" not in found and "DL101" not in found


def test_dl101_drop_table(tmp_path: Path) -> None:
    report = lint(tmp_path / "a", "d1", PARENT_AND_CHILDREN, "DROP TABLE score_versions;")
    assert codes(report) == ["DL101"]
    assert "score_versions" in report.diagnostics[0].message
    same_file = "CREATE TABLE tmp_t (a);\nDROP TABLE tmp_t;"
    assert codes(lint(tmp_path / "b", "d1", same_file)) == []
    never_created = "DROP TABLE IF EXISTS legacy_cache;"
    assert codes(lint(tmp_path / "c", "d1", PARENT_AND_CHILDREN, never_created)) == []


def test_dl101_postgres(tmp_path: Path) -> None:
    assert "DL101" in codes(lint(tmp_path / "a", "postgres", "CREATE TABLE t (a int);", "DROP TABLE t;"))
    assert "DL101" not in codes(lint(tmp_path / "b", "postgres", "CREATE TABLE t (a int); DROP TABLE t;"))


def test_dl103_drop_column(tmp_path: Path) -> None:
    base = "CREATE TABLE t (id TEXT PRIMARY KEY, old TEXT);"
    assert codes(lint(tmp_path / "a", "d1", base, "ALTER TABLE t DROP COLUMN old;")) == ["DL103"]
    added = "ALTER TABLE t ADD COLUMN tmp TEXT;\nALTER TABLE t DROP COLUMN tmp;"
    assert codes(lint(tmp_path / "b", "d1", base, added)) == []
    pg = lint(tmp_path / "c", "postgres", "CREATE TABLE t (a int, b int);", "ALTER TABLE t DROP COLUMN b;")
    assert "DL103" in codes(pg)


def test_dl104_delete_without_where(tmp_path: Path) -> None:
    base = "CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT);"
    assert codes(lint(tmp_path / "a", "d1", base, "DELETE FROM t;")) == ["DL104"]
    assert codes(lint(tmp_path / "b", "d1", base, "DELETE FROM t WHERE v IS NULL;")) == []
    # a WHERE inside a sub-query does not count
    sub = "DELETE FROM t WHERE id IN (SELECT id FROM t WHERE v = 'x');"
    assert codes(lint(tmp_path / "c", "d1", base, sub)) == []
    cte = "WITH old AS (SELECT id FROM t WHERE v IS NULL) DELETE FROM t;"
    assert codes(lint(tmp_path / "e", "d1", base, cte)) == ["DL104"]
    pg = lint(tmp_path / "d", "postgres", "CREATE TABLE t (a int);", "DELETE FROM t;")
    assert "DL104" in codes(pg)


def test_dl105_update_without_where(tmp_path: Path) -> None:
    base = "CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT);"
    assert codes(lint(tmp_path / "a", "d1", base, "UPDATE t SET v = lower(v);")) == ["DL105"]
    assert codes(lint(tmp_path / "b", "d1", base, "UPDATE t SET v = lower(v) WHERE v <> lower(v);")) == []
    backfill = "ALTER TABLE t ADD COLUMN n TEXT;\nUPDATE t SET n = lower(v);"
    assert codes(lint(tmp_path / "c", "d1", base, backfill)) == []
    pg = lint(tmp_path / "d", "postgres", "CREATE TABLE t (a int);", "UPDATE t SET a = 1;")
    assert "DL105" in codes(pg)


def test_dl106_truncate(tmp_path: Path) -> None:
    assert "DL106" in codes(lint(tmp_path / "a", "postgres", "CREATE TABLE t (a int);", "TRUNCATE t;"))
    assert "DL106" not in codes(lint(tmp_path / "b", "postgres", "CREATE TABLE t (a int); TRUNCATE t;"))


def test_dl107_lossy_type_change(tmp_path: Path) -> None:
    base = "CREATE TABLE t (name varchar(100), n bigint, price numeric(10, 2));"
    narrow = "ALTER TABLE t ALTER COLUMN name TYPE varchar(50);"
    report = lint(tmp_path / "a", "postgres", base, narrow)
    assert "DL107" in codes(report)
    assert "varchar(100) to varchar(50)" in only(report, "DL107")[0].message
    assert "DL107" in codes(lint(tmp_path / "b", "postgres", base, "ALTER TABLE t ALTER COLUMN n TYPE int;"))
    widen = ("ALTER TABLE t ALTER COLUMN name TYPE text, ALTER COLUMN n TYPE numeric, "
             "ALTER COLUMN price TYPE numeric(12, 2);")
    assert "DL107" not in codes(lint(tmp_path / "c", "postgres", base, widen))
