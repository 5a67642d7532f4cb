"""BC1xx (renames) and PG1xx (Postgres locking): positive and negative cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.support import codes, lint, only

PG_BASE = """
CREATE TABLE users (id uuid PRIMARY KEY, email text, age int, name varchar(50));
CREATE TABLE projects (id uuid PRIMARY KEY, user_id uuid);
"""


def test_bc101_rename_table(tmp_path: Path) -> None:
    base = "CREATE TABLE t (id TEXT PRIMARY KEY);"
    report = lint(tmp_path / "a", "d1", base, "ALTER TABLE t RENAME TO things;")
    assert codes(report) == ["BC101"]
    assert "renaming table t to things" in report.diagnostics[0].message
    rebuild_step = ("CREATE TABLE t_new (id TEXT PRIMARY KEY);\nINSERT INTO t_new SELECT id FROM t;\n"
                    "DROP TABLE t;\nALTER TABLE t_new RENAME TO t;")
    assert "BC101" not in codes(lint(tmp_path / "b", "d1", base, rebuild_step))
    pg = lint(tmp_path / "c", "postgres", PG_BASE, "ALTER TABLE users RENAME TO accounts;")
    assert "BC101" in codes(pg)


def test_bc102_rename_column(tmp_path: Path) -> None:
    base = "CREATE TABLE t (id TEXT PRIMARY KEY, nm TEXT);"
    assert codes(lint(tmp_path / "a", "d1", base, "ALTER TABLE t RENAME COLUMN nm TO name;")) == ["BC102"]
    fresh = "ALTER TABLE t ADD COLUMN tmp TEXT;\nALTER TABLE t RENAME COLUMN tmp TO extra;"
    assert codes(lint(tmp_path / "b", "d1", base, fresh)) == []
    pg = lint(tmp_path / "c", "postgres", PG_BASE, "ALTER TABLE users RENAME COLUMN email TO mail;")
    assert "BC102" in codes(pg)


def test_pg101_index_without_concurrently(tmp_path: Path) -> None:
    report = lint(tmp_path / "a", "postgres", PG_BASE, "CREATE INDEX idx_p ON projects (user_id);")
    assert "PG101" in codes(report)
    same_file = "CREATE TABLE t (a int);\nCREATE INDEX idx_t ON t (a);"
    assert "PG101" not in codes(lint(tmp_path / "b", "postgres", same_file))
    concurrent = "-- dbtool:no-transaction\nCREATE INDEX CONCURRENTLY idx_p ON projects (user_id);"
    assert codes(lint(tmp_path / "c", "postgres", PG_BASE, concurrent)) == []


@pytest.mark.parametrize("statement", [
    "CREATE INDEX CONCURRENTLY idx_p ON projects (user_id);",
    "DROP INDEX CONCURRENTLY idx_p;",
    "REINDEX INDEX CONCURRENTLY idx_p;",
])
def test_pg102_concurrently_needs_no_transaction(tmp_path: Path, statement: str) -> None:
    report = lint(tmp_path / "a", "postgres", PG_BASE, statement)
    assert "PG102" in codes(report) and report.failed
    fixed = f"-- dbtool:no-transaction\n{statement}"
    assert "PG102" not in codes(lint(tmp_path / "b", "postgres", PG_BASE, fixed))


def test_pg103_foreign_key_not_valid(tmp_path: Path) -> None:
    add = "ALTER TABLE projects ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id);"
    assert "PG103" in codes(lint(tmp_path / "a", "postgres", PG_BASE, add))
    not_valid = add.replace(";", " NOT VALID;")
    assert "PG103" not in codes(lint(tmp_path / "b", "postgres", PG_BASE, not_valid))


def test_pg104_check_not_valid(tmp_path: Path) -> None:
    add = "ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0);"
    assert "PG104" in codes(lint(tmp_path / "a", "postgres", PG_BASE, add))
    not_valid = add.replace(";", " NOT VALID;")
    assert "PG104" not in codes(lint(tmp_path / "b", "postgres", PG_BASE, not_valid))


def test_pg105_set_not_null(tmp_path: Path) -> None:
    stmt = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;"
    assert "PG105" in codes(lint(tmp_path / "a", "postgres", PG_BASE, stmt))
    new_column = "ALTER TABLE users ADD COLUMN nick text;\nALTER TABLE users ALTER COLUMN nick SET NOT NULL;"
    assert "PG105" not in codes(lint(tmp_path / "b", "postgres", PG_BASE, new_column))


def test_pg105_accepts_set_not_null_after_a_validated_not_null_check(tmp_path: Path) -> None:
    add = "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
    validate = "ALTER TABLE users VALIDATE CONSTRAINT email_nn;\n"
    set_nn = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;"
    assert "PG105" not in codes(lint(tmp_path / "a", "postgres", PG_BASE, add + validate + set_nn))
    # not validated yet, validated for another column, or a different check: still a scan
    assert "PG105" in codes(lint(tmp_path / "b", "postgres", PG_BASE, add + set_nn))
    other = ("ALTER TABLE users ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID;\n"
             "ALTER TABLE users VALIDATE CONSTRAINT name_nn;\n")
    assert "PG105" in codes(lint(tmp_path / "c", "postgres", PG_BASE, other + set_nn))
    loose = ("ALTER TABLE users ADD CONSTRAINT email_len CHECK (length(email) > 0) NOT VALID;\n"
             "ALTER TABLE users VALIDATE CONSTRAINT email_len;\n")
    assert "PG105" in codes(lint(tmp_path / "d", "postgres", PG_BASE, loose + set_nn))
    dropped = add + validate + "ALTER TABLE users DROP CONSTRAINT email_nn;\n"
    assert "PG105" in codes(lint(tmp_path / "e", "postgres", PG_BASE, dropped + set_nn))


def test_pg106_type_change_rewrites(tmp_path: Path) -> None:
    rewrite = "ALTER TABLE users ALTER COLUMN age TYPE bigint;"
    report = lint(tmp_path / "a", "postgres", PG_BASE, rewrite)
    assert "PG106" in codes(report) and "DL107" not in codes(report)
    coercible = "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);"
    assert "PG106" not in codes(lint(tmp_path / "b", "postgres", PG_BASE, coercible))


@pytest.mark.parametrize("default", [
    "uuid DEFAULT gen_random_uuid()", "double precision DEFAULT random()",
    "timestamptz DEFAULT clock_timestamp()", "serial",
])
def test_pg107_volatile_default(tmp_path: Path, default: str) -> None:
    stmt = f"ALTER TABLE users ADD COLUMN extra {default};"
    assert "PG107" in codes(lint(tmp_path / "a", "postgres", PG_BASE, stmt))


def test_pg107_stable_default_is_fine(tmp_path: Path) -> None:
    stmt = "ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT now(), ADD COLUMN n int DEFAULT 0;"
    assert "PG107" not in codes(lint(tmp_path, "postgres", PG_BASE, stmt))


def test_pg108_lock_timeout(tmp_path: Path) -> None:
    two_alters = ("ALTER TABLE users ADD COLUMN a text;\nALTER TABLE users ADD COLUMN b text;\n"
                  "CREATE POLICY p ON projects FOR SELECT USING (true);")
    report = lint(tmp_path / "a", "postgres", PG_BASE, two_alters)
    assert len(only(report, "PG108")) == 1  # once per file
    assert "public.users" in only(report, "PG108")[0].message
    guarded = "SET lock_timeout = '5s';\n" + two_alters
    assert "PG108" not in codes(lint(tmp_path / "b", "postgres", PG_BASE, guarded))
    zero = "SET lock_timeout = 0;\n" + two_alters
    assert "PG108" in codes(lint(tmp_path / "c", "postgres", PG_BASE, zero))


def test_pg108_lighter_locks_and_new_tables_are_fine(tmp_path: Path) -> None:
    light = ("ALTER TABLE projects ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n"
             "ALTER TABLE projects VALIDATE CONSTRAINT fk;\n"
             "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;")
    assert "PG108" not in codes(lint(tmp_path, "postgres", PG_BASE, light))


def test_pg_rules_do_not_run_on_d1(tmp_path: Path) -> None:
    assert codes(lint(tmp_path, "d1", "CREATE TABLE t (a);", "CREATE INDEX i ON t (a);")) == []
