"""Databases are created and dropped by the engine classes (as dbmate's drivers do), and
scratch builds go through them: a scratch database exists only inside its build."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from dbtool.config import Project, Service
from dbtool.core.scratch import scratch_url
from dbtool.engines import engine_class
from dbtool.engines.postgres import PostgresEngine
from dbtool.engines.sqlite import SqliteEngine
from dbtool.errors import ConnectionFailed, UrlError
from dbtool.urls import parse_url, with_database
from tests.conftest import IN_CI, PG_ADMIN_URL, require_postgres

ODD = "@:/?#% &=+~é"


def test_with_database_keeps_everything_but_the_database() -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    for case in range(300):
        user = "".join(rng.choice("abcXYZ_" + ODD) for _ in range(rng.randint(1, 8)))
        password = "".join(rng.choice("pw01" + ODD) for _ in range(rng.randint(0, 10)))
        host = rng.choice(["127.0.0.1", "db.example.com", "[::1]"])
        port = rng.choice(["", ":5432", ":6543"])
        path = rng.choice(["", "/", "/postgres", "/some%20db"])
        query = rng.choice(["", "?sslmode=disable", "?application_name=x&connect_timeout=3"])
        userinfo = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
        server = parse_url(f"postgresql://{userinfo}@{host}{port}{path}{query}")
        name = rng.choice(["dbtool_scratch_app_1a2b3c4d", "x", "Mixed Case"])
        url = with_database(server, name)
        where = f"seed {seed}, case {case}: {server.display} -> {url.display}"
        assert url.database == name, where
        assert (url.host, url.port, url.username, url.query) == (
            server.host, server.port, server.username, server.query), where
        assert url.raw.startswith(f"postgresql://{userinfo}@{host}{port}/"), where


def test_postgres_engine_creates_and_drops_a_database() -> None:
    require_postgres()
    admin = parse_url(PG_ADMIN_URL)
    url = with_database(admin, f"dbtool_engine_{random.randrange(16**8):08x}")
    PostgresEngine.create_database(url, admin=admin)
    held = psycopg.connect(url.raw, autocommit=True)  # a session still connected when it is dropped
    try:
        assert held.execute("SELECT current_database()").fetchone()[0] == url.database
        with pytest.raises(ConnectionFailed, match="cannot create database"):
            engine_class(url).create_database(url, admin=admin)
        PostgresEngine.drop_database(url)  # default admin: the server's postgres database
        with pytest.raises(psycopg.OperationalError):  # the session was ended by the drop
            held.execute("SELECT 1")
    finally:
        held.close()
        PostgresEngine.drop_database(url, admin=admin)
    with psycopg.connect(PG_ADMIN_URL) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s",
                            (url.database,)).fetchone()[0] == 0


def test_sqlite_engine_creates_and_drops_a_file_and_what_lies_beside_it(tmp_path: Path) -> None:
    url = parse_url(f"sqlite:///{tmp_path}/sub/app.db")
    SqliteEngine.create_database(url)
    path = tmp_path / "sub/app.db"
    assert sqlite3.connect(path).execute("PRAGMA schema_version").fetchone() == (0,)
    for leftover in ("app.db-wal", "app.db-shm", "app.db-journal", "app.db.dbtool-lock"):
        (path.parent / leftover).write_text("")
    SqliteEngine.drop_database(url)
    assert list(path.parent.iterdir()) == []


@pytest.mark.parametrize("server", [PG_ADMIN_URL, PG_ADMIN_URL.rsplit("/", 1)[0]])
def test_scratch_database_lives_only_inside_its_build(monkeypatch: pytest.MonkeyPatch, server: str) -> None:
    """Also from a server URL without a database path, which used to make a broken URL."""
    require_postgres()
    monkeypatch.setenv("DBTOOL_SCRATCH_URL", server)
    service = Service(name="app", dialect="postgres", migrations=Path("."))
    with scratch_url(service, None) as url, psycopg.connect(url.raw) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == url.database
    with psycopg.connect(PG_ADMIN_URL) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s",
                            (url.database,)).fetchone()[0] == 0


@pytest.mark.parametrize("place", ["tests", "server default"])
def test_scratch_database_goes_where_the_connection_puts_new_tables(
        monkeypatch: pytest.MonkeyPatch, place: str) -> None:
    """CREATE DATABASE alone ignores default_tablespace; the URL's options decide here."""
    require_postgres()
    from tests import pg_tablespace

    if not pg_tablespace.in_use():
        reason = "needs the tests' tablespace (tests/pg_tablespace.py: a local server, run as root)"
        pytest.fail(f"CI=true but it {reason}", pytrace=False) if IN_CI else pytest.skip(reason)
    wanted = pg_tablespace.NAME if place == "tests" else ""
    option = quote(f"-c default_tablespace={wanted}")
    monkeypatch.setenv("DBTOOL_SCRATCH_URL", f"{PG_ADMIN_URL}?options={option}")
    service = Service(name="app", dialect="postgres", migrations=Path("."))
    with scratch_url(service, None) as url, psycopg.connect(PG_ADMIN_URL) as conn:
        got = conn.execute("SELECT t.spcname FROM pg_database d JOIN pg_tablespace t "
                           "ON t.oid = d.dattablespace WHERE d.datname = %s", (url.database,)).fetchone()
    assert got == (wanted or "pg_default",)


def test_scratch_server_of_another_engine_is_refused(tmp_path: Path) -> None:
    project = Project(root=tmp_path, path=None, services=(), scratch_url="sqlite:///x.db")
    service = Service(name="app", dialect="postgres", migrations=Path("."))
    with pytest.raises(UrlError, match="cannot use the sqlite:// URL"), scratch_url(service, project):
        pass
