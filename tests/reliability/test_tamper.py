"""Applied history versus the files on disk: edited, re-saved with other line
endings, renamed, deleted, or a new file slipped in before applied ones.

`status` and `audit --url` name the file and its state; `migrate` refuses with
exit 1 (changing nothing) unless the matching override is given; line endings
and a BOM alone are not an edit. SQLite and Postgres.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import run_dbtool
from tests.reliability.fingerprint import pg_catalog, sqlite_bytes
from tests.reliability.workload import PG_ADMIN_URL

FILES = {
    "0001_users.sql": "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT);\n",
    "0002_posts.sql": ("-- posts\nCREATE TABLE posts (id TEXT PRIMARY KEY, user_id TEXT REFERENCES users(id));\n"
                       "CREATE INDEX idx_posts_user ON posts (user_id);\n"),
    "0003_tags.sql": "CREATE TABLE tags (name TEXT PRIMARY KEY);\n",
}


@dataclass
class Project:
    root: Path
    url: str
    engine: str

    @property
    def folder(self) -> Path:
        return self.root / "migrations"

    def fingerprint(self) -> object:
        if self.engine == "postgres":
            return pg_catalog(self.url)
        return sqlite_bytes(self.root / "app.db")

    def dbtool(self, *args: str):
        return run_dbtool(*args, "app", "--url", self.url, cwd=self.root)

    def status(self) -> dict[str, str]:
        proc = self.dbtool("status", "--format", "json")
        assert proc.returncode == 0, proc.stderr
        return {m["name"]: m["state"] for m in json.loads(proc.stdout)["services"][0]["migrations"]}

    def audit(self) -> tuple[int, dict[str, str], list]:
        proc = self.dbtool("audit", "--format", "json")
        service = json.loads(proc.stdout)["services"][0]
        return proc.returncode, {h["migration"]: h["state"] for h in service["history"]}, service["changes"]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def base(request, tmp_path_factory):
    """A project migrated to all three files, with its snapshot."""
    engine = request.param
    root = tmp_path_factory.mktemp(f"tamper-{engine}")
    (root / "migrations").mkdir()
    for name, body in FILES.items():
        (root / "migrations" / name).write_text(body)
    dialect = "postgres" if engine == "postgres" else "sqlite"
    (root / "dbtool.toml").write_text(f'scratch_url = "{PG_ADMIN_URL}"\n\n[services.app]\n'
                                      f'dialect = "{dialect}"\nmigrations = "migrations"\n')
    url, dbname = f"sqlite:///{root / 'app.db'}", None
    if engine == "postgres":
        from tests.conftest import create_pg_database, require_postgres

        require_postgres()
        url = create_pg_database("dbtool_tamper")
        dbname = url.rpartition("/")[2]
    project = Project(root, url, engine)
    assert project.dbtool("migrate").returncode == 0
    assert run_dbtool("snapshot", "app", cwd=root).returncode == 0
    yield project, dbname
    if dbname:
        from tests.conftest import drop_pg_database

        drop_pg_database(url)


@pytest.fixture
def project(base, tmp_path):
    """A private copy of the migrated project (and its database)."""
    source, dbname = base
    root = tmp_path / "project"
    shutil.copytree(source.root, root)
    if source.engine != "postgres":
        yield Project(root, f"sqlite:///{root / 'app.db'}", "sqlite")
        return
    import psycopg

    copy = f"dbtool_tamper_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{dbname}"')
    yield Project(root, source.url.rpartition("/")[0] + "/" + copy, "postgres")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def refused(project: Project, *fragments: str) -> None:
    """migrate exits 1 with one line naming the problem, and changes nothing."""
    (project.folder / "0009_next.sql").write_text("CREATE TABLE next_one (id TEXT);\n")
    before = project.fingerprint()
    proc = project.dbtool("migrate")
    err = proc.stderr.strip()
    assert proc.returncode == 1, (proc.returncode, err)
    assert len(err.splitlines()) == 1 and "Traceback" not in err and " — " in err
    for fragment in fragments:
        assert fragment in err, err
    assert project.fingerprint() == before  # not even the harmless 0009 ran


def test_an_edited_file_is_named_and_refused(project):
    path = project.folder / "0002_posts.sql"
    path.write_text(path.read_text().replace("user_id TEXT", "author_id TEXT"))
    assert project.status()["0002_posts.sql"] == "modified"
    code, history, _ = project.audit()
    assert code == 1 and history == {"0002_posts.sql": "modified"}
    refused(project, "changed since they ran: 0002_posts.sql", "--allow-modified")
    assert project.dbtool("migrate", "--allow-modified").returncode == 0


def test_line_endings_and_a_bom_are_not_an_edit(project):
    for path in project.folder.iterdir():
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    tags = project.folder / "0003_tags.sql"
    tags.write_bytes(b"\xef\xbb\xbf" + tags.read_bytes())
    assert set(project.status().values()) == {"applied"}
    assert project.audit() == (0, {}, [])
    before = project.fingerprint()
    proc = project.dbtool("migrate")
    assert proc.returncode == 0 and "up to date" in proc.stdout
    assert project.fingerprint() == before


def test_a_renamed_file_is_named_and_refused(project):
    (project.folder / "0002_posts.sql").rename(project.folder / "0002_posts_v2.sql")
    states = project.status()
    assert states["0002_posts.sql"] == "missing" and states["0002_posts_v2.sql"] == "out-of-order"
    code, history, _ = project.audit()
    assert code == 1
    assert history == {"0002_posts.sql": "missing", "0002_posts_v2.sql": "out-of-order"}
    refused(project, "0002_posts.sql was renamed to 0002_posts_v2.sql")


def test_a_deleted_file_is_named_and_refused(project):
    (project.folder / "0002_posts.sql").unlink()
    assert project.status()["0002_posts.sql"] == "missing"
    code, history, _ = project.audit()
    assert code == 1 and history == {"0002_posts.sql": "missing"}
    refused(project, "no file any more: 0002_posts.sql", "--allow-missing")
    proc = project.dbtool("migrate", "--allow-missing", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert [a["name"] for a in json.loads(proc.stdout)["services"][0]["applied"]] == ["0009_next.sql"]


def test_a_file_inserted_before_applied_ones_is_named_and_refused(project):
    (project.folder / "0002_5_late.sql").write_text("CREATE TABLE late (id TEXT);\n")
    assert project.status()["0002_5_late.sql"] == "out-of-order"
    code, history, _ = project.audit()
    assert code == 1 and history == {"0002_5_late.sql": "out-of-order"}
    refused(project, "older than the newest applied one: 0002_5_late.sql", "--allow-out-of-order")
    assert project.dbtool("migrate", "--allow-out-of-order").returncode == 0
    assert set(project.status().values()) == {"applied"}
