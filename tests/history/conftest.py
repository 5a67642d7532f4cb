"""Fixtures for the history-management tests: the real wrangler and the D1 REST stand-in.

They reuse tests/interop's machinery (npm install from its lock file, offline
wrangler, the miniflare-backed REST server). With CI=true a missing Node
toolchain fails the run; locally the D1 tests skip with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.support import D1TestServer, Wrangler, install_node_packages, start_server


@pytest.fixture(scope="session")
def history_node() -> None:
    install_node_packages()


@pytest.fixture(scope="session")
def wrangler(history_node: None, tmp_path_factory: pytest.TempPathFactory) -> Wrangler:
    return Wrangler(tmp_path_factory.mktemp("xdg-config"))


@pytest.fixture(scope="session")
def d1_server(history_node: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[D1TestServer]:
    yield from start_server(tmp_path_factory.mktemp("d1-server") / "server.log")


@pytest.fixture
def remote_db(d1_server: D1TestServer) -> tuple[D1TestServer, str]:
    """A fresh, empty remote D1 database (faults and counters cleared)."""
    d1_server.control("reset")
    return d1_server, d1_server.fresh_database()


@pytest.fixture
def scratch_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """$DBTOOL_SCRATCH_URL for in-process scratch builds (Postgres tests)."""
    from tests.conftest import PG_ADMIN_URL

    monkeypatch.setenv("DBTOOL_SCRATCH_URL", PG_ADMIN_URL)
    return PG_ADMIN_URL


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "migrations"
    path.mkdir()
    return path
