"""Pure parts of history management: matching foreign rows, choosing rows to undo, SQL text."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbtool.core.history_ops import line_diff
from dbtool.core.rollback import RollbackOptions, choose
from dbtool.engines.history_sqlite import SIDE_TABLE as COPIED_SIDE_TABLE
from dbtool.engines.history_sqlite import columns_in_ddl, literal, side_upgrades
from dbtool.engines.sqlite import SIDE_DDL, SIDE_TABLE
from dbtool.errors import UsageError
from dbtool.migrations.audit import BODY_LIMIT, LogEntry, limited
from dbtool.migrations.files import MigrationFile, checksum
from dbtool.migrations.foreign import (
    ForeignRow,
    match,
    recorded_checksum,
    statements_match,
    with_foreign,
    wrangler_rows,
)
from dbtool.migrations.history import AppliedMigration, State, compute_states
from dbtool.migrations.naming import parse_version


def mf(name: str, text: str = "SELECT 1;\n", scheme: str = "sequential") -> MigrationFile:
    raw = text.encode()
    return MigrationFile(name, Path(name), parse_version(name, scheme), checksum(raw), raw)


def test_supabase_rows_match_by_timestamp_and_name() -> None:
    files = [mf("20250101000000_init.sql", scheme="timestamp"),
             mf("20250102000000_a.sql", scheme="timestamp"), mf("20250102000000_b.sql", scheme="timestamp")]
    rows = [ForeignRow("supabase", "20250101000000", "init"), ForeignRow("supabase", "20250102000000", "b"),
            ForeignRow("supabase", "20250103000000", "gone")]
    found = match(rows, files)
    assert [m.file.name if m.file else m.problem for m in found] == [
        "20250101000000_init.sql", "20250102000000_b.sql", "no migration file with version 20250103000000"]


def test_dbmate_versions_that_fit_several_files_are_reported_not_guessed() -> None:
    (found,) = match([ForeignRow("dbmate", "0008")], [mf("0008_a.sql"), mf("0008_b.sql")])
    assert found.file is None and "fits several files" in (found.problem or "")


def test_statements_are_compared_without_comments_whitespace_and_semicolons() -> None:
    file = mf("0001_x.sql", "-- users\nCREATE TABLE users (\n  id int\n);\n\nINSERT INTO users VALUES (1);\n")
    same = ForeignRow("supabase", "0001", "x", statements=("CREATE TABLE users (id int)",
                                                            "INSERT INTO users VALUES (1)"))
    edited = ForeignRow("supabase", "0001", "x", statements=("CREATE TABLE users (id bigint)",))
    assert statements_match(same, file) is True
    assert statements_match(edited, file) is False
    assert statements_match(ForeignRow("supabase", "0001", "x"), file) is None
    assert recorded_checksum(edited) != file.checksum


def test_unadopted_rows_appear_in_status_with_their_source() -> None:
    files = [mf("0001_a.sql"), mf("0002_b.sql"), mf("0003_c.sql")]
    applied = [AppliedMigration("0001_a.sql", "t", files[0].checksum)]
    rows = [ForeignRow("dbmate", "0001"), ForeignRow("dbmate", "0002"), ForeignRow("dbmate", "0009")]
    merged = with_foreign(applied, rows, files)
    states = {s.name: (s.state, s.applied.source if s.applied else None) for s in compute_states(files, merged)}
    assert states == {"0001_a.sql": (State.APPLIED, "dbtool"), "0002_b.sql": (State.APPLIED, "dbmate"),
                      "0003_c.sql": (State.PENDING, None), "dbmate:0009": (State.MISSING, "dbmate")}


def test_wrangler_rows_are_those_without_checksum() -> None:
    applied = [AppliedMigration("0001_a.sql", "t", "abc"), AppliedMigration("0002_b.sql", "t", None,
                                                                            source="wrangler")]
    assert [r.version for r in wrangler_rows(applied)] == ["0002_b.sql"]


def rows(*names: str) -> list[AppliedMigration]:
    return [AppliedMigration(n, "t", "c") for n in names]


def test_rollback_chooses_newest_first() -> None:
    history = rows("0001_a.sql", "0003_c.sql", "0002_b.sql")  # apply order, not file order
    assert [r.name for r in choose(history, RollbackOptions())] == ["0002_b.sql"]
    assert [r.name for r in choose(history, RollbackOptions(steps=2))] == ["0002_b.sql", "0003_c.sql"]
    assert [r.name for r in choose(history, RollbackOptions(to="0001_a.sql"))] == ["0002_b.sql", "0003_c.sql"]
    assert choose(history, RollbackOptions(to="0002_b.sql")) == []
    for bad in (RollbackOptions(steps=4), RollbackOptions(steps=0), RollbackOptions(to="0009_x.sql"),
                RollbackOptions(to="0001_a.sql", steps=1)):
        with pytest.raises(UsageError):
            choose(history, bad)


def test_side_table_sql() -> None:
    assert COPIED_SIDE_TABLE == SIDE_TABLE
    assert columns_in_ddl(SIDE_DDL) == {"body", "source"}
    assert side_upgrades(["name", "checksum"]) == [
        "ALTER TABLE dbtool_migrations ADD COLUMN body TEXT",
        "ALTER TABLE dbtool_migrations ADD COLUMN source TEXT"]
    assert side_upgrades(["BODY", "source"]) == []
    assert literal("it's") == "'it''s'" and literal(None) == "NULL" and literal(True) == "1"


def test_texts_and_audit_entries() -> None:
    assert limited("x" * BODY_LIMIT) is not None and limited("x" * (BODY_LIMIT + 1)) is None
    assert limited("'" * (BODY_LIMIT // 2 + 1)) is None  # quotes double inside the INSERT
    assert line_diff(None, "x", "f") == []
    assert line_diff("a\nb\n", "a\nc\n", "f")[-2:] == ["-b", "+c"]
    with pytest.raises(ValueError):
        LogEntry("drop-everything", "x")
    assert LogEntry("mark", "x").batch != LogEntry("mark", "x").batch
