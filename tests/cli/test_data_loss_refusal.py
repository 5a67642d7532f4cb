"""`migrate` refuses a file that silently destroys rows it does not name (issue #15, item 13).

The drizzle-kit table rebuild (PRAGMA foreign_keys=OFF; CREATE TABLE
__new_parent; INSERT … SELECT; DROP TABLE parent; ALTER … RENAME; PRAGMA
foreign_keys=ON) empties every child table that references `parent` ON DELETE
CASCADE on D1, where foreign keys are always enforced and the PRAGMA is a
no-op. `dbtool lint` calls that DL102; before the fix `migrate` applied it
anyway (child: 3 rows → 0, exit 0). Now it is refused before anything runs —
with the code, file:line:col and DL102's help — unless a lint-ignore with a
reason or --allow-data-loss acknowledges it, and then the run says so.
wrangler's real local state: tests/interop/test_wrangler_local.py.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from tests.helpers import run_dbtool

PARENT = (
    "CREATE TABLE parent (id TEXT PRIMARY KEY, name TEXT);\n"
    "CREATE TABLE child (id TEXT PRIMARY KEY, parent_id TEXT REFERENCES parent(id) ON DELETE CASCADE);\n"
    "INSERT INTO parent VALUES ('p1', 'a'), ('p2', 'b'), ('p3', 'c');\n"
    "INSERT INTO child VALUES ('c1', 'p1'), ('c2', 'p2'), ('c3', 'p3');\n"
)
# what drizzle-kit generates for "add a column to parent" on SQLite/D1
DRIZZLE = (
    "PRAGMA foreign_keys=OFF;--> statement-breakpoint\n"
    "CREATE TABLE `__new_parent` (\n\t`id` text PRIMARY KEY NOT NULL,\n\t`name` text,\n\t`extra` text\n);\n"
    "--> statement-breakpoint\n"
    'INSERT INTO `__new_parent`("id", "name") SELECT "id", "name" FROM `parent`;--> statement-breakpoint\n'
    "DROP TABLE `parent`;--> statement-breakpoint\n"
    "ALTER TABLE `__new_parent` RENAME TO `parent`;--> statement-breakpoint\n"
    "PRAGMA foreign_keys=ON;\n"
)
DROP_LINE = 9  # `DROP TABLE` in DRIZZLE (the column points at the table name)


def project(root: Path, *, rebuild: str = DRIZZLE) -> Path:
    """A D1 service (its embedded database) with the parent/child file applied."""
    folder = root / "migrations"
    folder.mkdir(parents=True)
    (folder / "0001_parent.sql").write_text(PARENT)
    (root / "dbtool.toml").write_text('[services.app]\ndialect = "d1"\nmigrations = "migrations"\n')
    proc = run_dbtool("migrate", "app", cwd=root)
    assert proc.returncode == 0, proc.stderr
    (folder / "0002_rebuild.sql").write_text(rebuild)
    return root / ".dbtool" / "local" / "app.db"


def fingerprint(path: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.parent.glob(path.name + "*")) if not p.name.endswith("-shm")}


def counts(path: Path) -> tuple[int, int, list[str]]:
    with sqlite3.connect(path) as conn:
        parent = conn.execute("SELECT count(*) FROM parent").fetchone()[0]
        child = conn.execute("SELECT count(*) FROM child").fetchone()[0]
        history = [r[0] for r in conn.execute("SELECT name FROM d1_migrations ORDER BY id")]
    return parent, child, history


@pytest.mark.parametrize("target", ["embedded", "sqlite-url"])
def test_drizzle_rebuild_is_refused_before_anything_runs(tmp_path: Path, target: str) -> None:
    database = project(tmp_path)
    args = ["migrate", "app"]
    if target == "sqlite-url":  # a D1 service on a plain SQLite file: D1's rules still apply
        other = tmp_path / "copy.db"
        other.write_bytes(database.read_bytes())
        database, args = other, [*args, "--url", f"sqlite:///{other}"]
    before = fingerprint(database)
    proc = run_dbtool(*args, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"migrations/0002_rebuild.sql:{DROP_LINE}:" in err and "[DL102]" in err
    assert "cascades into child (ON DELETE CASCADE)" in err
    assert "lint-ignore DL102" in err and "--allow-data-loss" in err and "nothing was applied" in err
    assert fingerprint(database) == before
    assert counts(database) == (3, 3, ["0001_parent.sql"])


def test_allow_data_loss_applies_and_says_so(tmp_path: Path) -> None:
    database = project(tmp_path)
    proc = run_dbtool("migrate", "app", "--allow-data-loss", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "warning" in proc.stderr and "[DL102]" in proc.stderr and "--allow-data-loss" in proc.stderr
    assert counts(database) == (3, 0, ["0001_parent.sql", "0002_rebuild.sql"])  # the loss, as acknowledged


def test_lint_ignore_applies_and_json_says_so(tmp_path: Path) -> None:
    ignored = DRIZZLE.replace("DROP TABLE `parent`;",
                              "-- dbtool:lint-ignore DL102 child rows are re-imported by 0003\n"
                              "DROP TABLE `parent`;")
    database = project(tmp_path, rebuild=ignored)
    proc = run_dbtool("migrate", "app", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    warnings = json.loads(proc.stdout)["services"][0]["warnings"]
    assert len(warnings) == 1 and "[DL102]" in warnings[0]
    assert "acknowledged by lint-ignore (child rows are re-imported by 0003)" in warnings[0]
    assert counts(database)[2] == ["0001_parent.sql", "0002_rebuild.sql"]


def test_dry_run_shows_the_refusal_too(tmp_path: Path) -> None:
    database = project(tmp_path)
    before = fingerprint(database)
    proc = run_dbtool("migrate", "app", "--dry-run", cwd=tmp_path)
    assert proc.returncode == 1 and "[DL102]" in proc.stderr
    assert fingerprint(database) == before


def test_cascade_safe_rebuild_is_not_refused(tmp_path: Path) -> None:
    """docs/lint.md#dl102's safe pattern: the child is rebuilt first, nothing cascades."""
    safe = (
        "CREATE TABLE parent_new (id TEXT PRIMARY KEY, name TEXT, extra TEXT);\n"
        "INSERT INTO parent_new (id, name) SELECT id, name FROM parent;\n"
        "CREATE TABLE child_new (id TEXT PRIMARY KEY, parent_id TEXT REFERENCES parent_new(id) ON DELETE CASCADE);\n"
        "INSERT INTO child_new SELECT id, parent_id FROM child;\n"
        "DROP TABLE child;\nDROP TABLE parent;\n"
        "ALTER TABLE parent_new RENAME TO parent;\nALTER TABLE child_new RENAME TO child;\n"
    )
    database = project(tmp_path, rebuild=safe)
    proc = run_dbtool("migrate", "app", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert counts(database) == (3, 3, ["0001_parent.sql", "0002_rebuild.sql"])


def test_plain_sqlite_keeps_the_rows_and_is_not_refused(tmp_path: Path) -> None:
    """On a `sqlite` service DL102 is a warning: dbtool's SQLite connections leave foreign keys
    off, so the DROP cascades into nothing — refusing would be a false alarm."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_parent.sql").write_text(PARENT)
    (folder / "0002_rebuild.sql").write_text(DRIZZLE)
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    proc = run_dbtool("migrate", "--dir", str(folder), "--url", url)
    assert proc.returncode == 0, proc.stderr
    assert counts(tmp_path / "plain.db") == (3, 3, ["0001_parent.sql", "0002_rebuild.sql"])
