"""Property tests of `dbtool diff` for the objects around the tables (issue #17): 200
seeded cases on Postgres (views, functions, triggers, enums, sequences, row-level
security, policies, publications, comments, grants, NOT VALID, NULLS NOT DISTINCT,
operator classes) and 200 on SQLite (views and triggers over tables that get rebuilt),
each applied onto rows: zero residual drift, no row lost. A failure names its seeds
(see tests/diff/object_props.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require_postgres
from tests.diff.object_props import ensure_role, run_object_batch, seeds

BATCHES = 10  # x 20 cases = 200 cases per dialect


@pytest.mark.parametrize("batch", range(BATCHES))
def test_sqlite_views_and_triggers(batch: int, tmp_path: Path) -> None:
    run_object_batch("sqlite", seeds("sqlite", batch), tmp_path, f"sqlite:///{tmp_path / 'data.db'}")


@pytest.mark.postgres
@pytest.mark.parametrize("batch", range(BATCHES))
def test_postgres_objects(batch: int, tmp_path: Path, pg_url: str) -> None:
    require_postgres()
    ensure_role()
    run_object_batch("postgres", seeds("postgres", batch), tmp_path, pg_url)
