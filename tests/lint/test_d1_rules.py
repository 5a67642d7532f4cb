"""D1xx: a file that triggers each rule, and the nearest safe file that does not."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from dbtool.engines.base import CAPABILITIES
from dbtool.errors import RuleViolation
from dbtool.lint.framework import Severity
from dbtool.lint.refusals import check_files, d1_violation
from dbtool.migrations.files import discover, load
from tests.lint.support import codes, lint, only

TABLE = "CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT);\n"


@pytest.mark.parametrize(("bad", "good"), [
    ("BEGIN TRANSACTION;\nINSERT INTO t VALUES ('a', 'b');\nCOMMIT;",
     "INSERT INTO t VALUES ('a', 'b');"),
    ("SAVEPOINT s1;", "SELECT 1;"),
    ("END;", "SELECT 'END';"),
])
def test_d101_transaction_control(tmp_path: Path, bad: str, good: str) -> None:
    assert "D101" in codes(lint(tmp_path / "bad", "d1", TABLE, bad))
    assert "D101" not in codes(lint(tmp_path / "good", "d1", TABLE, good))


def test_d101_is_d1_only_tx101_covers_sqlite(tmp_path: Path) -> None:
    """One statement, one code: D101 on D1, TX101 on SQLite (in transactional files only)."""
    assert codes(lint(tmp_path / "a", "sqlite", "BEGIN; SELECT 1; COMMIT;")) == ["TX101", "TX101"]
    assert codes(lint(tmp_path / "c", "d1", "BEGIN; SELECT 1; COMMIT;")) == ["D101", "D101"]
    plain = "-- dbtool:no-transaction\nBEGIN; SELECT 1; COMMIT;"
    assert codes(lint(tmp_path / "b", "sqlite", plain)) == []


def test_d102_attach(tmp_path: Path) -> None:
    assert "D102" in codes(lint(tmp_path / "a", "d1", "ATTACH DATABASE 'x.db' AS x;"))
    assert "D102" not in codes(lint(tmp_path / "b", "d1", "SELECT 'ATTACH';"))


def test_d103_pragma_outside_allow_list(tmp_path: Path) -> None:
    report = lint(tmp_path / "a", "d1", "PRAGMA journal_mode = WAL;")
    assert codes(report) == ["D103"]
    assert "journal_mode" in report.diagnostics[0].message
    assert codes(lint(tmp_path / "b", "d1", "PRAGMA defer_foreign_keys = on;")) == []


def test_d104_foreign_keys_off(tmp_path: Path) -> None:
    report = lint(tmp_path / "a", "d1", "PRAGMA foreign_keys = OFF;")
    assert codes(report) == ["D104"]
    assert report.diagnostics[0].severity is Severity.WARNING
    assert codes(lint(tmp_path / "b", "d1", "PRAGMA foreign_keys = ON;")) == []


@pytest.mark.parametrize("bad", [
    "CREATE TEMP TABLE scratch (a);", "CREATE TEMPORARY VIEW v AS SELECT 1;",
    "CREATE TABLE temp.scratch (a);",
])
def test_d105_temporary_objects(tmp_path: Path, bad: str) -> None:
    assert "D105" in codes(lint(tmp_path / "a", "d1", bad))
    assert "D105" not in codes(lint(tmp_path / "b", "d1", "CREATE TABLE scratch (a);"))


def test_d106_cf_names(tmp_path: Path) -> None:
    report = lint(tmp_path / "a", "d1", 'CREATE TABLE "_cf_stuff" (a);')
    assert codes(report) == ["D106"]
    assert report.diagnostics[0].location.col == 14  # points at the name
    assert codes(lint(tmp_path / "b", "d1", "CREATE TABLE cf_stuff (a);")) == []


def test_d107_statement_over_100_kb(tmp_path: Path) -> None:
    values = ",".join(f"('{i:06d}', '{'x' * 90}')" for i in range(1100))
    assert "D107" in codes(lint(tmp_path / "a", "d1", TABLE, f"INSERT INTO t VALUES {values};"))
    small = ",".join(f"('{i:06d}', 'x')" for i in range(100))
    assert "D107" not in codes(lint(tmp_path / "b", "d1", TABLE, f"INSERT INTO t VALUES {small};"))


def test_d108_table_over_100_columns(tmp_path: Path) -> None:
    wide = "CREATE TABLE w (" + ", ".join(f"c{i} TEXT" for i in range(101)) + ");"
    assert "D108" in codes(lint(tmp_path / "a", "d1", wide))
    ok = "CREATE TABLE w (" + ", ".join(f"c{i} TEXT" for i in range(100)) + ");"
    assert "D108" not in codes(lint(tmp_path / "b", "d1", ok))
    # ADD COLUMN past the limit, known from the replayed earlier file
    assert "D108" in codes(lint(tmp_path / "c", "d1", ok, "ALTER TABLE w ADD COLUMN extra TEXT;"))


def test_d109_file_over_100_statements(tmp_path: Path) -> None:
    many = "".join(f"INSERT INTO t VALUES ('{i}', 'x');\n" for i in range(100))
    report = lint(tmp_path / "a", "d1", TABLE, many + "SELECT 1;")
    assert only(report, "D109")[0].location.line == 101
    assert "D109" not in codes(lint(tmp_path / "b", "d1", TABLE, many))


def test_d110_no_transaction_directive(tmp_path: Path) -> None:
    assert "D110" in codes(lint(tmp_path / "a", "d1", "-- dbtool:no-transaction\nSELECT 1;"))
    assert "D110" not in codes(lint(tmp_path / "b", "sqlite", "-- dbtool:no-transaction\nSELECT 1;"))


def test_d1_rules_do_not_apply_to_sqlite(tmp_path: Path) -> None:
    assert codes(lint(tmp_path, "sqlite", "PRAGMA journal_mode = WAL;", only_last=False)) == []


def _loaded(tmp_path: Path, sql: str) -> list:
    (tmp_path / "0001_x.sql").write_text(sql, encoding="utf-8")
    files, _ = discover(tmp_path)
    return [load(f, "d1") for f in files]


def test_migrate_check_uses_the_lint_rules(tmp_path: Path) -> None:
    loaded = _loaded(tmp_path, "-- dbtool:lint-ignore D101 cannot silence D1\nBEGIN;\nSELECT 1;")
    with pytest.raises(RuleViolation) as caught:
        check_files(CAPABILITIES["d1"], loaded)
    assert "D1 rule:" in caught.value.message and "[D101]" in caught.value.message
    assert str(caught.value.location).endswith("0001_x.sql:2:1")
    with pytest.raises(RuleViolation) as caught:  # on SQLite the same BEGIN is TX101
        check_files(CAPABILITIES["sqlite"], loaded)
    assert "[TX101]" in caught.value.message and "D1" not in caught.value.message


def test_migrate_check_allows_lint_only_findings(tmp_path: Path) -> None:
    """D104 (no effect) and D109 (batch limit) are lint findings, not D1 rejections."""
    check_files(CAPABILITIES["d1"], _loaded(tmp_path, "PRAGMA foreign_keys = off;\nSELECT 1;"))
    check_files(SimpleNamespace(dialect="d1"), [])


def test_d1_violation_helper() -> None:
    assert "D1" in (d1_violation("COMMIT") or "")
    assert d1_violation("CREATE TABLE t (a)") is None
