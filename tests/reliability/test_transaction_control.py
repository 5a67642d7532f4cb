"""Transaction control inside a transactional file, generated (issue #15, item 4).

Seeded random files (tests/reliability/txgen.py) on SQLite, embedded D1 and
Postgres. The promises, checked on every file:

* a file holding transaction control (any spelling: case, whitespace, comments
  between the keywords, TRANSACTION/WORK, CRLF, at any position) is refused
  before anything runs — exit 1, the code (TX101, D101 on D1) and the
  `file:line:col` of the first such statement — and the database is byte for
  byte (SQLite) / catalog and rows (Postgres) what it was;
* a file without one applies atomically: all of its objects and its history row;
* a failing statement after good ones leaves nothing behind, and the error says
  "rolled back" because the engine confirmed it.

DBTOOL_TX_SEED replays one run, DBTOOL_TX_ROUNDS sets the number of files per
engine (default 40). Every 8th file also goes through the real CLI (exit code,
one line on stderr).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from dbtool.core.migrate import MigrateOptions, migrate
from dbtool.core.targets import TargetSpec
from dbtool.errors import DbtoolError, MigrationFailed, RuleViolation
from tests.helpers import run_dbtool
from tests.reliability.txgen import make_file

SEED = int(os.environ.get("DBTOOL_TX_SEED") or random.randrange(2**32))
ROUNDS = int(os.environ.get("DBTOOL_TX_ROUNDS") or 40)
BASE = "CREATE TABLE base (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO base VALUES (1, 'kept');\n"


class Sqlite:
    """A SQLite file (dialect sqlite) or the embedded D1 default (dialect d1)."""

    def __init__(self, root: Path, dialect: str) -> None:
        self.root, self.dialect = root, dialect
        self.folder = root / "migrations"
        self.folder.mkdir(parents=True)
        (self.folder / "0001_base.sql").write_text(BASE)
        if dialect == "d1":
            self.config = root / "dbtool.toml"
            self.config.write_text('[services.app]\ndialect = "d1"\nmigrations = "migrations"\n')
            self.path = root / ".dbtool" / "local" / "app.db"
            self.spec = TargetSpec(services=("app",), config=self.config)
            self.cli = ["--config", str(self.config), "migrate", "app"]
        else:
            self.path = root / "app.db"
            url = f"sqlite:///{self.path}"
            self.spec = TargetSpec(dir=self.folder, url=url)
            self.cli = ["migrate", "--dir", str(self.folder), "--url", url]
        migrate(self.spec, MigrateOptions(lock_timeout=5))
        self.pristine = root / "pristine.db"
        shutil.copy(self.path, self.pristine)

    def reset(self) -> None:
        for leftover in self.path.parent.glob(self.path.name + "*"):
            leftover.unlink()
        shutil.copy(self.pristine, self.path)

    def state(self) -> dict[str, str]:
        """Hashes of the database file and its companions: equal means byte for byte."""
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(self.path.parent.glob(self.path.name + "*"))
                if not p.name.endswith("-shm") and not (p.name.endswith("-wal") and p.stat().st_size == 0)}

    def rows(self, table: str) -> int | None:
        with sqlite3.connect(self.path) as conn:
            try:
                return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            except sqlite3.OperationalError:
                return None

    def history(self) -> list[str]:
        with sqlite3.connect(self.path) as conn:
            return [r[0] for r in conn.execute("SELECT name FROM d1_migrations ORDER BY id")]

    def close(self) -> None:
        pass


class Postgres:
    dialect = "postgres"

    def __init__(self, root: Path, url: str) -> None:
        import psycopg

        self.folder = root / "migrations"
        self.folder.mkdir(parents=True)
        (self.folder / "0001_base.sql").write_text(BASE.replace("INTEGER", "integer"))
        self.url = url
        self.spec = TargetSpec(dir=self.folder, url=url)
        self.cli = ["migrate", "--dir", str(self.folder), "--url", url]
        self.conn = psycopg.connect(url, autocommit=True)
        self.reset()

    def reset(self) -> None:
        # wherever this dbtool keeps its history (public today, a schema of its own later)
        for (schema,) in self.conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                "AND nspname <> 'information_schema'").fetchall():
            self.conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        self.conn.execute("CREATE SCHEMA public")
        migrate(self.spec, MigrateOptions(to="0001_base.sql", lock_timeout=5))

    def state(self) -> Any:
        """Every relation, function and type outside the system schemas, with row counts."""
        objects = self.conn.execute(
            "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON "
            "n.oid = c.relnamespace WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> "
            "'information_schema' UNION ALL SELECT n.nspname, p.proname, 'f' FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT LIKE 'pg\\_%' "
            "AND n.nspname <> 'information_schema' ORDER BY 1, 2, 3").fetchall()
        counts = {f"{s}.{t}": self.conn.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0]
                  for s, t, kind in objects if kind == "r"}
        prepared = self.conn.execute("SELECT count(*) FROM pg_prepared_xacts").fetchone()[0]
        return objects, counts, prepared

    def rows(self, table: str) -> int | None:
        if self.conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is None:
            return None
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def history(self) -> list[str]:
        from dbtool.engines import open_engine
        from dbtool.urls import parse_url

        engine = open_engine(parse_url(self.url), "postgres")
        try:
            return [r.name for r in engine.history()]
        finally:
            engine.close()

    def close(self) -> None:
        self.conn.close()


def _attempt(target: Any) -> DbtoolError | None:
    try:
        migrate(target.spec, MigrateOptions(lock_timeout=5))
    except DbtoolError as exc:
        return exc
    return None


def _one(target: Any, rng: random.Random, index: int) -> str:
    """One generated file on `target`; returns a description of what was checked."""
    target.reset()
    before = target.state()
    control, fails = rng.random() < 0.5, rng.random() < 0.3
    if index < 3:  # each outcome at least once, whatever the seed
        control, fails = index == 0, index == 1
    tag = f"g{index}"
    generated = make_file(rng, target.dialect, tag, control=control, fails=fails)
    path = target.folder / "0002_generated.sql"
    path.write_bytes(generated.text.encode())
    where = f"file {index}:\n{generated.text}"
    if index % 8 == 0:  # the real CLI as well: exit code and one line on stderr
        proc = run_dbtool(*target.cli, "--lock-timeout", "5")
        expected = 1 if control or fails else 0
        assert proc.returncode == expected, f"{where}\nexit {proc.returncode}: {proc.stderr}"
        assert len(proc.stderr.strip().splitlines()) == (1 if expected else 0), proc.stderr
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
        target.reset()
    error = _attempt(target)
    if control:
        assert isinstance(error, RuleViolation), f"{where}\nnot refused: {error!r}"
        code = "D101" if target.dialect == "d1" else "TX101"
        assert f"[{code}]" in error.message and error.exit_code == 1, error.one_line()
        loc = error.location
        assert loc is not None and Path(loc.path).name == path.name, error.one_line()
        assert (loc.line, loc.col) == generated.control_at, f"{where}\n{error.one_line()}"
        assert target.state() == before, f"{where}\na refused file changed the database"
        return "refused"
    if fails:
        assert isinstance(error, MigrationFailed) and error.rolled_back, f"{where}\n{error!r}"
        assert "the file was rolled back" in (error.hint or ""), error.one_line()
        assert target.state() == before, f"{where}\na failed file left something behind"
        return "rolled back"
    assert error is None, f"{where}\n{error.one_line() if error else ''}"
    assert target.history() == ["0001_base.sql", "0002_generated.sql"], where
    assert all(target.rows(t) is not None for t in generated.tables), where
    assert target.rows(f"t_{tag}") == (2 if "VALUES (2, 'begin')" in generated.text else 1), where
    return "applied"


def _family(target: Any) -> dict[str, int]:
    rng = random.Random(SEED)
    seen: dict[str, int] = {}
    try:
        for index in range(ROUNDS):
            outcome = _one(target, rng, index)
            seen[outcome] = seen.get(outcome, 0) + 1
    except AssertionError as exc:
        raise AssertionError(f"DBTOOL_TX_SEED={SEED} (file {index}): {exc}") from None
    finally:
        target.close()
    return seen


@pytest.mark.parametrize("dialect", ["sqlite", "d1"])
def test_generated_files_on_sqlite_family(tmp_path: Path, dialect: str) -> None:
    seen = _family(Sqlite(tmp_path, dialect))
    assert set(seen) == {"refused", "rolled back", "applied"}, f"DBTOOL_TX_SEED={SEED}: {seen}"


@pytest.mark.postgres
def test_generated_files_on_postgres(tmp_path: Path, pg_url: str) -> None:
    seen = _family(Postgres(tmp_path, pg_url))
    assert set(seen) == {"refused", "rolled back", "applied"}, f"DBTOOL_TX_SEED={SEED}: {seen}"
