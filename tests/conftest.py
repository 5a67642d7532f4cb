"""Shared fixtures: real SQLite files and throwaway PostgreSQL databases.

Postgres tests create their own database and always drop it. Locally they
skip with a reason when no server answers; with CI=true they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    """Before any test connects: relation files on tmpfs when possible (tests/pg_tablespace.py).
    xdist workers inherit the controller's PGOPTIONS."""
    from tests import pg_tablespace

    if not pg_tablespace.in_use():
        pg_tablespace.use(PG_ADMIN_URL)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    from tests.tiers import classify

    classify(items)
PG_ADMIN_URL = os.environ.get("DBTOOL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """What a test's URLs taught the masker stays with that test: the secrets it remembers are
    process-wide, and a random password such as `// ` (a generated URL case) masked that text
    in a later test's message on the same worker ('sqlite:***URL')."""
    from dbtool import secrets

    known = set(secrets._known)
    yield
    secrets._known.clear()
    secrets._known.update(known)


def _pg_unavailable_reason() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means "no usable server"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}".splitlines()[0]


_PG_REASON: str | bool | None = False


def require_postgres() -> None:
    """Skip locally, fail loudly in CI, when the Postgres server is missing."""
    global _PG_REASON
    if _PG_REASON is False:
        _PG_REASON = _pg_unavailable_reason()
    if _PG_REASON:
        if IN_CI:
            pytest.fail(f"CI=true but {_PG_REASON}", pytrace=False)
        pytest.skip(str(_PG_REASON))


def create_pg_database(prefix: str = "dbtool_test") -> str:
    """An empty database (see tests/pg_pool.py: emptied ones are handed out again)."""
    from tests import pg_pool

    return pg_pool.create(PG_ADMIN_URL, prefix)


def drop_pg_database(url: str) -> None:
    from tests import pg_pool

    pg_pool.drop(PG_ADMIN_URL, url)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a fresh, empty Postgres database, dropped after the test."""
    require_postgres()
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def pg_url_factory() -> Iterator:
    """Create several throwaway databases in one test; all are dropped."""
    require_postgres()
    made: list[str] = []

    def make(prefix: str = "dbtool_test") -> str:
        url = create_pg_database(prefix)
        made.append(url)
        return url

    try:
        yield make
    finally:
        for url in made:
            drop_pg_database(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def password_pg() -> Iterator[tuple[str, str]]:
    """A private Postgres cluster with scram-sha-256 auth: (url without password, password).

    The shared server trusts everyone, so wrong-password behaviour needs its own
    cluster; initdb runs as the `postgres` OS user when the tests run as root.
    """
    import shutil
    import subprocess

    bindir = Path("/usr/lib/postgresql/15/bin")
    runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if not (bindir / "initdb").exists() or (runner and not shutil.which("runuser")):
        if IN_CI:
            pytest.fail("CI=true but PostgreSQL's initdb is not available", pytrace=False)
        pytest.skip("initdb not available to start a password-protected cluster")
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="dbtool-pgpw-"))  # pytest's tmp is 0700 root-only
    base.chmod(0o755)
    password = "Right-Pa55word"
    (base / "pw").write_text(password + "\n")
    if runner:
        shutil.chown(base, "postgres")
        shutil.chown(base / "pw", "postgres")
    data, port = base / "data", _free_port()
    subprocess.run([*runner, str(bindir / "initdb"), "-D", str(data), "-A", "scram-sha-256",
                    f"--pwfile={base / 'pw'}", "-U", "postgres"], check=True, capture_output=True)
    ctl = [*runner, str(bindir / "pg_ctl"), "-D", str(data)]
    subprocess.run([*ctl, "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1",
                    "-l", str(base / "log"), "-w", "start"], check=True, capture_output=True)
    from tests import pg_tablespace

    try:
        # PGOPTIONS names the tests' tablespace for every server a test connects to
        if pg_tablespace.in_use() and not pg_tablespace.ensure(
                f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"):
            pytest.fail("the private cluster got no tests' tablespace (DBTOOL_TEST_TABLESPACE=0 "
                        "runs without)", pytrace=False)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres", password
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(pg_tablespace.folder(port), ignore_errors=True)
