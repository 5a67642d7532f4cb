"""Fixtures shared by the D1 service modules: each module names its service as `SVC`.

`built` builds the service once per module (and xdist worker) with dbtool's own
`migrate`; `db` gives each test its own copy of that file, so tests never see
each other's rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services.d1_expectations import build, connect, copy_db


@pytest.fixture(scope="module")
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    name = request.module.SVC.name
    return build(name, tmp_path_factory.mktemp(name) / f"{name}.db")


@pytest.fixture
def db(built: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(copy_db(built, tmp_path))
    yield conn
    conn.close()
