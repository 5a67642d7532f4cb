"""The D1 rebuild cascade, through the real D1 engine: wrangler 4.86 / miniflare.

Twenty-two families, each a parent with children and grandchildren two levels deep
(ON DELETE CASCADE / SET NULL / SET DEFAULT / RESTRICT, and for some a NO ACTION
table outside the family), all holding rows. `dbtool diff` writes one migration per
family that rebuilds its parent (a new CHECK needs a rebuild); one `wrangler d1
migrations apply --local` applies all of them onto the rows. Every row of every
table survives with its values. A control family rebuilt the textbook way (create
new, copy, drop old, rename) in the same run loses its children, so the engine does
cascade: the test could fail.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dbtool.core.generate import DiffRequest, diff
from dbtool.core.targets import TargetSpec
from dbtool.d1 import local
from dbtool.plan import PlanOptions
from tests.diff.support import edit_snapshot
from tests.helpers import run_dbtool
from tests.interop.support import Wrangler, clean_env

DATABASE_ID = "3c1f6a2e-7d4b-4e8a-9b0c-5d6e7f809a1b"
FAMILIES = 22
CHILD_ACTIONS = ("CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT")
GRANDCHILD_ACTIONS = ("CASCADE", "SET NULL")


def family_sql(k: int) -> list[str]:
    child = CHILD_ACTIONS[k % len(CHILD_ACTIONS)]
    grand = GRANDCHILD_ACTIONS[k % len(GRANDCHILD_ACTIONS)]
    out = [
        f"CREATE TABLE p{k} (id TEXT PRIMARY KEY, name TEXT NOT NULL)",
        f"CREATE TABLE c{k} (id TEXT PRIMARY KEY, p_id TEXT REFERENCES p{k}(id) ON DELETE {child}, note TEXT)",
        f"CREATE INDEX idx_c{k}_p ON c{k}(p_id)",
        f"CREATE TABLE g{k} (id TEXT PRIMARY KEY, c_id TEXT REFERENCES c{k}(id) ON DELETE {grand}, note TEXT)",
        f"CREATE INDEX idx_g{k}_c ON g{k}(c_id)",
    ]
    if k % 3 == 0:  # a NO ACTION reference from outside the family: the copy-aside rebuild
        out += [f"CREATE TABLE audit{k} (id TEXT PRIMARY KEY, p_id TEXT REFERENCES p{k}(id))",
                f"CREATE INDEX idx_audit{k}_p ON audit{k}(p_id)"]
    return out


def rows_sql(k: int) -> list[str]:
    out = []
    for p in range(3):
        out.append(f"INSERT INTO p{k} VALUES ('p{k}-{p}', 'parent {p}')")
        if k % 3 == 0:
            out.append(f"INSERT INTO audit{k} VALUES ('a{k}-{p}', 'p{k}-{p}')")
        for c in range(2):
            out.append(f"INSERT INTO c{k} VALUES ('c{k}-{p}-{c}', 'p{k}-{p}', 'child')")
            for g in range(2):
                out.append(f"INSERT INTO g{k} VALUES ('g{k}-{p}-{c}-{g}', 'c{k}-{p}-{c}', 'grandchild')")
    return out


CONTROL = [  # the textbook rebuild (what drizzle-kit writes), for the control family
    "PRAGMA defer_foreign_keys = on",
    "CREATE TABLE __new_pctl (id TEXT PRIMARY KEY, name TEXT NOT NULL, extra TEXT)",
    "INSERT INTO __new_pctl (id, name) SELECT id, name FROM pctl",
    "DROP TABLE pctl",
    "ALTER TABLE __new_pctl RENAME TO pctl",
]


def _project(root: Path) -> Path:
    (root / "wrangler.toml").write_text(
        'name = "cascade"\nmain = "src/index.js"\ncompatibility_date = "2025-01-01"\n\n'
        f'[[d1_databases]]\nbinding = "DB"\ndatabase_name = "cascade-db"\ndatabase_id = "{DATABASE_ID}"\n')
    (root / "dbtool.toml").write_text(
        '[services.app]\ndialect = "d1"\nwrangler = "wrangler.toml"\nsnapshot = "schemas/app.yaml"\n')
    migrations = root / "migrations"
    migrations.mkdir()
    statements = [s for k in range(FAMILIES) for s in family_sql(k)]
    statements += ["CREATE TABLE pctl (id TEXT PRIMARY KEY, name TEXT NOT NULL)",
                   "CREATE TABLE cctl (id TEXT PRIMARY KEY, p_id TEXT REFERENCES pctl(id) ON DELETE CASCADE)"]
    for n, start in enumerate(range(0, len(statements), 90), 1):  # D1's 100-statement batches
        (migrations / f"{n:04d}_base.sql").write_text(";\n".join(statements[start:start + 90]) + ";\n")
    return migrations


def _table_rows(path: Path) -> dict[str, dict[str, tuple]]:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name <> 'd1_migrations'")]
        return {n: {r[0]: tuple(r) for r in conn.execute(f'SELECT * FROM "{n}"')} for n in names}
    finally:
        conn.close()


def test_twenty_generated_rebuilds_keep_every_row_on_d1(tmp_path: Path, wrangler: Wrangler) -> None:
    migrations = _project(tmp_path)
    wrangler.run("d1", "migrations", "apply", "DB", "--local", cwd=tmp_path)
    rows = [s for k in range(FAMILIES) for s in rows_sql(k)]
    rows += ["INSERT INTO pctl VALUES ('x', 'control')", "INSERT INTO cctl VALUES ('y', 'x')"]
    (tmp_path / "rows.sql").write_text(";\n".join(rows) + ";\n")
    wrangler.run("d1", "execute", "DB", "--local", "--file", "rows.sql", cwd=tmp_path)
    state = local.database_path(tmp_path, DATABASE_ID, None)
    before = _table_rows(state)
    assert sum(len(v) for v in before.values()) == FAMILIES * 21 + 8 * 3 + 2

    snapshot = run_dbtool("snapshot", "app", cwd=tmp_path, env=clean_env())
    assert snapshot.returncode == 0, snapshot.stderr
    spec = TargetSpec(services=("app",), config=tmp_path / "dbtool.toml")  # wrangler-linked
    for k in range(FAMILIES):
        edit_snapshot(tmp_path, "app", lambda doc, k=k: doc["tables"][f"p{k}"].setdefault(
            "checks", []).append({"expression": "length(name) > 0"}))
        result = diff(spec, DiffRequest(f"rebuild p{k}", PlanOptions()))
        assert result.status == "written", [r.describe() for r in result.refusals]
        (rebuild,) = [op for op in result.files[0].operations if op.kind == "rebuild_tables"]
        assert {t.new.name for t in rebuild.tables} == {f"p{k}", f"c{k}", f"g{k}"}
        assert rebuild.via == ("copy" if k % 3 == 0 else "rename")  # audit{k} references p{k}
    (migrations / f"{2 + 2 + FAMILIES:04d}_control_textbook.sql").write_text(";\n".join(CONTROL) + ";\n")
    assert len(list(migrations.glob("*.sql"))) >= 20 + 3

    wrangler.run("d1", "migrations", "apply", "DB", "--local", cwd=tmp_path)  # all of them, one call

    conn = sqlite3.connect(state)
    applied = conn.execute("SELECT count(*) FROM d1_migrations").fetchone()[0]
    conn.close()
    assert applied == len(list(migrations.glob("*.sql")))
    after = _table_rows(state)
    assert after["cctl"] == {}, "the control rebuild should have cascaded: the engine enforces FKs"
    for table, rows in before.items():
        if table in ("pctl", "cctl"):
            continue
        assert after[table] == rows, f"{table}: rows changed or lost by the rebuild"
    assert not any(t.startswith("dbtool_") for t in after)
