"""dbtool as a library: this module imports nothing of dbtool but `dbtool` and
`dbtool.testing`, and migrates, audits and introspects real SQLite and Postgres databases
through them, as a user's test suite would."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import dbtool
import dbtool.testing
from tests.zygote import dbtool_run

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "dbtool.toml"
FILES = {"0001_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n",
         "0002_posts.sql": "CREATE TABLE posts (id INTEGER PRIMARY KEY, "
                           "user_id INTEGER REFERENCES users (id), body TEXT);\n"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "app"
    path.mkdir()
    for name, text in FILES.items():
        (path / name).write_text(text)
    return path


def _counts(status: dbtool.ServiceStatus) -> dict[str, int]:
    return {state: n for state, n in status.counts.items() if n}


def test_import_dbtool_imports_nothing_else_until_used() -> None:
    code = ("import sys, dbtool; before = sorted(m for m in sys.modules if m.startswith('dbtool')); "
            "dbtool.migrate; print(before, 'dbtool.core.migrate' in sys.modules, "
            "'dbtool.api' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["['dbtool']", "False", "True"]
    missing = [name for name in dbtool.__all__ if getattr(dbtool, name, None) is None]
    assert missing == []


def test_sqlite_migrate_status_audit_introspect(folder: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    (plan,) = dbtool.migrate(dir=folder, url=url, dry_run=True)
    assert plan.status is dbtool.RunStatus.PLANNED and [p.name for p in plan.planned] == list(FILES)
    assert _counts(dbtool.status(dir=folder, url=url)[0]) == {"pending": 2}
    (run,) = dbtool.migrate(dir=folder, url=url)
    assert run.status is dbtool.RunStatus.MIGRATED and run.service == "app"
    assert [a.name for a in run.applied] == list(FILES)
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.status = dbtool.RunStatus.SKIPPED  # type: ignore[misc]
    (again,) = dbtool.migrate(dir=folder, url=url)
    assert again.status is dbtool.RunStatus.UP_TO_DATE

    (status,) = dbtool.status(dir=folder, url=url)
    assert [(s.name, s.state) for s in status.states] == [(n, dbtool.State.APPLIED) for n in FILES]

    schema_file = tmp_path / "app.yaml"
    (written,) = dbtool.snapshot(dir=folder, dialect="sqlite", snapshot=schema_file)
    assert written.status is dbtool.SnapshotStatus.WRITTEN and schema_file.is_file()
    (clean,) = dbtool.audit(dir=folder, url=url, snapshot=schema_file)
    assert clean.clean and clean.changes == ()

    with sqlite3.connect(tmp_path / "app.db") as conn:  # a hand-made change: drift
        conn.execute("ALTER TABLE users ADD COLUMN nickname TEXT")
    (drift,) = dbtool.audit(dir=folder, url=url, snapshot=schema_file)
    assert not drift.clean
    assert [(c.kind.value, c.name) for c in drift.changes] == [("extra", "users.nickname")]

    report = dbtool.introspect(dir=folder, url=url)
    assert isinstance(report, dbtool.IntrospectionReport)
    tables = {t.name: [c.name for c in t.columns] for t in report.schema.tables}
    assert tables == {"users": ["id", "email", "nickname"], "posts": ["id", "user_id", "body"]}
    assert [(m.name, m.state) for m in report.migrations] == [(n, "applied") for n in FILES]


def test_sqlite_errors_are_typed_and_change_nothing(folder: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    (folder / "0003_bad.sql").write_text("CREATE TABLE tags (id INTEGER PRIMARY KEY);\n"
                                         "INSERT INTO nowhere VALUES (1);\n")
    with pytest.raises(dbtool.MigrationFailed) as failed:
        dbtool.migrate(dir=folder, url=url)
    error = failed.value
    assert isinstance(error, dbtool.DbtoolError) and error.exit_code == 1
    assert error.location is not None and Path(error.location.path).name == "0003_bad.sql"
    assert error.location.line == 2
    (status,) = dbtool.status(dir=folder, url=url)
    assert _counts(status) == {"applied": 2, "pending": 1}  # the failed file rolled back whole
    with sqlite3.connect(tmp_path / "app.db") as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'tags'").fetchall() == []
    with pytest.raises(dbtool.UsageError, match="--dir needs --url"):
        dbtool.migrate(dir=folder)
    with pytest.raises(dbtool.ConfigError):
        dbtool.status("nosuch", config=CONFIG)


def test_lint_check_and_diff_return_typed_results(folder: Path, tmp_path: Path) -> None:
    (report,) = dbtool.lint(dir=folder, dialect="sqlite")
    assert isinstance(report, dbtool.LintReport) and not report.failed
    assert [p.name for p in report.files] == list(FILES)
    schema_file = tmp_path / "app.yaml"
    dbtool.snapshot(dir=folder, dialect="sqlite", snapshot=schema_file)
    checked = dbtool.check(dir=folder, dialect="sqlite", snapshot=schema_file)
    assert isinstance(checked, dbtool.CheckReport) and checked.passed and checked.exit_code == 0

    text = schema_file.read_text()  # declare a new column, then let diff write the migration
    body = "      body: {type: TEXT, nullable: true}\n"
    assert body in text
    schema_file.write_text(text.replace(body, body + "      title: {type: TEXT, nullable: true}\n", 1))
    result = dbtool.diff(name="add title", dir=folder, dialect="sqlite", snapshot=schema_file)
    assert isinstance(result, dbtool.DiffResult) and result.status is dbtool.DiffStatus.WRITTEN
    (generated,) = result.files
    assert (folder / generated.name).is_file() and "title" in generated.text
    url = f"sqlite:///{tmp_path / 'app.db'}"
    (run,) = dbtool.migrate(dir=folder, url=url)
    assert [a.name for a in run.applied] == [*FILES, generated.name]
    assert dbtool.audit(dir=folder, url=url, snapshot=schema_file)[0].clean


def test_the_cli_document_is_the_api_result(folder: Path, tmp_path: Path) -> None:
    """The CLI calls the same function: its --format json is the result's `to_dict()`."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    dbtool.migrate(dir=folder, url=url)
    proc = dbtool_run([sys.executable, "-m", "dbtool", "status", "--dir", str(folder),
                       "--url", url, "--format", "json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"services": [s.to_dict() for s in
                                                    dbtool.status(dir=folder, url=url)]}


@pytest.mark.postgres
@pytest.mark.dbtool(service="scenes", config=CONFIG)
def test_postgres_service_fixture_migrate_audit_introspect(
        dbtool_postgres: dbtool.testing.MigratedDatabase) -> None:
    db = dbtool_postgres
    files = sorted(p.name for p in (REPO / "migrations" / "scenes").glob("*.sql"))
    assert db.url.startswith("postgresql://") and db.path is None
    assert db.applied == tuple(files)
    (status,) = dbtool.status("scenes", config=CONFIG, url=db.url)
    assert _counts(status) == {"applied": len(files)} and not status.needs_attention
    (audit,) = dbtool.audit("scenes", config=CONFIG, url=db.url)
    assert audit.source.startswith("postgresql://") and audit.clean, audit.changes
    report = dbtool.introspect("scenes", config=CONFIG, url=db.url)
    assert report.dialect == "postgres" and report.source.kind == "target"
    with db.connect() as conn:
        live = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    assert {t.name for t in report.schema.tables} == live - {"dbtool_migrations"}


@pytest.mark.postgres
def test_postgres_ad_hoc_drift_through_the_factory(
        folder: Path, tmp_path: Path, dbtool_database_factory) -> None:
    """Two databases from one folder: one stays as migrated, the other is changed by hand;
    audit tells them apart, and a failed migration on Postgres raises the typed error."""
    first = dbtool_database_factory("postgres", dir=folder)
    second = dbtool_database_factory("postgres", dir=folder, to="0001_users.sql")
    assert first.applied == tuple(FILES) and second.applied == ("0001_users.sql",)
    schema_file = tmp_path / "app.yaml"
    (snap,) = dbtool.snapshot(dir=folder, dialect="postgres", snapshot=schema_file)
    assert snap.status is dbtool.SnapshotStatus.WRITTEN
    assert dbtool.audit(dir=folder, url=first.url, snapshot=schema_file)[0].clean
    (behind,) = dbtool.audit(dir=folder, url=second.url, snapshot=schema_file)
    assert [(c.kind.value, c.name) for c in behind.changes] == [("missing", "posts")]
    assert [(h.migration, h.state) for h in behind.history] == [("0002_posts.sql",
                                                                 dbtool.State.PENDING)]
    (folder / "0003_bad.sql").write_text("ALTER TABLE nowhere ADD COLUMN x int;\n")
    with pytest.raises(dbtool.MigrationFailed):
        dbtool.migrate(dir=folder, url=second.url)
    assert _counts(dbtool.status(dir=folder, url=second.url)[0]) == {"applied": 2, "pending": 1}


@pytest.mark.postgres
def test_fixture_databases_are_removed_when_the_test_fails(folder: Path, tmp_path: Path) -> None:
    import psycopg

    server = os.environ["DBTOOL_TEST_POSTGRES_URL"]
    migrations = dbtool.testing.Migrations(dir=folder)
    made = []
    for open_database in (lambda: dbtool.testing.postgres_database(server, migrations),
                          lambda: dbtool.testing.sqlite_database(tmp_path, migrations)):
        with pytest.raises(RuntimeError), open_database() as db:
            made.append(db)
            assert db.applied == tuple(FILES)
            raise RuntimeError("the test failed")
    pg, lite = made
    with psycopg.connect(server) as conn:
        name = pg.url.rpartition("/")[2]
        assert name.startswith("dbtool_test_")
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchall() == []
    assert lite.path is not None and lite.path.parent == tmp_path and not lite.path.exists()
