"""`dbtool init` in real project layouts built from files: wrangler, Supabase, dbmate, plain.

Acceptance: after `init`, `dbtool status` and `dbtool check` work with no edit.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import tomllib
from pathlib import Path

import psycopg
import pytest

from dbtool.config import load_project
from dbtool.core.init import init_project
from dbtool.errors import UsageError
from tests.conftest import PG_ADMIN_URL
from tests.helpers import run_dbtool

SCRATCH = {"DBTOOL_SCRATCH_URL": PG_ADMIN_URL}
SERVICE_NAME = re.compile(r"[a-z0-9_][a-z0-9_-]*")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def ok(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = run_dbtool(*args, cwd=cwd, env=env)
    assert proc.returncode == 0, f"dbtool {' '.join(args)}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


# -- wrangler --------------------------------------------------------------------
def wrangler_project(root: Path) -> Path:
    write(root / "wrangler.toml", 'name = "shop"\nmain = "src/index.ts"\n\n[[d1_databases]]\n'
          'binding = "DB"\ndatabase_name = "Shop DB"\ndatabase_id = "6f2b1c4e-0000-4000-8000-000000000001"\n')
    write(root / "migrations" / "0001_items.sql",
          "CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT NOT NULL);\n")
    write(root / "migrations" / "0002_items_name.sql", "CREATE INDEX idx_items_name ON items (name);\n")
    write(root / "workers" / "auth" / "wrangler.jsonc", """{
  // the auth worker: two databases
  "name": "auth",
  "d1_databases": [
    {"binding": "USERS", "database_name": "users", "database_id": "aaaa", "migrations_dir": "db"},
    {"binding": "SESSIONS", "database_name": "../sessions", "database_id": "bbbb",
     "migrations_dir": "db/sessions", "migrations_table": "session_migrations"},
  ],
}
""")
    write(root / "workers" / "auth" / "db" / "0001_users.sql", "CREATE TABLE users (id TEXT PRIMARY KEY);\n")
    write(root / "workers" / "auth" / "db" / "sessions" / "0001_sessions.sql",
          "CREATE TABLE sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL);\n"
          "CREATE INDEX idx_sessions_user ON sessions (user_id);\n")
    write(root / "node_modules" / "dep" / "wrangler.toml", '[[d1_databases]]\nbinding = "X"\n')
    return root


def test_wrangler_project_works_at_once(tmp_path: Path) -> None:
    root = wrangler_project(tmp_path / "shop")
    out = ok("init", cwd=root)
    assert "wrote" in out and "shop-db: snapshot written" in out
    config = tomllib.loads((root / "dbtool.toml").read_text())
    assert config["services"] == {
        "shop-db": {"dialect": "d1", "wrangler": "wrangler.toml", "snapshot": "schemas/shop-db.yaml"},
        "users": {"dialect": "d1", "wrangler": "workers/auth/wrangler.jsonc", "binding": "USERS",
                  "snapshot": "schemas/users.yaml"},
        "sessions": {"dialect": "d1", "wrangler": "workers/auth/wrangler.jsonc",
                     "binding": "SESSIONS", "snapshot": "schemas/sessions.yaml"},
    }
    status = json.loads(ok("status", "--all", "--format", "json", cwd=root))
    assert {s["service"]: s["counts"]["pending"] for s in status["services"]} == {
        "shop-db": 2, "users": 1, "sessions": 1}
    assert "check: passed" in ok("check", cwd=root)
    ok("migrate", "--all", cwd=root)  # into wrangler's own local state
    states = list((root / ".wrangler" / "state" / "v3" / "d1").rglob("*.sqlite"))
    assert len(states) == 1  # shop; the auth worker's state lives under workers/auth
    auth_states = sorted((root / "workers" / "auth" / ".wrangler").rglob("*.sqlite"))
    tables = set()
    for state in auth_states:
        with sqlite3.connect(state) as conn:
            tables |= {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert len(auth_states) == 2  # users and sessions, each in wrangler's history table of its own
    assert {"users", "d1_migrations", "sessions", "session_migrations"} <= tables
    after = json.loads(ok("status", "--all", "--format", "json", "--exit-code", cwd=root))
    assert all(s["counts"]["pending"] == 0 for s in after["services"])


def test_a_second_init_refuses_and_changes_nothing(tmp_path: Path) -> None:
    root = wrangler_project(tmp_path / "shop")
    ok("init", "--no-snapshots", cwd=root)
    before = (root / "dbtool.toml").read_bytes()
    proc = run_dbtool("init", cwd=root)
    assert proc.returncode == 2 and proc.stdout == ""
    [message] = proc.stderr.splitlines()
    assert "dbtool.toml already exists; dbtool init never overwrites it" in message
    assert (root / "dbtool.toml").read_bytes() == before and not (root / "schemas").exists()


def test_pyproject_with_tool_dbtool_is_never_overwritten(tmp_path: Path) -> None:
    root = wrangler_project(tmp_path / "shop")
    write(root / "pyproject.toml", '[project]\nname = "x"\n\n[tool.dbtool.services.x]\ndialect = "d1"\n')
    proc = run_dbtool("init", cwd=root)
    assert proc.returncode == 2 and "already has [tool.dbtool]" in proc.stderr
    assert not (root / "dbtool.toml").exists()


def test_dry_run_prints_exactly_what_init_writes_and_writes_nothing(tmp_path: Path) -> None:
    root = wrangler_project(tmp_path / "shop")
    proc = run_dbtool("init", "--dry-run", cwd=root)
    assert proc.returncode == 0
    assert not (root / "dbtool.toml").exists() and not (root / "schemas").exists()
    tomllib.loads(proc.stdout)
    ok("init", "--no-snapshots", cwd=root)
    assert (root / "dbtool.toml").read_text() == proc.stdout


def test_json_describes_what_was_detected(tmp_path: Path) -> None:
    root = wrangler_project(tmp_path / "shop")
    document = json.loads(ok("init", "--dry-run", "--format", "json", cwd=root))
    assert document["dry_run"] is True and document["written"] is False
    by_name = {s["name"]: s for s in document["services"]}
    assert by_name["sessions"] == {
        "name": "sessions", "dialect": "d1", "source": "wrangler", "migrations": "workers/auth/db/sessions",
        "files": 1, "naming": None, "wrangler": "workers/auth/wrangler.jsonc", "binding": "SESSIONS",
        "prelude": None, "exposed_schemas": [], "url_env": None, "down_sections": []}
    assert tomllib.loads(document["toml"])["services"].keys() == by_name.keys()


# -- Supabase --------------------------------------------------------------------
NOTES = """CREATE TABLE public.notes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  body text NOT NULL
);
CREATE INDEX notes_user_id_idx ON public.notes (user_id);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own notes" ON public.notes FOR ALL TO authenticated
  USING (auth.uid() = user_id) WITH CHECK (auth.uid() = user_id);
"""


@pytest.mark.postgres
def test_supabase_project_works_at_once(tmp_path: Path, pg_url: str) -> None:
    root = tmp_path / "app"
    write(root / "supabase" / "config.toml", 'project_id = "My App"\n[api]\nport = 54321\n')
    write(root / "supabase" / "migrations" / "20240101000000_notes.sql", NOTES)
    write(root / "supabase" / "migrations" / "20240102000000_title.sql",
          "ALTER TABLE public.notes ADD COLUMN title text;\n")
    write(root / "supabase" / "seed.sql", "INSERT INTO public.notes VALUES (1);\n")
    out = ok("init", cwd=root, env=SCRATCH)
    assert "my-app: snapshot written" in out
    service = tomllib.loads((root / "dbtool.toml").read_text())["services"]["my-app"]
    assert service == {"dialect": "postgres", "migrations": "supabase/migrations",
                       "snapshot": "schemas/my-app.yaml", "naming": "timestamp", "prelude": "supabase",
                       "schemas": ["public"], "exposed_schemas": ["public"],
                       "url_env": "MY_APP_DATABASE_URL"}
    assert "$MY_APP_DATABASE_URL" in (root / "dbtool.toml").read_text()  # the target is documented
    skipped = ok("status", cwd=root)
    assert "skipped" in skipped and "MY_APP_DATABASE_URL" in skipped
    assert "check: passed" in ok("check", "--require-all", cwd=root, env=SCRATCH)
    env = {**SCRATCH, "MY_APP_DATABASE_URL": pg_url}
    status = json.loads(ok("status", "--format", "json", cwd=root, env=env))
    assert status["services"][0]["counts"]["pending"] == 2
    ok("migrate", "--prelude", cwd=root, env=env)  # plain Postgres: the prelude stands in for Supabase
    ok("status", "--exit-code", cwd=root, env=env)
    audit = json.loads(ok("audit", "--target", "default", "--format", "json", cwd=root, env=env))
    assert audit["services"][0]["clean"] is True


# -- dbmate ----------------------------------------------------------------------
DBMATE = {
    "20240101120000_create_users.sql": "-- migrate:up\nCREATE TABLE users (\n  id bigserial PRIMARY KEY,\n"
                                       "  email text NOT NULL UNIQUE\n);\n\n-- migrate:down\nDROP TABLE users;\n",
    "20240102120000_add_name.sql": "-- migrate:up\nALTER TABLE users ADD COLUMN name text;\n\n"
                                   "-- migrate:down\nALTER TABLE users DROP COLUMN name;\n",
    "20231231120000_noop_down.sql": "-- migrate:up\nCREATE TABLE tags (id int PRIMARY KEY);\n\n"
                                    "-- migrate:down\n\n",
}


def dbmate_project(root: Path, env_line: str | None) -> Path:
    for name, text in DBMATE.items():
        write(root / "db" / "migrations" / name, text)
    if env_line is not None:
        write(root / ".env", f"# dbmate\n{env_line}\n")
    return root


@pytest.mark.postgres
def test_dbmate_postgres_project_works_at_once_after_splitting_down_sections(tmp_path: Path,
                                                                             pg_url: str) -> None:
    root = dbmate_project(tmp_path / "shop", 'export DATABASE_URL="postgres://u:pw@db:5432/shop?sslmode=disable"')
    files = root / "db" / "migrations"
    before = {p.name: p.read_bytes() for p in files.iterdir()}
    refused = run_dbtool("init", cwd=root, env=SCRATCH)
    assert refused.returncode == 2
    [message] = refused.stderr.splitlines()
    assert "2 file(s) in db/migrations hold a `-- migrate:down` section" in message and "--split-down" in message
    assert not (root / "dbtool.toml").exists()
    assert {p.name: p.read_bytes() for p in files.iterdir()} == before

    out = ok("init", "--split-down", cwd=root, env=SCRATCH)
    assert "shop: snapshot written" in out
    config = tomllib.loads((root / "dbtool.toml").read_text())["services"]["shop"]
    assert config["dialect"] == "postgres" and config["url_env"] == "DATABASE_URL"
    assert config["naming"] == "timestamp"
    assert sorted(p.name for p in (files / "down").iterdir()) == sorted(list(DBMATE)[:2])
    assert "-- migrate:down" not in (files / "20240101120000_create_users.sql").read_text()
    assert (files / "20240101120000_create_users.sql").read_text().startswith("-- migrate:up\n")
    assert (files / "20231231120000_noop_down.sql").read_bytes() == before["20231231120000_noop_down.sql"]

    assert "check: passed" in ok("check", "--require-all", cwd=root, env=SCRATCH)
    env = {**SCRATCH, "DATABASE_URL": pg_url}
    ok("migrate", cwd=root, env=env)
    ok("status", "--exit-code", cwd=root, env=env)
    ok("rollback", "shop", "--steps", "2", cwd=root, env=env)  # the moved down sections run
    with psycopg.connect(pg_url) as conn:
        columns = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'")]
    assert columns == []  # users dropped by the first file's down section


def test_dbmate_without_dotenv_asks_for_the_dialect(tmp_path: Path) -> None:
    root = dbmate_project(tmp_path / "app", None)
    for name in DBMATE:  # a SQLite flavour: no down sections
        path = root / "db" / "migrations" / name
        path.write_text(path.read_text().split("-- migrate:down")[0].replace("bigserial", "INTEGER"))
    proc = run_dbtool("init", cwd=root)
    assert proc.returncode == 2
    assert "dialect is unknown: no DATABASE_URL in .env — pass --dialect" in proc.stderr
    ok("init", "--dialect", "sqlite", cwd=root)
    assert tomllib.loads((root / "dbtool.toml").read_text())["services"]["app"]["dialect"] == "sqlite"
    assert "3 pending" in ok("status", cwd=root)
    assert "check: passed" in ok("check", cwd=root)


def test_dbmate_dialect_comes_from_a_sqlite_database_url(tmp_path: Path) -> None:
    root = dbmate_project(tmp_path / "app", "DATABASE_URL=sqlite:db/database.sqlite3")
    result = init_project(root, dry_run=True, split_down=True)
    assert [(s.dialect, s.url_env) for s in result.services] == [("sqlite", None)]
    assert "sqlite:///PATH" in result.text


# -- plain migrations/ -----------------------------------------------------------
def test_plain_migrations_folder_needs_a_dialect_and_gets_one_service_per_subfolder(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    write(root / "migrations" / "billing" / "0001_a.sql", "CREATE TABLE a (id TEXT PRIMARY KEY);\n")
    write(root / "migrations" / "Audit Log" / "001_b.sql", "CREATE TABLE b (id TEXT PRIMARY KEY);\n")
    proc = run_dbtool("init", cwd=root)
    assert proc.returncode == 2 and "pass --dialect sqlite, d1 or postgres" in proc.stderr
    ok("init", "--dialect", "d1", cwd=root)
    services = tomllib.loads((root / "dbtool.toml").read_text())["services"]
    assert services["audit-log"]["migrations"] == "migrations/Audit Log"
    assert services["billing"]["dialect"] == "d1"
    assert "check: passed" in ok("check", cwd=root)
    assert "1 pending" in ok("status", "audit-log", cwd=root)


def test_nothing_to_detect_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = run_dbtool("init", cwd=tmp_path)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
    assert "found no migrations" in proc.stderr and not (tmp_path / "dbtool.toml").exists()


# -- generated layouts -----------------------------------------------------------
_NAMES = ["api", "Shop DB", "../etc", "..", "a/b", "données", "2048", "x.y", "-lead", "API", "api", "",
          "my_app", " spaced  out ", "UPPER-case", "é", "a" * 40, "$HOME", "db;drop"]


def _random_project(rng: random.Random, root: Path) -> dict[str, str]:
    """A layout with wrangler configs, maybe Supabase and dbmate; returns folder -> dialect."""
    expected: dict[str, str] = {}
    for worker in range(rng.randint(0, 3)):
        folder = root if worker == 0 else root / "workers" / f"w{worker}"
        entries = []
        for index in range(rng.randint(1, 3)):
            name = rng.choice(_NAMES)
            migrations = f"m{index}"
            entries.append({"binding": f"DB{index}", "database_name": name, "database_id": f"id{index}",
                            "migrations_dir": migrations})
            write(folder / migrations / "0001_x.sql", "CREATE TABLE t (id TEXT PRIMARY KEY);\n")
            expected[(folder / migrations).resolve().as_posix()] = "d1"
        write(folder / "wrangler.jsonc", json.dumps({"name": "w", "d1_databases": entries}))
    if rng.random() < 0.5:
        write(root / "supabase" / "config.toml", f"project_id = {json.dumps(rng.choice(_NAMES))}\n")
        write(root / "supabase" / "migrations" / "20240101000000_x.sql", "CREATE TABLE s (id int);\n")
        expected[(root / "supabase" / "migrations").resolve().as_posix()] = "postgres"
    if rng.random() < 0.5:
        write(root / ".env", "DATABASE_URL=postgresql://x@y/z\n")
        write(root / "db" / "migrations" / "20240101000000_x.sql", "-- migrate:up\nCREATE TABLE d (id int);\n")
        expected[(root / "db" / "migrations").resolve().as_posix()] = "postgres"
    return expected


@pytest.mark.parametrize("seed", range(3))
def test_generated_layouts_give_a_config_the_loader_accepts(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    for case in range(40):
        root = tmp_path / f"case{case}" / rng.choice(["proj", "My Project", "ünï", "x,y"])
        root.mkdir(parents=True)
        expected = _random_project(rng, root)
        where = f"seed {seed} case {case}"
        if not expected:
            with pytest.raises(UsageError):
                init_project(root, snapshots=False)
            continue
        result = init_project(root, snapshots=False)
        project = load_project(root / "dbtool.toml")
        names = [s.name for s in project.services]
        assert len(names) == len(set(names)) == len(expected), f"{where}: {names}"
        assert all(SERVICE_NAME.fullmatch(n) for n in names), f"{where}: {names}"
        from dbtool.core.targets import wrangler_aware

        got = {wrangler_aware(s).migrations.resolve().as_posix(): s.dialect for s in project.services}
        assert got == expected, f"{where}: {result.text}"
