from pathlib import Path

from dbtool.migrations.files import MigrationFile, checksum
from dbtool.migrations.history import AppliedMigration, State, compute_states
from dbtool.migrations.naming import parse_version


def mf(name: str, body: bytes = b"SELECT 1;") -> MigrationFile:
    return MigrationFile(name, Path(name), parse_version(name, "sequential"), checksum(body), body)


def row(name: str, body: bytes | None = b"SELECT 1;") -> AppliedMigration:
    return AppliedMigration(name, "2026-01-01", checksum(body) if body is not None else None)


def states(files, rows):
    return {s.name: s.state for s in compute_states(files, rows)}


def test_each_state():
    files = [mf("0001_a.sql"), mf("0002_b.sql", b"edited"), mf("0003_c.sql"), mf("0005_e.sql")]
    rows = [row("0001_a.sql"), row("0002_b.sql"), row("0004_gone.sql"), row("0005_e.sql")]
    assert states(files, rows) == {
        "0001_a.sql": State.APPLIED,
        "0002_b.sql": State.MODIFIED,
        "0003_c.sql": State.OUT_OF_ORDER,
        "0004_gone.sql": State.MISSING,
        "0005_e.sql": State.APPLIED,
    }


def test_rows_without_checksum_are_applied_but_unverified():
    result = compute_states([mf("0001_a.sql")], [row("0001_a.sql", None)])
    assert result[0].state is State.APPLIED and not result[0].verified


def test_duplicate_versions_flagged_and_pending_after_newest():
    files = [mf("0008_a.sql"), mf("0008_b.sql"), mf("0009_c.sql")]
    result = compute_states(files, [row("0008_a.sql")])
    assert [(s.name, s.state, s.duplicate_version) for s in result] == [
        ("0008_a.sql", State.APPLIED, True),
        ("0008_b.sql", State.PENDING, True),
        ("0009_c.sql", State.PENDING, False),
    ]
