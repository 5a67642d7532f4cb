"""dbtool against D1's REST API, served by miniflare's real D1 engine (d1_server/server.mjs).

Covers: apply, one file failing atomically, retries (injected 429/503 and dropped
connections, before and after the request committed: applied exactly once),
bounded retries, 401/403/404 messages, token masking, a racing duplicate run,
and inspection over the API.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dbtool import secrets
from dbtool.d1.remote import D1Client, RetryPolicy
from dbtool.engines import capabilities
from dbtool.engines.d1_remote import D1RemoteEngine
from dbtool.engines.sqlite import SqliteEngine
from dbtool.migrations.files import discover, load
from dbtool.urls import parse_url
from tests.helpers import run_dbtool
from tests.interop.support import D1TestServer, clean_env

FILES = {
    "0001_users.sql": (
        "-- users of the service\nCREATE TABLE users (\n  id TEXT PRIMARY KEY,\n"
        "  email TEXT NOT NULL UNIQUE,\n  status TEXT NOT NULL DEFAULT 'active'"
        " CHECK (status IN ('active', 'deleted')),\n"
        "  created_at TEXT NOT NULL DEFAULT (datetime('now'))\n);\n"
    ),
    "0002_posts.sql": (
        "CREATE TABLE posts (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n  title TEXT NOT NULL\n);\n"
        "CREATE INDEX idx_posts_user ON posts(user_id);\n"
        "CREATE UNIQUE INDEX idx_posts_title ON posts(user_id, title) WHERE title <> '';\n"
        "CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = 'active';\n"
        "CREATE TRIGGER users_soft_delete BEFORE DELETE ON users\nBEGIN\n"
        "  SELECT RAISE(ABORT, 'soft delete only; set status');\nEND;\n"
    ),
    "0003_seed.sql": "INSERT INTO users (id, email) VALUES ('u1', 'a@example.com');\n",
}


def project(tmp_path: Path, files: dict[str, str] = FILES) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def dbtool(server: D1TestServer, database: str, folder: Path, *args: str, token: str | None = None,
           extra_env: dict[str, str] | None = None, before: tuple[str, ...] = ()):
    """Run the CLI on the remote database; returns the CompletedProcess."""
    url = f"d1://{server.account}/{database}"
    env = clean_env(**server.env(token), **(extra_env or {}))
    command, *rest = args
    return run_dbtool(*before, command, "--dir", str(folder), "--url", url, *rest,
                      cwd=folder.parent, env=env)


def names(server: D1TestServer, database: str) -> list[str]:
    return [r["name"] for r in server.query(database, "SELECT name FROM d1_migrations ORDER BY id")]


def test_apply_then_status(tmp_path: Path, remote_db) -> None:
    server, database = remote_db
    folder = project(tmp_path)
    proc = dbtool(server, database, folder, "migrate", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    applied = json.loads(proc.stdout)["services"][0]["applied"]
    assert [a["name"] for a in applied] == list(FILES)

    assert names(server, database) == list(FILES)
    ddl = server.query(database, "SELECT sql FROM sqlite_master WHERE name = 'd1_migrations'")
    assert ddl[0]["sql"].startswith("CREATE TABLE d1_migrations(\n\t\tid         INTEGER PRIMARY KEY")
    assert server.query(database, "SELECT email FROM active_users") == [{"email": "a@example.com"}]

    status = dbtool(server, database, folder, "status", "--format", "json", "--exit-code")
    assert status.returncode == 0, status.stderr
    states = json.loads(status.stdout)["services"][0]["migrations"]
    assert {(s["state"], s["verified"]) for s in states} == {("applied", True)}
    again = dbtool(server, database, folder, "migrate")
    assert again.returncode == 0 and "up to date" in again.stdout


def test_failing_file_leaves_no_trace(tmp_path: Path, remote_db) -> None:
    server, database = remote_db
    bad = {"0001_users.sql": FILES["0001_users.sql"],
           "0002_bad.sql": "CREATE TABLE audit (id INTEGER);\nINSERT INTO audit VALUES (1);\n"
                           "INSERT INTO missing_table VALUES (1);\n"}
    folder = project(tmp_path, bad)
    proc = dbtool(server, database, folder, "migrate")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "migrations/0002_bad.sql:3:13: " in lines[0]  # the unknown table, found from D1's message
    assert "no such table: missing_table" in lines[0] and "rolled the file back" in lines[0]
    assert names(server, database) == ["0001_users.sql"]
    tables = {r["name"] for r in server.query(database, "SELECT name FROM sqlite_master")}
    assert "audit" not in tables and "users" in tables


def test_syntax_error_points_at_the_token(tmp_path: Path, remote_db) -> None:
    server, database = remote_db
    folder = project(tmp_path, {"0001_x.sql": "CREATE TABLE a (x);\n\nCREATE TABLE b (\n  y,,\n);\n"})
    proc = dbtool(server, database, folder, "migrate")
    assert proc.returncode == 1
    assert re.search(r"migrations/0001_x\.sql:4:\d+: 0001_x\.sql failed on D1: near \",\": syntax error",
                     proc.stderr), proc.stderr
    assert server.query(database, "SELECT name FROM sqlite_master WHERE name IN ('a', 'b')") == []


@pytest.mark.parametrize("mode, resent", [
    ("503", True), ("429", True), ("drop", True),
    ("503-after-commit", False), ("drop-after-commit", False),
])
def test_retry_applies_exactly_once(tmp_path: Path, remote_db, mode: str, resent: bool) -> None:
    """Before a retry dbtool asks D1 whether the file committed; it never sends it twice."""
    server, database = remote_db
    files = {**FILES, "0003_seed.sql": "CREATE TABLE IF NOT EXISTS counter (n INTEGER);\n"
                                       "INSERT INTO counter VALUES (1);\n"}
    folder = project(tmp_path, files)
    server.fail_next(mode, count=1, match="INSERT INTO d1_migrations (name) VALUES ('0003_seed.sql')")
    proc = dbtool(server, database, folder, "migrate", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert [a["name"] for a in json.loads(proc.stdout)["services"][0]["applied"]] == list(files)
    assert server.query(database, "SELECT count(*) AS n FROM counter") == [{"n": 1}]
    assert names(server, database) == list(files)
    stats = server.stats("VALUES ('0003_seed.sql')")
    assert stats == {"requests": 2 if resent else 1, "executed": 1, "faults_left": 0}


def test_retries_are_bounded(tmp_path: Path, remote_db) -> None:
    server, database = remote_db
    folder = project(tmp_path)
    server.fail_next("503", count=1000)
    proc = dbtool(server, database, folder, "migrate", extra_env={"DBTOOL_D1_RETRIES": "3"})
    assert proc.returncode == 3
    assert re.fullmatch(r"dbtool: error: D1 API at .* kept failing \(HTTP 503: .*\) after 3 attempts — .*\n",
                        proc.stderr), proc.stderr
    assert server.stats()["executed"] == 0


@pytest.mark.parametrize("case", ["bad-token", "forbidden", "unknown-database", "unknown-account"])
def test_access_errors_explain_themselves(tmp_path: Path, remote_db, case: str) -> None:
    server, database = remote_db
    folder = project(tmp_path)
    token, expected = {
        "bad-token": ("dbtool-WRONG-token-123456", "rejected the token in CLOUDFLARE_API_TOKEN"),
        "forbidden": (server.forbidden_token, "may not use D1 on account"),
        "unknown-database": (None, "not found in account"),
        "unknown-account": (None, "not found in account"),
    }[case]
    if case == "unknown-database":
        database = "00000000-0000-0000-0000-000000000000"
    url_account = "f" * 32 if case == "unknown-account" else server.account
    env = clean_env(**server.env(token))
    proc = run_dbtool("status", "--dir", str(folder), "--url", f"d1://{url_account}/{database}",
                      cwd=tmp_path, env=env)
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and expected in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    if token:
        assert token not in proc.stderr + proc.stdout  # the server echoes it; dbtool masks it


def test_missing_token_is_a_config_error(tmp_path: Path, remote_db) -> None:
    server, database = remote_db
    proc = dbtool(server, database, project(tmp_path), "status", token="")
    assert proc.returncode == 2
    assert "CLOUDFLARE_API_TOKEN is not set" in proc.stderr


def test_token_never_printed(tmp_path: Path, remote_db) -> None:
    server, database = remote_db
    folder = project(tmp_path, {**FILES, "0004_bad.sql": "INSERT INTO nowhere VALUES (1);\n"})
    runs = [
        dbtool(server, database, folder, "migrate", "--format", "json"),
        dbtool(server, database, folder, "migrate", "--dry-run", "--sql"),
        dbtool(server, database, folder, "status", "--format", "json", before=("--debug",)),
        dbtool(server, database, folder, "migrate", before=("--debug",)),
        dbtool(server, database, folder, "status", before=("--debug",),
               token=server.token + "-revoked"),
    ]
    assert [p.returncode for p in runs] == [1, 0, 0, 1, 3]
    assert any("Traceback" in p.stderr for p in runs), "--debug should show a traceback"
    for proc in runs:
        assert server.token not in proc.stdout + proc.stderr
    assert "***" in runs[-1].stderr  # the echoed (wrong) token, masked


def test_racing_duplicate_is_rolled_back(tmp_path: Path, remote_db, monkeypatch) -> None:
    """Two runs that both saw a file pending: the second request fails on the UNIQUE
    history name, D1 rolls it back, and dbtool reports the file as applied by the other."""
    server, database = remote_db
    folder = project(tmp_path)
    files, _ = discover(folder)
    migration = load(files[0], "sqlite")
    first, second = (_engine(server, database) for _ in range(2))
    assert first.history() == second.history() == []
    assert first.apply(migration, lock_timeout=1).applied is True
    outcome = second.apply(migration, lock_timeout=1)
    assert outcome.applied is False
    assert names(server, database) == ["0001_users.sql"]


def test_inspection_over_rest_equals_local_sqlite(tmp_path: Path, remote_db) -> None:
    server, database = remote_db
    folder = project(tmp_path)
    assert dbtool(server, database, folder, "migrate").returncode == 0
    local_db = tmp_path / "same.db"
    proc = run_dbtool("migrate", "--dir", str(folder), "--url", f"sqlite:///{local_db}", cwd=tmp_path,
                      env=clean_env())
    assert proc.returncode == 0, proc.stderr

    remote_schema = _engine(server, database).inspect()
    local_engine = SqliteEngine(parse_url(f"sqlite:///{local_db}"), capabilities("d1"))
    try:
        local_schema = local_engine.inspect()
    finally:
        local_engine.close()
    assert remote_schema == local_schema
    assert {t.name for t in remote_schema.tables} == {"users", "posts"}
    assert [v.name for v in remote_schema.views] == ["active_users"]
    assert [t.name for t in remote_schema.triggers] == ["users_soft_delete"]


def _engine(server: D1TestServer, database: str) -> D1RemoteEngine:
    client = D1Client(server.account, database, token=server.token, base=server.api_base,
                      policy=RetryPolicy(attempts=3, base=0.01))
    url = parse_url(f"d1://{server.account}/{database}")
    assert secrets.mask(server.token) == "***"
    return D1RemoteEngine(url, capabilities("d1"), client=client)
