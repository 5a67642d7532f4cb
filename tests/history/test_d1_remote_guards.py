"""Remote D1 has no lock: each request re-checks the rows it depends on (issue #15, item 5).

Another real `dbtool` process writes between the moment a command last read
the history and the moment its request reaches D1 (a hook on the request
builder runs it once). The request's guard aborts it, D1 rolls the whole
batch back, and the command either recognises another migrate's progress
(and skips the file it applied) or stops with a conflict (exit 1) — never
writing a plan made from a history that no longer exists.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dbtool.core.migrate import MigrateOptions, migrate
from dbtool.core.repair import mark
from dbtool.core.targets import TargetSpec
from dbtool.engines import d1_remote, history_d1_remote
from dbtool.errors import HistoryConflict
from tests.history.support import SQLITE_DOWN, SQLITE_UP, dbtool, write_set

NAMES = sorted(SQLITE_UP)


@pytest.fixture
def remote(tmp_path: Path, remote_db, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str, Path, str]:
    server, database = remote_db
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)
    folder = write_set(tmp_path / "migrations", SQLITE_UP, SQLITE_DOWN)
    return server, database, folder, f"d1://{server.account}/{database}"


def _history(server: Any, database: str) -> list[tuple[str, str | None]]:
    return [(r["name"], r["source"]) for r in server.query(
        database, "SELECT m.name, x.source FROM d1_migrations m LEFT JOIN dbtool_migrations x "
                  "ON x.name = m.name ORDER BY m.id")]


def _before_first(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, meanwhile: Callable[[], None]) -> None:
    original = getattr(owner, name)
    calls: list[int] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            meanwhile()
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapped)


def _cli(*args: str) -> Callable[[], None]:
    def run() -> None:
        proc = dbtool(*args)
        assert proc.returncode == 0, f"dbtool {' '.join(args)}: {proc.stderr}"
    return run


def test_a_rollback_between_read_and_request_stops_migrate(remote, monkeypatch) -> None:
    server, database, folder, url = remote
    spec = TargetSpec(dir=folder, url=url)
    migrate(spec, MigrateOptions(to=NAMES[2], lock_timeout=5))
    _before_first(monkeypatch, d1_remote.D1RemoteEngine, "_request",
                  _cli("rollback", "--dir", str(folder), "--url", url, "--steps", "1"))
    with pytest.raises(HistoryConflict) as caught:
        migrate(spec, MigrateOptions(lock_timeout=5))
    assert caught.value.exit_code == 1 and NAMES[3] in caught.value.message
    assert [n for n, _ in _history(server, database)] == NAMES[:2], "nothing applied over the gap"


def test_another_migrate_ahead_is_recognised(remote, monkeypatch) -> None:
    server, database, folder, url = remote
    spec = TargetSpec(dir=folder, url=url)
    migrate(spec, MigrateOptions(to=NAMES[2], lock_timeout=5))
    _before_first(monkeypatch, d1_remote.D1RemoteEngine, "_request",
                  _cli("migrate", "--dir", str(folder), "--url", url, "--to", NAMES[3]))
    run = migrate(spec, MigrateOptions(lock_timeout=5))[0]
    assert [a.name for a in run.applied] == NAMES[4:]  # 0004 was the other run's
    assert [n for n, _ in _history(server, database)] == NAMES


def test_mark_does_not_write_over_a_row_recorded_meanwhile(remote, monkeypatch) -> None:
    server, database, folder, url = remote
    spec = TargetSpec(dir=folder, url=url)
    migrate(spec, MigrateOptions(to=NAMES[1], lock_timeout=5))
    _before_first(monkeypatch, history_d1_remote.D1RemoteHistoryOps, "_send",
                  _cli("migrate", "--dir", str(folder), "--url", url, "--to", NAMES[2]))
    with pytest.raises(HistoryConflict) as caught:
        mark(spec, NAMES[2], applied=True)
    assert "nothing was written" in caught.value.message
    assert _history(server, database)[2] == (NAMES[2], "dbtool"), "the real row keeps its source"
    log = server.query(database, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'dbtool_history_log'")
    if log[0]["n"]:
        assert server.query(database, "SELECT count(*) AS n FROM dbtool_history_log")[0]["n"] == 0
