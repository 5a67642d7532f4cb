"""`dbtool diff` on D1: a new table referencing a rebuilt one is created after the rebuild.

Found by a batch of 20 generated cases (seeds d1:1:0-19): the plan was split into two
files (D1's statement limit), the new child table went into part 1 with the other new
tables and its parent's rebuild into part 2, where lint -- reading that file on its own --
counts the child as a table that may hold rows and the rebuild's DROP TABLE of the parent
as cascading into it (DL102), so `diff` refused its own output.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dbtool.config import Project, Service
from dbtool.core.generate import DiffRequest, diff_service
from dbtool.d1.limits import MAX_STATEMENTS
from dbtool.model import CheckConstraint, Column, ForeignKey, PrimaryKey, Schema, Table
from dbtool.plan import PlanOptions
from dbtool.snapshot import Snapshot, render
from tests.conftest import PG_ADMIN_URL
from tests.diff.properties import _apply, _write_base

ID = Column("id", "INTEGER", nullable=False)
PARENT = Table("parent", columns=(ID, Column("n", "INTEGER", nullable=True)),
               primary_key=PrimaryKey(("id",)))
CHILD = Table("child", columns=(ID, Column("parent_id", "INTEGER", nullable=True, default="0")),
              primary_key=PrimaryKey(("id",)),
              foreign_keys=(ForeignKey(("parent_id",), "parent", ("id",), on_delete="SET DEFAULT"),))
# new tables enough to push the plan past one D1 file; they sort after "child", as new
# tables are created in name order
FILLER = tuple(Table(f"filler_{i:03d}", columns=(ID,), primary_key=PrimaryKey(("id",)))
               for i in range(MAX_STATEMENTS))


@pytest.mark.parametrize("dialect", ["d1", "sqlite"])
def test_new_child_of_rebuilt_table_is_created_after_the_rebuild(dialect: str, tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    _write_base(migrations, Schema(tables=(PARENT,)), dialect)
    service = Service("order", dialect, migrations, snapshot=tmp_path / "order.yaml")
    project = Project(tmp_path, None, (service,), scratch_url=PG_ADMIN_URL)
    data_url = f"sqlite:///{tmp_path / 'data.db'}"
    _apply(service, data_url)
    with sqlite3.connect(tmp_path / "data.db") as conn:
        conn.executemany("INSERT INTO parent (id, n) VALUES (?, ?)", [(i, i) for i in range(1, 6)])

    # a CHECK edit: SQLite cannot add one with ALTER TABLE, so parent is rebuilt
    rebuilt = Table("parent", columns=PARENT.columns, primary_key=PARENT.primary_key,
                    checks=(CheckConstraint("n >= 0"),))
    desired = Schema(tables=(rebuilt, CHILD, *FILLER))
    (tmp_path / "order.yaml").write_text(render(Snapshot("order", dialect, desired))[0])
    result = diff_service(service, project, DiffRequest("edits", PlanOptions()))

    assert result.status == "written", (result.status, [r.describe() for r in result.refusals],
                                        [d.message for d in result.lint])
    if dialect == "d1":
        assert len(result.files) == 2  # the point of the filler: the plan is split
    statements = [s.strip().upper() for f in result.files for s in f.statements]
    # the rebuild's last step drops the old parent (DROP TABLE parent or dbtool_old_parent)
    drop = max(i for i, s in enumerate(statements) if s.startswith("DROP TABLE") and "PARENT" in s)
    create = next(i for i, s in enumerate(statements) if s.startswith("CREATE TABLE CHILD"))
    assert drop < create, "the new child must be created after its parent's rebuild"

    _apply(service, data_url)
    with sqlite3.connect(tmp_path / "data.db") as conn:
        assert conn.execute("SELECT id, n FROM parent ORDER BY id").fetchall() == [(i, i) for i in range(1, 6)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
