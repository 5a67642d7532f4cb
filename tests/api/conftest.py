"""The public-API tests reach Postgres through dbtool.testing's own fixtures; here only the
suite's rule is applied: skip locally without a server, fail with CI=true."""

from __future__ import annotations

import pytest

from tests.conftest import PG_ADMIN_URL, require_postgres


@pytest.fixture(autouse=True)
def _postgres_server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that use a Postgres fixture get the suite's server (DBTOOL_TEST_PG_URL)."""
    if ({"dbtool_postgres", "dbtool_database_factory"} & set(request.fixturenames)
            or request.node.get_closest_marker("postgres")):
        require_postgres()
        monkeypatch.setenv("DBTOOL_TEST_POSTGRES_URL", PG_ADMIN_URL)
        monkeypatch.setenv("DBTOOL_SCRATCH_URL", PG_ADMIN_URL)
