"""Ad-hoc mode (`--dir DIR`, no dbtool.toml) on every command, named like a configured service.

A folder's service is named after the folder (made a plain name: `My App` -> `my-app`),
or after the wrangler `database_name` when the folder is a wrangler project or a
binding's `migrations_dir`; every command resolves `--dir` in the same place
(dbtool.core.targets), so they all agree on the name, the folder and the database.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
from pathlib import Path

import pytest

from dbtool.config import SERVICE_NAME
from dbtool.core.targets import TargetSpec, Use, resolve_targets
from dbtool.errors import UsageError
from tests.helpers import run_dbtool

SCHEMA = "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL);\n"


def dbtool_json(*args: str, cwd: Path, code: int = 0) -> dict:
    proc = run_dbtool(*args, "--format", "json", cwd=cwd)
    assert proc.returncode == code, f"dbtool {' '.join(args)}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
    return json.loads(proc.stdout)


def ok(*args: str, cwd: Path) -> str:
    proc = run_dbtool(*args, cwd=cwd)
    assert proc.returncode == 0, f"dbtool {' '.join(args)}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@x", "PATH": "/usr/bin:/bin"})


def test_every_command_takes_a_folder_without_a_config(tmp_path: Path) -> None:
    root = tmp_path
    folder = root / "My App"
    folder.mkdir()
    (folder / "0001_users.sql").write_text(SCHEMA)
    d, url, snap = ("--dir", "My App"), ("--url", "sqlite:///app.db"), ("--snapshot", "app.yaml")
    names: dict[str, str] = {}

    names["migrate"] = dbtool_json("migrate", *d, *url, cwd=root)["services"][0]["service"]
    names["status"] = dbtool_json("status", *d, *url, cwd=root)["services"][0]["service"]
    created = dbtool_json("new", *d, "add posts", cwd=root)
    names["new"] = created["service"]
    (root / created["path"]).write_text("CREATE TABLE posts (id TEXT PRIMARY KEY, user_id TEXT);\n")
    names["snapshot"] = dbtool_json("snapshot", *d, "--dialect", "sqlite", *snap, cwd=root
                                    )["services"][0]["service"]
    assert "\nservice: my-app\ndialect: sqlite\n" in (root / "app.yaml").read_text()
    check = dbtool_json("check", *d, "--dialect", "sqlite", *snap, cwd=root)
    assert check["passed"] and check["services"][0]["steps"] == {
        "files": "ok", "apply": "ok", "snapshot": "ok", "lint": "ok"}  # no docs step ad hoc
    names["check"] = check["services"][0]["service"]
    scratch = dbtool_json("audit", *d, "--dialect", "sqlite", *snap, cwd=root)["services"][0]
    assert scratch["clean"] and scratch["source"] == "scratch"
    live = dbtool_json("audit", *d, *url, *snap, cwd=root, code=1)["services"][0]
    assert [h["migration"] for h in live["history"]] == ["0002_add_posts.sql"]  # pending there
    names["audit"] = live["service"]
    lint = dbtool_json("lint", *d, "--dialect", "sqlite", cwd=root)
    assert [r["name"] for r in lint["reports"]] == ["My App"]
    names["introspect"] = dbtool_json("introspect", *d, *url, cwd=root)["service"]
    built = dbtool_json("introspect", *d, "--dialect", "sqlite", cwd=root)
    assert {t["name"] for t in built["schema"]["tables"]} == {"users", "posts"}
    names["mark"] = dbtool_json("mark", *d, *url, "0001_users.sql", "--pending", "--dry-run",
                                cwd=root)["service"]
    names["repair"] = dbtool_json("repair", *d, *url, "--dry-run", cwd=root)["service"]

    column = "      user_id: {type: TEXT, nullable: true}\n"
    text = (root / "app.yaml").read_text()
    assert column in text
    (root / "app.yaml").write_text(text.replace(column, column + "      title: {type: TEXT, nullable: true}\n"))
    generated = dbtool_json("diff", *d, "--dialect", "sqlite", *snap, "add title", cwd=root)
    assert generated["status"] == "written" and generated["service"] == "my-app"
    names["diff"] = generated["service"]
    assert (folder / "0003_add_title.sql").exists()

    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "x")
    (folder / "0001_users.sql").write_text(SCHEMA + "-- edited\n")
    guard = dbtool_json("guard", *d, cwd=root, code=1)
    assert guard["services"] == ["my-app"] and [e["name"] for e in guard["edits"]] == ["0001_users.sql"]
    assert set(names.values()) == {"my-app"}, names


WRANGLER = """name = "worker"
[[d1_databases]]
binding = "DB"
database_name = "Shop DB"
database_id = "00000000-0000-0000-0000-00000000abcd"
migrations_dir = "db/sql"
migrations_table = "shop_migrations"
"""


def test_a_wrangler_folder_is_named_after_its_database(tmp_path: Path) -> None:
    """`--dir` naming the wrangler project or its migrations_dir, or `--url d1-local://`: the
    service is `shop-db` (database_name), its files the binding's, its default database
    wrangler's local state with the binding's history table."""
    (tmp_path / "wrangler.toml").write_text(WRANGLER)
    (tmp_path / "db/sql").mkdir(parents=True)
    (tmp_path / "db/sql/0001_users.sql").write_text(SCHEMA)
    status = dbtool_json("status", "--dir", ".", cwd=tmp_path)["services"][0]
    assert (status["service"], status["label"], status["counts"]["pending"]) == ("shop-db", "wrangler local", 1)
    run = dbtool_json("migrate", "--dir", "db/sql", cwd=tmp_path)["services"][0]
    assert run["service"] == "shop-db" and [a["name"] for a in run["applied"]] == ["0001_users.sql"]
    via_url = dbtool_json("status", "--dir", "db/sql", "--url", "d1-local://.?binding=DB", cwd=tmp_path)
    assert via_url["services"][0]["service"] == "shop-db"
    assert via_url["services"][0]["counts"]["applied"] == 1
    created = dbtool_json("new", "--dir", ".", "add posts", cwd=tmp_path)
    assert created["service"] == "shop-db" and Path(created["path"]).parent == (tmp_path / "db/sql").resolve()
    (tmp_path / created["path"]).write_text("CREATE TABLE posts (id TEXT PRIMARY KEY);\n")
    snap = dbtool_json("snapshot", "--dir", ".", "--snapshot", "shop.yaml", cwd=tmp_path)
    assert snap["services"][0]["service"] == "shop-db"
    assert "dialect: d1" in (tmp_path / "shop.yaml").read_text()  # a wrangler folder is D1
    assert dbtool_json("check", "--dir", "db/sql", "--snapshot", "shop.yaml", cwd=tmp_path)["passed"]
    local = next((tmp_path / ".wrangler/state/v3/d1").rglob("*.sqlite"))
    with sqlite3.connect(local) as conn:
        assert conn.execute("SELECT name FROM shop_migrations").fetchall() == [("0001_users.sql",)]


FOLDERS = ["migrations", "My App", "shop.db", "x_y-z", "Ünïcode", "a b  c", "-lead", "_private",
           "CAPS", "9lives", "dots..", "sql"]


def test_generated_folders_get_one_name_in_every_use(tmp_path: Path) -> None:
    """Whatever a command needs of the folder (a database, a scratch build, the files, the
    folder), one folder gets one name, a plain one (it becomes file names), kept as it is
    when it already is one; in a wrangler project the database_name, made plain the same way."""
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    for case in range(30):
        name = rng.choice(FOLDERS) + (str(rng.randint(0, 99)) if rng.random() < 0.3 else "")
        wrangler = rng.random() < 0.4
        root = tmp_path / f"case{case}"
        folder = root / name
        folder.mkdir(parents=True)
        expected = name
        if wrangler:
            expected = rng.choice(FOLDERS)
            (root / "wrangler.toml").write_text(
                f'[[d1_databases]]\nbinding = "DB"\ndatabase_name = "{expected}"\n'
                f'database_id = "id{case}"\nmigrations_dir = "{name}"\n')
        where = f"seed {seed}, case {case}: folder {name!r}, wrangler {wrangler}"
        got = set()
        for use in Use:
            spec = TargetSpec(dir=folder, url=f"sqlite:///{root}/x.db" if use is Use.DATABASE else None,
                              dialect=None if wrangler or use in (Use.DATABASE, Use.FOLDER) else "sqlite")
            service = resolve_targets(spec, use).one.service
            got.add(service.name)
            assert service.migrations.resolve() == folder.resolve(), where
        [service_name] = got
        assert SERVICE_NAME.fullmatch(service_name), where
        if SERVICE_NAME.fullmatch(expected):
            assert service_name == expected, where


@pytest.mark.parametrize(("args", "fragment"), [
    (["snapshot", "--dir", "m", "--dialect", "sqlite"], "needs --snapshot PATH"),
    (["check", "--dir", "m", "--dialect", "sqlite"], "needs --snapshot PATH"),
    (["check", "--dir", "m", "--snapshot", "s.yaml"], "--dialect"),
    (["diff", "--dir", "m", "--dialect", "sqlite", "x"], "needs --snapshot PATH"),
    (["introspect", "--dir", "m"], "--dialect"),
    (["lint", "--dir", "m"], "--dialect"),
    (["snapshot", "--dir", "m", "--dialect", "oracle", "--snapshot", "s.yaml"], "oracle"),
    (["status", "--dir", "m"], "--dir needs --url"),
    (["snapshot", "app", "--snapshot", "s.yaml"], "--snapshot is for ad-hoc mode"),
])
def test_adhoc_misuse_is_one_clear_line(tmp_path: Path, args: list[str], fragment: str) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m/0001_a.sql").write_text(SCHEMA)
    (tmp_path / "dbtool.toml").write_text('[services.app]\ndialect = "sqlite"\nmigrations = "m"\n')
    proc = run_dbtool(*args, cwd=tmp_path)
    assert proc.returncode == 2 and fragment in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_dir_is_refused_with_service_names() -> None:
    with pytest.raises(UsageError, match="--dir replaces the service names"):
        resolve_targets(TargetSpec(services=("a",), dir=Path("m")), Use.SCRATCH)
