"""The property-test harness: random schemas holding rows, random edits, `diff`, apply, check.

A batch puts several random cases (each under its own table prefix) in one database,
so one scratch build, one plan and one apply cover them all. The batch goes through
the product's own path (`dbtool.core.generate.diff_service`: scratch build, plan,
proof, lint, write), then the written files are applied with `migrate` to a second
database that holds rows in every table. Asserted: the plan is written (no refusal),
zero residual drift against the declared schema, and every row of every surviving
table still there by primary key with its values (dropped tables and columns aside).
Every message names the case seeds; `DBTOOL_DIFF_SEED=sqlite:7:3` reruns one case.
"""

from __future__ import annotations

import os
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from dbtool.config import Project, Service
from dbtool.core.generate import DiffRequest, diff_service
from dbtool.core.migrate import MigrateOptions, migrate_target
from dbtool.core.schema_ops import inspect_url
from dbtool.core.targets import ResolvedTarget
from dbtool.diff import diff
from dbtool.model import Schema
from dbtool.plan import PlanOptions, make_plan, render_plan
from dbtool.snapshot import Snapshot, render
from dbtool.urls import parse_url
from tests.conftest import PG_ADMIN_URL
from tests.diff.generator import Expect, edit_case, make_case
from tests.diff.support import PostgresRows, SqliteRows, fill

BATCH = 20


def seeds(dialect: str, batch: int) -> list[str]:
    only = os.environ.get("DBTOOL_DIFF_SEED")
    if only:
        return [only] if only.startswith(f"{dialect}:") and batch == 0 else []
    return [f"{dialect}:{batch}:{i}" for i in range(BATCH)]


def _apply(service: Service, url: str) -> Schema:
    target = ResolvedTarget(service, parse_url(url), "test")
    migrate_target(target, MigrateOptions(lock_timeout=30.0))
    return inspect_url(service, parse_url(url))


def _write_base(folder: Path, base: Schema, dialect: str) -> None:
    planned = make_plan(Schema(), base, PlanOptions(), dialect)
    assert not planned.plan.refusals, planned.plan.refusals
    for n, rendered in enumerate(render_plan(planned), 1):
        text = "".join(f"{s.sql};\n\n" for s in rendered.statements)
        if not rendered.plan.transactional:
            text = "-- dbtool:no-transaction\n" + text
        (folder / f"{n:04d}_base.sql").write_text(text)


def _rows(db: Any, schema: Schema) -> dict[str, dict[Any, dict[str, Any]]]:
    return {t.name: {r["id"]: r for r in db.dump(t)} for t in schema.tables}


def run_batch(dialect: str, case_seeds: list[str], tmp: Path, data_url: str) -> dict[str, Any]:
    """One batch; returns what it covered (edits, rows) for the caller's totals."""
    if not case_seeds:
        return {"cases": 0, "edits": [], "rows": 0}
    tag = ", ".join(case_seeds)
    tables, views = [], []
    for i, seed in enumerate(case_seeds):
        t, v = make_case(random.Random(seed), f"c{i}_", dialect)
        tables += t
        views += v
    migrations = tmp / "migrations"
    migrations.mkdir()
    _write_base(migrations, Schema(tables=tuple(tables), views=tuple(views)), dialect)
    service = Service("prop", dialect, migrations, snapshot=tmp / "prop.yaml")
    project = Project(tmp, None, (service,), scratch_url=PG_ADMIN_URL)
    current = _apply(service, data_url)

    db = SqliteRows(Path(parse_url(data_url).database)) if dialect != "postgres" else PostgresRows(data_url)
    counts = fill(db, current, random.Random(tag), per_table=5)
    assert all(counts.values()), f"seeds {tag}: tables without rows {counts}"
    before = _rows(db, current)
    db.close()

    desired, expects = current, []
    for i, seed in enumerate(case_seeds):
        desired, expect = edit_case(random.Random(f"edit:{seed}"), desired, f"c{i}_", dialect)
        expects.append(expect)
    options = PlanOptions(allow_drop=any(e.allow_drop for e in expects),
                          renames=tuple(r for e in expects for r in e.renames),
                          fills=tuple(f for e in expects for f in e.fills))
    if options.renames:  # without --rename the same edit is refused with the hint
        unnamed = make_plan(current, desired, replace(options, renames=(), allow_drop=False), dialect)
        assert any(r.code == "rename" and "--rename" in r.hint for r in unnamed.plan.refusals), (
            f"seeds {tag}: renames not refused without --rename: {unnamed.plan.refusals}")
    (tmp / "prop.yaml").write_text(render(Snapshot("prop", dialect, desired))[0])
    result = diff_service(service, project, DiffRequest("edits", options))
    edits = [e for x in expects for e in x.edits]
    assert result.status in ("written", "nothing"), (
        f"seeds {tag} (edits {edits}): {result.status}: {[r.describe() for r in result.refusals]} "
        f"residue {[c.describe() for c in result.residue][:5]} lint {[d.message for d in result.lint][:3]}")

    actual = _apply(service, data_url)
    residue = diff(desired, actual)
    assert not residue, f"seeds {tag} (edits {edits}): residual drift {[c.describe() for c in residue][:8]}"
    db = SqliteRows(Path(parse_url(data_url).database)) if dialect != "postgres" else PostgresRows(data_url)
    after = _rows(db, actual)
    db.close()
    kept = _compare(before, after, _merge(expects), tag, edits)
    return {"cases": len(case_seeds), "edits": edits, "rows": kept, "files": len(result.files)}


def _merge(expects: list[Expect]) -> Expect:
    merged = Expect()
    for e in expects:
        merged.dropped_tables |= e.dropped_tables
        merged.dropped_columns |= e.dropped_columns
        merged.loose |= e.loose
        merged.table_names.update(e.table_names)
        merged.column_names.update(e.column_names)
        merged.filled |= e.filled
    return merged


def _compare(before: dict[str, dict[Any, dict[str, Any]]], after: dict[str, dict[Any, dict[str, Any]]],
             expect: Expect, tag: str, edits: list[str]) -> int:
    filled = expect.filled
    kept = 0
    for table, rows in before.items():
        if table in expect.dropped_tables:
            continue
        now = after.get(expect.table_names.get(table, table))
        assert now is not None, f"seeds {tag} (edits {edits}): table {table} is gone"
        lost = [k for k in rows if k not in now]
        assert not lost, f"seeds {tag} (edits {edits}): {table} lost {len(lost)} of {len(rows)} rows: {lost[:5]}"
        for key, row in rows.items():
            new = now[key]
            for column, value in row.items():
                if (table, column) in expect.dropped_columns:
                    continue
                name = expect.column_names.get((table, column), column)
                if (table, column) in filled and value is None:
                    continue
                got = new.get(name)
                loose = (table, column) in expect.loose
                assert _same(got, value, loose), (
                    f"seeds {tag} (edits {edits}): {table} id={key!r} {column}: was {value!r}, now {got!r}")
            kept += 1
    return kept


def _same(a: Any, b: Any, loose: bool) -> bool:
    if a == b:
        return True
    if a is None or b is None:
        return False
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return loose and str(a) == str(b)
