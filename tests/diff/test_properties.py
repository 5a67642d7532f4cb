"""Property tests of `dbtool diff`: 300 seeded random cases per dialect (sqlite, d1, postgres).

Random schemas holding rows, random edit sequences (add / drop / retype columns,
nullability, defaults; unique, partial and multi-column indexes; checks; foreign keys
with each ON DELETE action; primary-key changes; renames with --rename, refused
without it; added and dropped tables), through the product's own diff path, applied
onto the rows: zero residual drift, zero rows lost except those explicitly dropped.
A failure names its seeds (see tests/diff/properties.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require_postgres
from tests.diff.properties import run_batch, seeds

BATCHES = 15  # x 20 cases = 300 cases per dialect


@pytest.mark.parametrize("batch", range(BATCHES))
@pytest.mark.parametrize("dialect", ["sqlite", "d1"])
def test_sqlite_family(dialect: str, batch: int, tmp_path: Path) -> None:
    run_batch(dialect, seeds(dialect, batch), tmp_path, f"sqlite:///{tmp_path / 'data.db'}")


@pytest.mark.postgres
@pytest.mark.parametrize("batch", range(BATCHES))
def test_postgres(batch: int, tmp_path: Path, pg_url: str) -> None:
    require_postgres()
    run_batch("postgres", seeds("postgres", batch), tmp_path, pg_url)
