"""Fixtures for the D1 interop tests (real wrangler, miniflare's real D1 engine).

With CI=true these tests must run: a missing npm/node or a failed install fails
the session. Locally they skip with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.support import D1TestServer, Wrangler, install_node_packages, start_server

_INSTALL_SECONDS: list[float] = []


@pytest.fixture(scope="session")
def node_packages() -> Path:
    """wrangler 4.86.0 and miniflare, installed once per session from package-lock.json."""
    seconds = install_node_packages()
    if seconds is not None:
        _INSTALL_SECONDS.append(seconds)
    from tests.interop.support import NODE_MODULES

    return NODE_MODULES


@pytest.fixture(scope="session")
def wrangler(node_packages: Path, tmp_path_factory: pytest.TempPathFactory) -> Wrangler:
    return Wrangler(tmp_path_factory.mktemp("xdg-config"))


@pytest.fixture(scope="session")
def d1_server(node_packages: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[D1TestServer]:
    """The REST stand-in on 127.0.0.1 and a free port, for the whole session."""
    yield from start_server(tmp_path_factory.mktemp("d1-server") / "server.log")


@pytest.fixture
def remote_db(d1_server: D1TestServer) -> tuple[D1TestServer, str]:
    """A fresh, empty D1 database on the test server (faults and counters cleared)."""
    d1_server.control("reset")
    return d1_server, d1_server.fresh_database()


def pytest_terminal_summary(terminalreporter) -> None:  # pragma: no cover - reporting only
    if _INSTALL_SECONDS:
        terminalreporter.write_line(f"interop: npm ci took {_INSTALL_SECONDS[0]:.1f}s")
