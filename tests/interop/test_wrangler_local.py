"""dbtool and the real wrangler 4.86 on one local D1 database.

wrangler runs offline (DESIGN §7). Each test builds a small Worker project in
a temporary folder; dbtool and wrangler must agree on the database file, the
history table and what is pending.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path

import pytest

from dbtool.d1 import local
from tests.helpers import run_dbtool
from tests.interop.support import Wrangler, clean_env

DATABASE_ID = "6f1b2b0e-4a1c-4d5e-9f00-0123456789ab"
PREVIEW_ID = "0d7c9c1a-5b6e-4f70-8a91-fedcba987654"

FILES = {
    "0001_users.sql": "CREATE TABLE users (\n  id TEXT PRIMARY KEY,\n  email TEXT NOT NULL UNIQUE\n);\n",
    "0002_posts.sql": (
        "CREATE TABLE posts (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
        "  title TEXT NOT NULL,\n  updated_at TEXT\n);\n"
        "CREATE INDEX idx_posts_user ON posts(user_id);\n"
    ),
    "0003_trigger.sql": (
        "CREATE TRIGGER posts_touch AFTER UPDATE ON posts\nBEGIN\n"
        "  UPDATE posts SET updated_at = datetime('now') WHERE id = NEW.id;\nEND;\n"
    ),
    "0004_seed.sql": (
        "INSERT INTO users (id, email) VALUES ('u1', 'a@example.com');\n"
        "INSERT INTO posts (user_id, title) VALUES ('u1', 'hello; world');\n"
    ),
}


def write_toml(root: Path, *, extra: str = "") -> Path:
    config = root / "wrangler.toml"
    config.write_text(
        'name = "interop"\nmain = "src/index.js"\ncompatibility_date = "2025-01-01"\n\n'
        f'[[d1_databases]]\nbinding = "DB"\ndatabase_name = "interop-db"\n'
        f'database_id = "{DATABASE_ID}"\n{extra}'
    )
    return config


def write_jsonc(root: Path, *, migrations_dir: str, table: str) -> Path:
    config = root / "wrangler.jsonc"
    config.write_text(
        "// a wrangler.jsonc with comments and trailing commas\n{\n"
        '  "name": "interop", /* the Worker */\n  "main": "src/index.js",\n'
        '  "compatibility_date": "2025-01-01",\n  "d1_databases": [\n    {\n'
        '      "binding": "DB",\n      "database_name": "interop-db",\n'
        f'      "database_id": "{DATABASE_ID}",\n      "preview_database_id": "{PREVIEW_ID}",\n'
        f'      "migrations_dir": "{migrations_dir}", // not the default\n'
        f'      "migrations_table": "{table}",\n    }},\n  ],\n}}\n'
    )
    return config


def add_files(folder: Path, names: list[str], files: dict[str, str] = FILES) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(files[name])


def dbtool(*args: str, cwd: Path) -> tuple[int, str, str]:
    proc = run_dbtool(*args, cwd=cwd, env=clean_env())
    return proc.returncode, proc.stdout, proc.stderr


def ok(*args: str, cwd: Path) -> str:
    code, out, err = dbtool(*args, cwd=cwd)
    assert code == 0, f"dbtool {' '.join(args)} exited {code}:\n{out}\n{err}"
    return out


def status_json(*args: str, cwd: Path) -> dict[str, dict]:
    document = json.loads(ok("status", *args, "--format", "json", cwd=cwd))
    return {m["name"]: m for m in document["services"][0]["migrations"]}


def state_file(project: Path, database_id: str = DATABASE_ID, persist_to: Path | None = None) -> Path:
    return local.database_path(project, database_id, persist_to)


def pending_per_wrangler(wrangler: Wrangler, project: Path, *extra: str) -> str:
    return wrangler.run("d1", "migrations", "list", "DB", "--local", *extra, cwd=project).stdout


def fingerprint(path: Path) -> dict[str, str]:
    """Hashes of the database file and its WAL: 'byte-for-byte unchanged' means equal.

    An empty WAL holds no bytes of the database (SQLite creates one when a
    reader opens a WAL-mode file), so it counts as absent; `-shm` is only the
    readers' shared-memory index.
    """
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.parent.glob(path.name + "*"))
            if not p.name.endswith("-shm") and not (p.name.endswith("-wal") and p.stat().st_size == 0)}


def test_dbtool_migrates_wrangler_local_state(tmp_path: Path, wrangler: Wrangler) -> None:
    project = tmp_path / "worker"
    project.mkdir()
    write_toml(project)
    add_files(project / "migrations", list(FILES))
    (project / "dbtool.toml").write_text(
        '[services.worker]\ndialect = "d1"\nwrangler = "wrangler.toml"\nbinding = "DB"\n')

    out = ok("migrate", cwd=project)
    assert "applied 4 migration(s)" in out and "wrangler local" in out

    database = state_file(project)
    assert database.is_file(), "dbtool must write wrangler's own state file"
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM _cf_METADATA WHERE key = 2").fetchone()[0] == 1
    assert "No migrations to apply" in pending_per_wrangler(wrangler, project)
    rows = wrangler.query("SELECT u.email, p.title FROM posts p JOIN users u ON u.id = p.user_id",
                          cwd=project)
    assert rows == [{"email": "a@example.com", "title": "hello; world"}]
    names = wrangler.query("SELECT name FROM d1_migrations ORDER BY id", cwd=project)
    assert [r["name"] for r in names] == list(FILES)
    assert set(status_json(cwd=project)) == set(FILES)


def test_wrangler_first_then_dbtool(tmp_path: Path, wrangler: Wrangler) -> None:
    project = tmp_path / "worker"
    project.mkdir()
    write_toml(project)
    add_files(project / "migrations", ["0001_users.sql", "0002_posts.sql"])
    wrangler.run("d1", "migrations", "apply", "DB", "--local", cwd=project)

    add_files(project / "migrations", ["0003_trigger.sql", "0004_seed.sql"])
    url = f"d1-local://{project}?binding=DB"
    states = status_json("--dir", "migrations", "--url", url, cwd=project)
    assert {n: (s["state"], s["verified"]) for n, s in states.items()} == {
        "0001_users.sql": ("applied", False),  # wrangler records no checksum
        "0002_posts.sql": ("applied", False),
        "0003_trigger.sql": ("pending", True),
        "0004_seed.sql": ("pending", True),
    }
    text = ok("status", "--dir", "migrations", "--url", url, cwd=project)
    assert "unverified" in text

    out = ok("migrate", "--dir", "migrations", "--url", url, cwd=project)
    assert "applied 2 migration(s)" in out
    assert "No migrations to apply" in pending_per_wrangler(wrangler, project)
    names = wrangler.query("SELECT name FROM d1_migrations ORDER BY id", cwd=project)
    assert [r["name"] for r in names] == list(FILES)


def test_custom_migrations_table_dir_and_preview_id(tmp_path: Path, wrangler: Wrangler) -> None:
    project = tmp_path / "worker"
    project.mkdir()
    write_jsonc(project, migrations_dir="db/migrations", table="schema_history")
    folder = project / "db" / "migrations"
    add_files(folder, ["0001_users.sql"])
    wrangler.run("d1", "migrations", "apply", "DB", "--local", cwd=project)
    # wrangler's --local commands use preview_database_id when the binding has one
    assert state_file(project, PREVIEW_ID).is_file()
    assert not state_file(project, DATABASE_ID).exists()

    add_files(folder, ["0002_posts.sql", "0003_trigger.sql"])
    (project / "dbtool.toml").write_text('[services.worker]\ndialect = "d1"\nwrangler = "wrangler.jsonc"\n')
    states = status_json(cwd=project)
    assert [s["state"] for s in states.values()] == ["applied", "pending", "pending"]
    ok("migrate", cwd=project)

    assert "No migrations to apply" in pending_per_wrangler(wrangler, project)
    tables = {r["name"] for r in wrangler.query(
        "SELECT name FROM sqlite_master WHERE type = 'table'", cwd=project)}
    assert "schema_history" in tables and "d1_migrations" not in tables
    names = wrangler.query("SELECT name FROM schema_history ORDER BY id", cwd=project)
    assert [r["name"] for r in names] == ["0001_users.sql", "0002_posts.sql", "0003_trigger.sql"]


def test_persist_to_mirrors_wrangler(tmp_path: Path, wrangler: Wrangler) -> None:
    project = tmp_path / "worker"
    project.mkdir()
    write_toml(project)
    add_files(project / "migrations", ["0001_users.sql"])
    wrangler.run("d1", "migrations", "apply", "DB", "--local", "--persist-to", "state-x", cwd=project)
    assert state_file(project, persist_to=project / "state-x").is_file()

    add_files(project / "migrations", ["0002_posts.sql"])
    url = "d1-local://.?binding=DB"
    args = ("--dir", "migrations", "--url", url, "--persist-to", "state-x")
    assert [s["state"] for s in status_json(*args, cwd=project).values()] == ["applied", "pending"]
    ok("migrate", *args, cwd=project)
    assert not state_file(project).exists(), "--persist-to replaces .wrangler/state"
    listing = pending_per_wrangler(wrangler, project, "--persist-to", "state-x")
    assert "No migrations to apply" in listing


def test_transaction_wrapper_accepted_by_wrangler_is_refused(tmp_path: Path, wrangler: Wrangler) -> None:
    wrapped = {"0002_wrapped.sql": "BEGIN TRANSACTION;\nCREATE TABLE wrapped (id INTEGER);\nCOMMIT;\n"}
    files = {**FILES, **wrapped}
    # wrangler's local apply strips the BEGIN TRANSACTION;/COMMIT; pair and accepts the file
    with_wrangler = tmp_path / "by-wrangler"
    with_wrangler.mkdir()
    write_toml(with_wrangler)
    add_files(with_wrangler / "migrations", ["0001_users.sql", "0002_wrapped.sql"], files)
    wrangler.run("d1", "migrations", "apply", "DB", "--local", cwd=with_wrangler)
    assert wrangler.query("SELECT count(*) AS n FROM wrapped", cwd=with_wrangler) == [{"n": 0}]

    project = tmp_path / "by-dbtool"
    project.mkdir()
    write_toml(project)
    add_files(project / "migrations", ["0001_users.sql"], files)
    url = "d1-local://.?binding=DB"
    ok("migrate", "--dir", "migrations", "--url", url, cwd=project)
    before = fingerprint(state_file(project))

    add_files(project / "migrations", ["0002_wrapped.sql"], files)
    code, _, err = dbtool("migrate", "--dir", "migrations", "--url", url, cwd=project)
    assert code == 1
    assert "migrations/0002_wrapped.sql:1:1" in err and "transaction" in err.lower()
    assert len(err.strip().splitlines()) == 1
    assert fingerprint(state_file(project)) == before
    names = wrangler.query("SELECT name FROM d1_migrations ORDER BY id", cwd=project)
    assert [r["name"] for r in names] == ["0001_users.sql"]


WIDE = "CREATE TABLE wide (\n" + ",\n".join(f"  c{i} TEXT" for i in range(101)) + "\n)"
BIG = "INSERT INTO ok VALUES ('" + "x" * 100_050 + "')"
RULES = {
    "begin": ("BEGIN TRANSACTION", "transaction"),
    "commit": ("COMMIT", "transaction"),
    "rollback": ("ROLLBACK", "transaction"),
    "savepoint": ("SAVEPOINT before_change", "savepoint"),
    "release": ("RELEASE before_change", "release"),
    "attach": ("ATTACH DATABASE 'other.db' AS other", "attach"),
    "detach": ("DETACH DATABASE other", "detach"),
    "pragma": ("PRAGMA journal_mode = DELETE", "pragma"),
    "temp-table": ("CREATE TEMP TABLE scratch (id INTEGER)", "temp"),
    "temporary-view": ("CREATE TEMPORARY VIEW v AS SELECT 1", "temp"),
    "cf-name": ("CREATE TABLE _cf_shadow (id INTEGER)", "_cf_"),
    "big-statement": (BIG, "100"),
    "wide-table": (WIDE, "100"),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_d1_rules_refuse_before_anything_runs(tmp_path: Path, rule: str) -> None:
    """Needs no wrangler binary: only wrangler's config and state layout."""
    statement, keyword = RULES[rule]
    project = tmp_path / "worker"
    project.mkdir()
    write_toml(project)
    folder = project / "migrations"
    add_files(folder, ["0001_users.sql"])
    url = "d1-local://.?binding=DB"
    ok("migrate", "--dir", "migrations", "--url", url, cwd=project)
    before = fingerprint(state_file(project))

    (folder / "0002_fine.sql").write_text("CREATE TABLE ok (v TEXT);\n")
    (folder / "0003_rule.sql").write_text(f"-- {rule}\nCREATE TABLE fine_{rule.replace('-', '_')} (id INTEGER);\n"
                                          f"{statement};\n")
    code, out, err = dbtool("migrate", "--dir", "migrations", "--url", url, cwd=project)
    assert code == 1, f"{rule}: exit {code}\n{out}\n{err}"
    # file:line:col of the offending statement (the column may point into it, at the token)
    assert re.search(r"migrations/0003_rule\.sql:3:\d+: ", err), err
    assert keyword.lower() in err.lower(), err
    assert len(err.strip().splitlines()) == 1
    assert fingerprint(state_file(project)) == before, "a refused run must not touch the database"


def test_drizzle_rebuild_that_empties_children_is_refused(tmp_path: Path, wrangler: Wrangler) -> None:
    """Issue #15 item 13 on wrangler's real local state: the drizzle-kit rebuild loses every
    child row (wrangler's own apply shows it); dbtool refuses it with DL102 and changes
    nothing, and applies it — saying so — only when the loss is acknowledged."""
    from tests.cli.test_data_loss_refusal import DRIZZLE, PARENT

    files = {"0001_parent.sql": PARENT, "0002_rebuild.sql": DRIZZLE}
    children = "SELECT count(*) AS n FROM child"
    by_wrangler = tmp_path / "by-wrangler"
    by_wrangler.mkdir()
    write_toml(by_wrangler)
    add_files(by_wrangler / "migrations", list(files), files)
    wrangler.run("d1", "migrations", "apply", "DB", "--local", cwd=by_wrangler)
    assert wrangler.query(children, cwd=by_wrangler) == [{"n": 0}], "wrangler empties the child table"

    project = tmp_path / "by-dbtool"
    project.mkdir()
    write_toml(project)
    add_files(project / "migrations", ["0001_parent.sql"], files)
    url = "d1-local://.?binding=DB"
    ok("migrate", "--dir", "migrations", "--url", url, cwd=project)
    before = fingerprint(state_file(project))
    add_files(project / "migrations", ["0002_rebuild.sql"], files)
    code, _, err = dbtool("migrate", "--dir", "migrations", "--url", url, cwd=project)
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert "migrations/0002_rebuild.sql:9:12" in err and "[DL102]" in err and "child" in err
    assert fingerprint(state_file(project)) == before
    assert wrangler.query(children, cwd=project) == [{"n": 3}]

    code, _, err = dbtool("migrate", "--dir", "migrations", "--url", url, "--allow-data-loss", cwd=project)
    assert code == 0 and "[DL102]" in err and "--allow-data-loss" in err, err
    assert wrangler.query(children, cwd=project) == [{"n": 0}]
    assert "No migrations to apply" in pending_per_wrangler(wrangler, project)
