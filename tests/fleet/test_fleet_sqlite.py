"""`migrate/status/audit --fleet` over real SQLite files: mixed starting versions, a
corrupted file, an unreachable one and a modified file; the summary and the JSON say
exactly that, and a re-run completes the rest without applying anything twice."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.fleet.support import (
    FILES,
    by_identity,
    fleet_json,
    sqlite_applied,
    sqlite_tables,
    write_migrations,
)
from tests.helpers import run_dbtool


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_migrations(tmp_path / "migrations" / "app")
    (tmp_path / "dbtool.toml").write_text(
        '[services.app]\ndialect = "sqlite"\n\n'
        '[services.app.fleets.tenants]\nspec = "sqlite:///tenants/*.db"\n\n'
        '[services.app.fleets.listed]\nspec = "@fleet.txt"\n')
    (tmp_path / "tenants").mkdir()
    return tmp_path


def _at(project: Path, name: str, files: int) -> Path:
    """A tenant file holding the first `files` migrations (0: an empty database)."""
    path = project / "tenants" / f"{name}.db"
    sqlite3.connect(path).close()
    if files:
        proc = run_dbtool("migrate", "app", "--url", f"sqlite:///tenants/{name}.db", "--to",
                          f"{files:03d}_step{files}.sql", cwd=project)
        assert proc.returncode == 0, proc.stderr
    return path


def test_mixed_fleet_summary_json_and_rerun(project: Path) -> None:
    starts = {"t0": 0, "t1": 1, "t3": 3, "t6": FILES}
    paths = {name: _at(project, name, n) for name, n in starts.items()}
    modified = _at(project, "tmod", 2)
    with sqlite3.connect(modified) as conn:  # the history says 001 ran with other content
        original = conn.execute("SELECT checksum FROM dbtool_migrations WHERE name = '001_step1.sql'"
                                ).fetchone()[0]
        conn.execute("UPDATE dbtool_migrations SET checksum = 'tampered' WHERE name = '001_step1.sql'")
    (project / "tenants" / "tbad.db").write_bytes(b"this is not a database" * 100)
    (project / "fleet.txt").write_text(
        "# every tenant, and one whose folder is gone\n"
        + "".join(f"sqlite:///tenants/{n}.db\n" for n in [*starts, "tmod", "tbad"])
        + "\nsqlite:///fleet.txt/tenant.db   # unreachable: its folder is a file\n")

    code, report = fleet_json("migrate", "app", "--fleet", "listed", "--jobs", "3", cwd=project)

    assert code == 1
    assert report["counts"] == {"at-head": 4, "behind": 0, "failed": 2, "unreachable": 1,
                                "not-started": 0}
    targets = by_identity(report)
    head = f"{FILES:03d}_step{FILES}.sql"
    for name, start in starts.items():
        assert targets[f"tenants/{name}.db"]["outcome"] == "at-head"
        assert len(targets[f"tenants/{name}.db"]["applied"]) == FILES - start
        assert sqlite_applied(paths[name]) == sorted(f"{i:03d}_step{i}.sql" for i in range(1, FILES + 1))
    assert targets["tenants/tmod.db"]["outcome"] == "failed"
    assert "changed since they ran: 001_step1.sql" in targets["tenants/tmod.db"]["error"]
    assert targets["tenants/tbad.db"]["outcome"] == "failed"
    assert "not a SQLite database" in targets["tenants/tbad.db"]["error"]
    assert report["unreachable"] == ["fleet.txt/tenant.db"]
    assert sqlite_tables(modified) == ["step1", "step2"]  # the refused target is untouched
    assert len(report["failed"]) == 2 and report["head"] == head

    # the text summary says the same, in one place at the end
    text = run_dbtool("migrate", "app", "--fleet", "listed", cwd=project)
    assert text.returncode == 1
    summary = text.stdout[text.stdout.index("migrate --fleet"):]
    assert "at head      4" in summary and "failed       2" in summary
    assert "unreachable  1: 1 — fleet.txt/tenant.db" in summary
    assert "changed since they ran" in summary and "not a SQLite database" in summary

    # re-run after the fixes: only the rest is applied, nothing twice
    with sqlite3.connect(modified) as conn:
        conn.execute("UPDATE dbtool_migrations SET checksum = ? WHERE name = '001_step1.sql'",
                     (original,))
    (project / "tenants" / "tbad.db").unlink()
    sqlite3.connect(project / "tenants" / "tbad.db").close()
    code, again = fleet_json("migrate", "app", "--fleet", "tenants", cwd=project)
    assert code == 0, again
    applied = {t["identity"]: t["applied"] for t in again["targets"]}
    assert applied["tenants/tbad.db"] == [f"{i:03d}_step{i}.sql" for i in range(1, FILES + 1)]
    assert applied["tenants/tmod.db"] == [f"{i:03d}_step{i}.sql" for i in range(3, FILES + 1)]
    assert all(applied[f"tenants/{n}.db"] == [] for n in starts)
    assert again["counts"]["at-head"] == 6


def test_status_fleet_histogram_laggards_and_modified(project: Path) -> None:
    for name, files in {"a": 2, "b": 2, "c": FILES, "d": 4}.items():
        _at(project, name, files)
    with sqlite3.connect(project / "tenants" / "c.db") as conn:
        conn.execute("UPDATE dbtool_migrations SET checksum = 'tampered' WHERE name = '003_step3.sql'")

    code, report = fleet_json("status", "app", "--fleet", "tenants", cwd=project)

    assert code == 1
    assert report["heads"] == {"006_step6.sql": 1, "004_step4.sql": 1, "002_step2.sql": 2}
    assert report["behind"] == {"002_step2.sql": ["tenants/a.db", "tenants/b.db"],
                                "004_step4.sql": ["tenants/d.db"]}
    assert report["modified"] == {"003_step3.sql": ["tenants/c.db"]}
    text = run_dbtool("status", "app", "--fleet", "tenants", cwd=project).stdout
    assert "002_step2.sql" in text and "modified 003_step3.sql: 1 — tenants/c.db" in text


def test_audit_fleet_groups_targets_with_the_same_drift(project: Path) -> None:
    assert run_dbtool("snapshot", "app", cwd=project).returncode == 0
    for name in ("a", "b", "c", "d", "e"):
        _at(project, name, FILES)
    for name in ("b", "e"):  # the same extra index on two tenants
        with sqlite3.connect(project / "tenants" / f"{name}.db") as conn:
            conn.execute("CREATE INDEX step1_note ON step1 (note)")

    code, report = fleet_json("audit", "app", "--fleet", "tenants", cwd=project)

    assert code == 1
    groups = [(g["changes"], g["targets"]) for g in report["drift"]]
    assert groups[0] == ([], ["tenants/a.db", "tenants/c.db", "tenants/d.db"])
    assert groups[1][1] == ["tenants/b.db", "tenants/e.db"]
    assert any("step1_note" in change for change in groups[1][0])
    text = run_dbtool("audit", "app", "--fleet", "tenants", cwd=project).stdout
    assert "3 clean, 2 with the same 1 change(s)" in text


def test_shards_split_the_fleet_and_canary_stops_on_failure(project: Path) -> None:
    for i in range(12):
        _at(project, f"s{i:02d}", 0)
    seen: list[str] = []
    for index in (1, 2, 3):
        code, report = fleet_json("migrate", "app", "--fleet", "tenants", "--shard", f"{index}/3",
                                  cwd=project)
        assert code == 0 and report["shard"] == f"{index}/3"
        seen += [t["identity"] for t in report["targets"]]
    assert sorted(seen) == sorted(f"tenants/s{i:02d}.db" for i in range(12))  # each once

    (project / "tenants" / "a-broken.db").write_bytes(b"garbage" * 100)  # sorts first
    _at(project, "z-fresh", 0)
    code, report = fleet_json("migrate", "app", "--fleet", "tenants", "--canary", "2", cwd=project)
    assert code == 1 and report["stopped"] == "canary failed"
    assert by_identity(report)["tenants/z-fresh.db"]["outcome"] == "not-started"
    assert sqlite_tables(project / "tenants" / "z-fresh.db") == []


def test_bad_fleet_input_is_one_line_and_exit_2(project: Path) -> None:
    for args, text in ((["--fleet", "nosuch"], "neither a spec nor a fleet"),
                       (["--fleet", "sqlite:///nowhere/*.db"], "matches no database"),
                       (["--fleet", "tenants", "--shard", "4/3"], "--shard '4/3'"),
                       (["--jobs", "3"], "work on a fleet")):
        proc = run_dbtool("migrate", "app", *args, cwd=project)
        assert proc.returncode == 2, proc.stderr
        assert text in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
