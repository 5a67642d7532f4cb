"""`migrate/status --fleet` over a real Postgres server: tenant databases listed from
pg_database, and tenant schemas in one database (history in each schema, the files'
objects created there)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL, create_pg_database, drop_pg_database, require_postgres
from tests.fleet.support import FILES, by_identity, fleet_json, write_migrations
from tests.helpers import run_dbtool

pytestmark = pytest.mark.postgres
SERVER = PG_ADMIN_URL.rpartition("/")[0]  # postgresql://postgres@127.0.0.1:5432
HOST = SERVER.split("@", 1)[1]


def _sql(url: str, *statements: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows: list[tuple] = []
        for statement in statements:
            cur = conn.execute(statement)
            rows = cur.fetchall() if cur.description else []
        return rows


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_migrations(tmp_path / "migrations")
    return tmp_path


@pytest.fixture
def tenant_dbs() -> Iterator[tuple[str, list[str]]]:
    """Five databases named fleet_<run>_<n>: (prefix, urls)."""
    require_postgres()
    prefix = f"fleet_{uuid.uuid4().hex[:6]}"
    urls = [create_pg_database(prefix) for _ in range(5)]
    try:
        yield prefix, urls
    finally:
        for url in urls:
            drop_pg_database(url)


def _to(folder: Path, url: str, files: int) -> None:
    if files:
        proc = run_dbtool("migrate", "--dir", "migrations", "--url", url, "--to",
                          f"{files:03d}_step{files}.sql", cwd=folder)
        assert proc.returncode == 0, proc.stderr


def test_tenant_databases_mixed_corrupted_unreachable_modified(folder: Path, tenant_dbs) -> None:
    prefix, urls = tenant_dbs
    starts = [0, 2, FILES, 1, 3]
    for url, files in zip(urls, starts, strict=True):
        _to(folder, url, files)
    corrupted, modified = urls[3], urls[4]
    _sql(corrupted, "CREATE SCHEMA IF NOT EXISTS dbtool", "DROP TABLE dbtool.dbtool_migrations",
         "CREATE TABLE dbtool.dbtool_migrations (something_else int)")  # not dbtool's shape
    _sql(modified, "UPDATE dbtool.dbtool_migrations SET checksum = 'x' WHERE name = '002_step2.sql'")
    names = [u.rpartition("/")[2] for u in urls]
    (folder / "fleet.txt").write_text("".join(f"{u}\n" for u in urls)
                                      + "postgresql://postgres@127.0.0.1:1/nowhere\n")

    code, report = fleet_json("migrate", "--dir", "migrations", "--fleet", "@fleet.txt", cwd=folder)

    assert code == 1
    assert report["counts"] == {"at-head": 3, "behind": 0, "failed": 2, "unreachable": 1,
                                "not-started": 0}
    targets = by_identity(report)
    assert [len(targets[f"{HOST}/{n}"]["applied"]) for n in names[:3]] == [FILES, FILES - 2, 0]
    assert targets[f"{HOST}/{names[3]}"]["outcome"] == "failed"
    assert "dbtool_migrations" in targets[f"{HOST}/{names[3]}"]["error"]
    assert "changed since they ran: 002_step2.sql" in targets[f"{HOST}/{names[4]}"]["error"]
    assert report["unreachable"] == ["127.0.0.1:1/nowhere"]
    assert _sql(modified, "SELECT count(*) FROM dbtool.dbtool_migrations")[0][0] == 3  # untouched

    # the pattern form lists the server's databases; the re-run applies nothing twice
    spec = f"{SERVER}/{prefix}_*"
    code, again = fleet_json("status", "--dir", "migrations", "--fleet", spec, cwd=folder)
    assert again["matched"] == 5 and again["modified"] == {"002_step2.sql": [f"{HOST}/{names[4]}"]}
    code, rerun = fleet_json("migrate", "--dir", "migrations", "--fleet", spec, cwd=folder)
    assert [t["applied"] for t in rerun["targets"] if t["outcome"] == "at-head"] == [[]] * 3


def test_tenant_schemas_in_one_database(folder: Path, pg_url: str) -> None:
    for i, files in enumerate([0, 2, FILES, 4]):
        _sql(pg_url, f"CREATE SCHEMA tenant_{i}")
        _to(folder, f"{pg_url}?schema=tenant_{i}", files)
    _sql(pg_url, "CREATE SCHEMA other")
    spec = f"{pg_url}?schema=tenant_*"

    code, status = fleet_json("status", "--dir", "migrations", "--fleet", spec, cwd=folder)
    assert code == 1 and status["counts"]["behind"] == 3
    assert status["heads"] == {"006_step6.sql": 1, "004_step4.sql": 1, "002_step2.sql": 1,
                               "(none)": 1}

    code, report = fleet_json("migrate", "--dir", "migrations", "--fleet", spec, "-j", "4",
                              cwd=folder)

    assert code == 0, report
    assert report["counts"]["at-head"] == 4 and report["matched"] == 4  # `other` is not a tenant
    db = pg_url.rpartition("/")[2]
    assert [len(t["applied"]) for t in report["targets"]] == [FILES, FILES - 2, 0, FILES - 4]
    assert by_identity(report)[f"{HOST}/{db}/tenant_0"]["head"] == f"{FILES:03d}_step{FILES}.sql"
    for i in range(4):  # every tenant's objects and history live in its own schema
        tables = {r[0] for r in _sql(pg_url, "SELECT table_name FROM information_schema.tables "
                                             f"WHERE table_schema = 'tenant_{i}'")}
        assert tables == {"dbtool_migrations", *(f"step{n}" for n in range(1, FILES + 1))}
        rows = _sql(pg_url, f"SELECT note FROM tenant_{i}.step1")
        assert rows == [("from 001_step1.sql",)]
    assert _sql(pg_url, "SELECT count(*) FROM information_schema.tables WHERE table_schema "
                        "IN ('public', 'other', 'dbtool')")[0][0] == 0
