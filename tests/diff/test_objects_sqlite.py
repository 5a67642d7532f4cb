"""`dbtool diff` on SQLite's objects (issue #17): views and triggers, on the api service
with rows in every table (foreign keys on, as D1 enforces them).

Step 1 adds a view over users and a trigger; step 2 changes the view and the trigger
while users is rebuilt (a new CHECK), together with every table that cascades from
it -- the view reads users, so it is dropped before the rebuild and created after;
step 3 drops the view and the trigger. After each step: every row kept, `check`
clean, the new file lint-clean, and a second `diff` finds nothing.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from dbtool.snapshot import load
from tests.diff.support import (
    SqliteRows,
    assert_rows_kept,
    dbtool,
    edit_snapshot,
    fill,
    make_project,
    snapshot_rows,
)

VIEW = "SELECT id, email, role FROM users WHERE login_count > 0"
TRIGGER = {"name": "trg_users_first_login", "table": "users", "timing": "AFTER", "events": ["UPDATE"],
           "columns": ["last_login_at"], "condition": "OLD.last_login_at IS NULL",
           "body": "UPDATE users SET login_count = login_count + 1 WHERE id = NEW.id;"}


def add(doc: dict[str, Any]) -> None:
    doc["views"] = {"active_users": {"definition": VIEW}}
    doc["triggers"].append(dict(TRIGGER))


def change(doc: dict[str, Any]) -> None:
    doc["views"]["active_users"]["definition"] = VIEW.replace("role", "role, display_name")
    trigger = next(t for t in doc["triggers"] if t["name"] == TRIGGER["name"])
    trigger["body"] = "UPDATE users SET login_count = login_count + 2 WHERE id = NEW.id;"
    doc["tables"]["users"].setdefault("checks", []).append({"expression": "login_count >= 0"})


def drop(doc: dict[str, Any]) -> None:
    del doc["views"]
    doc["triggers"] = [t for t in doc["triggers"] if t["name"] != TRIGGER["name"]]


STEPS = [("view and trigger", add, ("CREATE VIEW", "CREATE TRIGGER")),
         ("rebuild under the view", change, ("DROP VIEW", "dbtool_old_users", "CREATE VIEW", "DROP TRIGGER")),
         ("drop them", drop, ("DROP VIEW", "DROP TRIGGER"))]


def test_views_and_triggers_follow_a_rebuild(tmp_path: Path) -> None:
    project = make_project(tmp_path, "api")
    db = tmp_path / "api.db"
    assert dbtool(project, "migrate", "api", "--url", f"sqlite:///{db}").returncode == 0
    rows = SqliteRows(db)
    counts = fill(rows, load(project / "schemas" / "api.yaml").schema, random.Random("api-objects"))
    rows.close()
    assert all(counts.values()), counts
    for label, edit, expected in STEPS:
        schema = load(project / "schemas" / "api.yaml").schema
        rows = SqliteRows(db)
        before = snapshot_rows(rows, schema)
        rows.close()
        edit_snapshot(project, "api", edit)
        proc = dbtool(project, "diff", "api", label, "--format", "json")
        assert proc.returncode == 0, f"{label}: {proc.stdout}{proc.stderr}"
        result = json.loads(proc.stdout)
        sql = "\n".join(s for f in result["files"] for s in f["statements"])
        for fragment in expected:
            assert fragment in sql, f"{label}: {fragment!r} not in\n{sql}"
        migrate = dbtool(project, "migrate", "api", "--url", f"sqlite:///{db}")
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        rows = SqliteRows(db)
        after = snapshot_rows(rows, load(project / "schemas" / "api.yaml").schema)
        if label == "view and trigger":
            assert rows.conn.execute("SELECT count(*) FROM active_users").fetchone()[0] >= 0
        rows.close()
        assert_rows_kept(before, after, seed=label)
        check = dbtool(project, "check", "api")
        assert check.returncode == 0, f"{label}: {check.stdout}{check.stderr}"
        lint = dbtool(project, "lint", result["files"][0]["path"], "--format", "json")
        active = [d for r in json.loads(lint.stdout)["reports"] for d in r["diagnostics"] if not d["suppressed"]]
        assert active == [], (label, active)
        again = json.loads(dbtool(project, "diff", "api", "again", "--format", "json").stdout)
        assert again["status"] == "nothing", (label, again)
