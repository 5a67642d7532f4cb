"""SIGKILL `dbtool migrate` at every injected point and at random moments.

After each kill: the schema and rows equal the state after a whole prefix of
files, the history names exactly that prefix, no lock or hot journal blocks the
next run, and a re-run that may not wait finishes the set. SQLite, wrangler's
local D1 state (WAL) and Postgres; 6 + 14 = 20 kills per engine here (local D1:
6 + 6), 200+ per engine in `bench/faults.py`. The campaigns run in conftest.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.reliability.campaign import POINTS
from tests.reliability.conftest import CI_SIZES
from tests.reliability.workload import dbtool_cmd, make_target, migrate_cmd, run


@pytest.mark.parametrize("point", POINTS)
def test_kill_at_each_point_leaves_a_whole_prefix(report, point):
    expected, stats = report.points[point]  # killed while file 3 (the bulk file) ran
    assert stats.failures == []
    assert stats.kills == 1, "the fault point never fired"
    assert dict(stats.landed) == {expected: 1}  # file 3 is there only after its COMMIT
    assert stats.reruns_ok == 1


def test_random_and_injected_kills_never_leave_a_partial_state(report):
    stats, wanted = report.crashes, CI_SIZES[report.engine].kills
    assert stats.failures == []
    assert (stats.kills, stats.partial, stats.reruns_ok) == (wanted, 0, wanted)
    assert report.totals().kills >= (20 if report.engine != "d1-local" else 12)


def test_status_and_migrate_recover_a_hot_journal(tmp_path: Path):
    """A kill after the bulk file spilled to disk leaves a hot journal. Only a read-write
    open can roll it back; a read-only reader used to fail with 'attempt to write a
    readonly database', locking status and migrate out of the crashed database."""
    target = make_target("sqlite", tmp_path, 60_000)
    # files 1-5 first: a run switches to WAL after its first commit, so the kill must
    # hit the first file of a run to meet the rollback journal
    fifth = sorted(p.name for p in target.folder.glob("*.sql"))[4]
    assert run(migrate_cmd(target, "--to", fifth)).returncode == 0
    killed = run(migrate_cmd(target), env={"DBTOOL_FAULT": "after-statements@1:kill"})
    assert killed.returncode == -9
    assert target.leftovers() == ["app.db-journal"]  # the crash left a hot journal
    status = run(dbtool_cmd("status", "--dir", str(target.folder), "--url", target.url,
                            "--format", "json"))
    assert status.returncode == 0, status.stderr
    states = [m["state"] for m in json.loads(status.stdout)["services"][0]["migrations"]]
    assert states == ["applied"] * 5 + ["pending"]  # file 6 was rolled back
    assert target.leftovers() == []
    assert run(migrate_cmd(target, "--lock-timeout", "0")).returncode == 0
