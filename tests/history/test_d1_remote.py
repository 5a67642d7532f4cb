"""History management on remote D1 (the REST API served by miniflare's real D1 engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbtool.engines.sqlite import wrangler_history_ddl
from tests.history.support import (
    SQLITE_DOWN,
    SQLITE_UP,
    as_json,
    dbtool,
    drift_from_scratch,
    states,
    write_set,
)
from tests.interop.support import D1TestServer

NAMES = list(SQLITE_UP)


def remote(server: D1TestServer, database: str, folder: Path) -> tuple[tuple[str, ...], dict[str, str]]:
    url = f"d1://{server.account}/{database}"
    return ("--dir", str(folder), "--url", url), server.env()


def history(server: D1TestServer, database: str) -> list[str]:
    return [r["name"] for r in server.query(database, "SELECT name FROM d1_migrations ORDER BY id")]


def wrangler_remote_apply(server: D1TestServer, database: str, names: list[str]) -> None:
    """What `wrangler d1 migrations apply --remote` sends: the file plus its history insert."""
    server.query(database, wrangler_history_ddl("d1_migrations"))
    for name in names:
        server.query(database, f"{SQLITE_UP[name]}\nINSERT INTO d1_migrations (name) values ('{name}');")


def test_remote_wrangler_history_is_adopted(tmp_path: Path, remote_db) -> None:
    server, database = remote_db
    folder = write_set(tmp_path / "migrations", SQLITE_UP)
    wrangler_remote_apply(server, database, NAMES)
    args, env = remote(server, database, folder)
    assert {s["source"] for s in states(*args, env=env).values()} == {"wrangler"}
    plan = as_json("adopt", *args, "--from", "wrangler", env=env)
    assert [i["name"] for i in plan["items"]] == NAMES and not plan["written"]
    assert server.stats("dbtool_history_log")["executed"] == 0, "a dry run sends no write"
    server.control("reset")
    as_json("adopt", *args, "--from", "wrangler", "--apply", env=env)
    assert server.stats("INSERT INTO dbtool_history_log") == {"requests": 1, "executed": 1, "faults_left": 0}
    assert as_json("migrate", *args, env=env)["services"][0]["applied"] == []
    assert all(s["verified"] for s in states(*args, env=env).values())


def test_remote_mark_and_baseline(tmp_path: Path, remote_db) -> None:
    server, database = remote_db
    folder = write_set(tmp_path / "migrations", SQLITE_UP)
    for name in NAMES[:3]:  # a database built by hand, no history at all
        server.query(database, SQLITE_UP[name])
    args, env = remote(server, database, folder)
    refused = as_json("baseline", *args, "--to", NAMES[1], env=env, code=1)
    assert [c["message"] for c in refused["changes"]] == ["column users.name: extra"]
    as_json("baseline", *args, "--to", NAMES[2], env=env)
    assert history(server, database) == NAMES[:3]

    as_json("mark", *args, NAMES[2], "--pending", "--yes", env=env)
    assert history(server, database) == NAMES[:2]
    as_json("mark", *args, NAMES[2], "--applied", "--yes", env=env)
    rows = server.query(database, "SELECT action, name, forced FROM dbtool_history_log ORDER BY id")
    assert [(r["action"], r["name"]) for r in rows] == [
        ("baseline", NAMES[0]), ("baseline", NAMES[1]), ("baseline", NAMES[2]),
        ("mark", NAMES[2]), ("mark", NAMES[2])]
    assert states(*args, env=env)[NAMES[2]]["source"] == "mark"


def test_remote_rollback_one_request_per_file(tmp_path: Path, remote_db,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    server, database = remote_db
    folder = write_set(tmp_path / "migrations", SQLITE_UP, SQLITE_DOWN)
    args, env = remote(server, database, folder)
    as_json("migrate", *args, env=env)

    (folder / "down" / NAMES[3]).rename(tmp_path / "parked.sql")
    before = server.query(database, "SELECT name, sql FROM sqlite_master ORDER BY name")
    proc = dbtool("rollback", *args, "--steps", "3", env=env)
    assert proc.returncode == 2 and f"down/{NAMES[3]}" in proc.stderr
    assert server.query(database, "SELECT name, sql FROM sqlite_master ORDER BY name") == before
    (tmp_path / "parked.sql").rename(folder / "down" / NAMES[3])

    server.control("reset")
    server.fail_next("503-after-commit", match=f"DELETE FROM d1_migrations WHERE name = '{NAMES[3]}'")
    result = as_json("rollback", *args, "--steps", "3", env=env)
    assert [i["name"] for i in result["items"]] == NAMES[:1:-1]
    assert server.stats("DELETE FROM d1_migrations") == {"requests": 3, "executed": 3, "faults_left": 0}
    assert history(server, database) == NAMES[:2]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert drift_from_scratch(folder, "d1", f"d1://{server.account}/{database}", to=NAMES[1]) == []


def test_remote_rollback_failure_is_atomic(tmp_path: Path, remote_db) -> None:
    server, database = remote_db
    folder = write_set(tmp_path / "migrations", SQLITE_UP, SQLITE_DOWN)
    args, env = remote(server, database, folder)
    as_json("migrate", *args, env=env)
    (folder / "down" / NAMES[4]).write_text("DROP TRIGGER posts_audit;\nDROP TABLE no_such_table;\n")
    proc = dbtool("rollback", *args, env=env)
    assert proc.returncode == 1 and f"down/{NAMES[4]}:2:1" in proc.stderr
    assert history(server, database) == NAMES
    triggers = server.query(database, "SELECT name FROM sqlite_master WHERE type = 'trigger'")
    assert triggers == [{"name": "posts_audit"}], "D1 rolled the whole request back"
