"""History management on wrangler's local D1 state, next to the real wrangler 4.86."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dbtool.d1 import local
from tests.history.support import (
    SQLITE_DOWN,
    SQLITE_UP,
    as_json,
    drift_from_scratch,
    ok,
    states,
    write_set,
)
from tests.interop.support import Wrangler

DATABASE_ID = "3c1f0d9e-7b2a-4c5d-8e6f-112233445566"
NAMES = list(SQLITE_UP)


def worker(tmp_path: Path) -> Path:
    project = tmp_path / "worker"
    project.mkdir()
    (project / "wrangler.toml").write_text(
        'name = "history"\nmain = "src/index.js"\ncompatibility_date = "2025-01-01"\n\n'
        f'[[d1_databases]]\nbinding = "DB"\ndatabase_name = "history-db"\ndatabase_id = "{DATABASE_ID}"\n')
    (project / "dbtool.toml").write_text(
        '[services.worker]\ndialect = "d1"\nwrangler = "wrangler.toml"\nbinding = "DB"\n')
    return project


def wrangler_pending(wrangler: Wrangler, project: Path) -> str:
    return wrangler.run("d1", "migrations", "list", "DB", "--local", cwd=project).stdout


def names(wrangler: Wrangler, project: Path) -> list[str]:
    return [r["name"] for r in wrangler.query("SELECT name FROM d1_migrations ORDER BY id", cwd=project)]


def bookmark(project: Path) -> int:
    with sqlite3.connect(local.database_path(project, DATABASE_ID)) as conn:
        return conn.execute("SELECT value FROM _cf_METADATA WHERE key = 2").fetchone()[0]


def test_a_wrangler_built_database_is_adopted_without_rerunning(tmp_path: Path, wrangler: Wrangler) -> None:
    project = worker(tmp_path)
    folder = write_set(project / "migrations", SQLITE_UP)
    wrangler.run("d1", "migrations", "apply", "DB", "--local", cwd=project)
    hidden = folder / NAMES[4]
    hidden.rename(project / "parked.sql")  # a row whose file is gone for now

    seen = states("worker", cwd=project)
    assert all(not s["verified"] and s["source"] == "wrangler" for s in seen.values())
    plan = as_json("adopt", "worker", "--from", "wrangler", cwd=project, code=1)
    assert [i["name"] for i in plan["items"]] == NAMES[:4] and not plan["written"]
    assert plan["problems"][0].startswith(f"{NAMES[4]}: no migration file of that name")
    assert not states("worker", cwd=project)[NAMES[0]]["verified"], "a dry run writes nothing"

    as_json("adopt", "worker", "--from", "wrangler", "--apply", cwd=project, code=1)
    (project / "parked.sql").rename(hidden)
    last = as_json("adopt", "worker", "--from", "wrangler", "--apply", cwd=project)
    assert [(i["name"], i["action"]) for i in last["items"]] == [(NAMES[4], "record")]

    assert as_json("migrate", "worker", cwd=project)["services"][0]["applied"] == []
    after = states("worker", cwd=project)
    assert all(s["state"] == "applied" and s["verified"] and s["source"] == "wrangler" for s in after.values())
    assert "No migrations to apply" in wrangler_pending(wrangler, project)
    assert names(wrangler, project) == NAMES
    log = wrangler.query("SELECT action, name FROM dbtool_history_log ORDER BY id", cwd=project)
    assert [r["name"] for r in log] == NAMES and {r["action"] for r in log} == {"adopt"}


def test_mark_is_seen_by_wrangler(tmp_path: Path, wrangler: Wrangler) -> None:
    project = worker(tmp_path)
    write_set(project / "migrations", SQLITE_UP)
    ok("migrate", "worker", cwd=project)
    ticks = bookmark(project)
    as_json("mark", "worker", NAMES[4], "--pending", "--yes", cwd=project)
    assert bookmark(project) == ticks + 1, "a history change is one D1 request"
    assert NAMES[4] in wrangler_pending(wrangler, project)
    assert names(wrangler, project) == NAMES[:4]
    as_json("mark", "worker", NAMES[4], "--applied", "--yes", cwd=project)
    assert "No migrations to apply" in wrangler_pending(wrangler, project)
    assert states("worker", cwd=project)[NAMES[4]]["source"] == "mark"
    log = wrangler.query("SELECT action, note FROM dbtool_history_log ORDER BY id", cwd=project)
    assert log == [{"action": "mark", "note": "marked pending"}, {"action": "mark", "note": "marked applied"}]


def test_rollback_three_steps_on_local_d1(tmp_path: Path, wrangler: Wrangler) -> None:
    project = worker(tmp_path)
    folder = write_set(project / "migrations", SQLITE_UP, SQLITE_DOWN)
    wrangler.run("d1", "migrations", "apply", "DB", "--local", cwd=project)
    as_json("adopt", "worker", "--from", "wrangler", "--apply", cwd=project)

    result = as_json("rollback", "worker", "--steps", "3", cwd=project)
    assert [i["name"] for i in result["items"]] == NAMES[:1:-1]
    assert names(wrangler, project) == NAMES[:2]
    listing = wrangler_pending(wrangler, project)
    assert all(name in listing for name in NAMES[2:])
    url = f"d1-local://{project}?binding=DB"
    assert drift_from_scratch(folder, "d1", url, to=NAMES[1]) == []

    wrangler.run("d1", "migrations", "apply", "DB", "--local", cwd=project)  # wrangler re-applies them
    assert drift_from_scratch(folder, "d1", url, to=NAMES[-1]) == []
