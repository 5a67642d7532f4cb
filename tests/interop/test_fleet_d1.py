"""`migrate --fleet d1://ACCOUNT/prefix*` through the REST test server (miniflare's real
D1 engine behind it): the databases are listed page by page, 429s and 5xx are retried
with backoff, every tenant ends at head and no file is applied twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fleet.support import FILES, by_identity, fleet_json, write_migrations
from tests.helpers import run_dbtool
from tests.interop.support import D1TestServer, start_server

NAMES = [*(f"tenant-{i}" for i in range(7)), "other-0"]


@pytest.fixture(scope="module")
def server(node_packages: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[D1TestServer]:
    yield from start_server(tmp_path_factory.mktemp("d1-fleet") / "server.log", names=NAMES)


def test_d1_fleet_listed_retried_and_completed(server: D1TestServer, tmp_path: Path) -> None:
    write_migrations(tmp_path / "migrations")
    env = {**server.env(), "DBTOOL_D1_LIST_PAGE": "3"}  # several pages for 7 tenants
    uuid = dict(zip(NAMES, server.databases, strict=True))
    for name, files in {"tenant-1": 2, "tenant-2": FILES, "tenant-3": 4}.items():
        proc = run_dbtool("migrate", "--dir", "migrations", "--url", f"d1://{server.account}/{uuid[name]}",
                          "--to", f"{files:03d}_step{files}.sql", cwd=tmp_path, env=env)
        assert proc.returncode == 0, proc.stderr
    server.control("reset")
    server.fail_next("429", 4, match="CREATE TABLE step")
    server.control("fail", {"mode": "429", "count": 1, "match": "LIST", "retry_after": 0.3})
    server.fail_next("503", 3, match="INSERT INTO step")

    code, report = fleet_json("migrate", "--dir", "migrations", "--fleet",
                              f"d1://{server.account}/tenant-*", "-j", "4", cwd=tmp_path, env=env)

    assert code == 0, report
    assert report["matched"] == 7 and report["counts"]["at-head"] == 7
    targets = by_identity(report)
    assert [len(targets[f"{server.account}/tenant-{i}"]["applied"]) for i in range(7)] == \
        [FILES, FILES - 2, 0, FILES - 4, FILES, FILES, FILES]
    for name in NAMES[:7]:  # every file once per tenant: its row inserted once
        for n in range(1, FILES + 1):
            assert server.query(uuid[name], f"SELECT count(*) AS c FROM step{n}") == [{"c": 1}]
    assert server.query(uuid["other-0"], "SELECT count(*) AS c FROM sqlite_master "
                                         "WHERE name LIKE 'step%'") == [{"c": 0}]
    listing = server.control("log?match=LIST")
    assert listing[0]["fault"] == "429" and listing[1]["at"] - listing[0]["at"] >= 300  # Retry-After
    assert len(listing) == 4  # the 429, then pages 1-3 of three names each
    assert server.stats()["faults_left"] == 0  # every injected fault was met and retried

    # an unknown database among the fleet is reported unreachable; the rest stay at head
    (tmp_path / "fleet.txt").write_text(f"d1://{server.account}/{uuid['tenant-0']}\n"
                                        f"d1://{server.account}/no-such-database\n")
    code, again = fleet_json("migrate", "--dir", "migrations", "--fleet", "@fleet.txt",
                             cwd=tmp_path, env=env)
    assert code == 1 and again["unreachable"] == [f"{server.account}/no-such-database"]
    assert by_identity(again)[f"{server.account}/{uuid['tenant-0']}"]["applied"] == []
    assert server.token not in str(again)
