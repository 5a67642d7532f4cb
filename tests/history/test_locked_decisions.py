"""Decisions taken from the history are taken again under the run lock (issue #15, item 5).

Each test lets another real `dbtool` process write between the moment a
command first read the history and the moment it writes: a hook wrapped
around the command's own planning step runs that process once. Before the
fix the command wrote what it had decided from the stale read — `rollback`
undid 0003 after `migrate` had applied 0004 (history 0001, 0002, 0004: not a
prefix), `migrate` applied 0004 after `rollback` had undone 0003 — and both
exited 0. Now the decision is made again under the lock and the history stays
a prefix. SQLite and Postgres.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dbtool.core import migrate as migrate_module
from dbtool.core import rollback as rollback_module
from dbtool.core.history_ops import always
from dbtool.core.migrate import MigrateOptions, migrate
from dbtool.core.repair import mark
from dbtool.core.rollback import RollbackOptions, rollback
from dbtool.core.targets import TargetSpec
from dbtool.engines import open_engine
from dbtool.urls import parse_url
from tests.history.support import PG_DOWN, PG_UP, SQLITE_DOWN, SQLITE_UP, dbtool, write_set


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str, str, list[str]]:
    """(migrations folder, URL, dialect, file names) of an empty database with a five-file set."""
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        return write_set(tmp_path / "migrations", PG_UP, PG_DOWN), url, "postgres", sorted(PG_UP)
    folder = write_set(tmp_path / "migrations", SQLITE_UP, SQLITE_DOWN)
    return folder, f"sqlite:///{tmp_path / 'app.db'}", "sqlite", sorted(SQLITE_UP)


def _history(url: str, dialect: str) -> list[tuple[str, str]]:
    engine = open_engine(parse_url(url), dialect)
    try:
        return [(row.name, row.source) for row in engine.history()]
    finally:
        engine.close()


def _once(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, meanwhile: Callable[[], None]) -> list[int]:
    """Wrap module.name so that its first call first lets `meanwhile` write."""
    original = getattr(module, name)
    calls: list[int] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            meanwhile()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)
    return calls


def _cli(*args: str) -> Callable[[], None]:
    def run() -> None:
        proc = dbtool(*args)
        assert proc.returncode == 0, f"dbtool {' '.join(args)}: {proc.stderr}"
    return run


def test_rollback_chooses_its_rows_under_the_lock(monkeypatch: pytest.MonkeyPatch, target: Any) -> None:
    folder, url, dialect, names = target
    spec = TargetSpec(dir=folder, url=url)
    migrate(spec, MigrateOptions(to=names[2], lock_timeout=10))
    # rollback reads 0001-0003, then a migrate applies 0004 before it writes
    calls = _once(monkeypatch, rollback_module, "lint_downs",
                  _cli("migrate", "--dir", str(folder), "--url", url, "--to", names[3]))
    result = rollback(spec, RollbackOptions(steps=1))
    assert [n for n, _ in _history(url, dialect)] == names[:3], "the history must stay a prefix"
    assert [i.name for i in result.items] == [names[3]] and result.written
    assert len(calls) == 2, "the rows must be chosen again once the history changed"


def test_migrate_plans_again_under_the_lock(monkeypatch: pytest.MonkeyPatch, target: Any) -> None:
    folder, url, dialect, names = target
    spec = TargetSpec(dir=folder, url=url)
    migrate(spec, MigrateOptions(to=names[2], lock_timeout=10))
    # migrate plans 0004 and 0005, then a rollback undoes 0003 before it writes
    calls = _once(monkeypatch, migrate_module, "_check_rules",
                  _cli("rollback", "--dir", str(folder), "--url", url, "--steps", "1"))
    run = migrate(spec, MigrateOptions(lock_timeout=10))[0]
    assert [n for n, _ in _history(url, dialect)] == names, "the history must stay a prefix"
    assert [a.name for a in run.applied] == names[2:]
    assert len(calls) == 2


def test_mark_does_not_write_over_a_row_written_meanwhile(target: Any) -> None:
    """mark --applied planned for a pending file; a migrate applies it before mark writes:
    mark must not overwrite the real row (its source would become `mark`)."""
    folder, url, dialect, names = target
    spec = TargetSpec(dir=folder, url=url)
    migrate(spec, MigrateOptions(to=names[1], lock_timeout=10))

    def confirm(result: Any) -> bool:  # the user is asked; meanwhile a migrate runs
        _cli("migrate", "--dir", str(folder), "--url", url)()
        return always(result)

    result = mark(spec, names[2], applied=True, confirm=confirm)
    assert not result.written and "already recorded" in result.message
    assert _history(url, dialect)[2] == (names[2], "dbtool")
    log = open_engine(parse_url(url), dialect)
    try:
        assert [e["action"] for e in log.history_log()] == [], "no audit row for a write that did not happen"
    finally:
        log.close()


def test_mark_refuses_when_the_confirmed_plan_no_longer_holds(target: Any) -> None:
    """mark --pending of 0002 was confirmed for the row as it was; a repair changed the row's
    checksum meanwhile: nothing is written, exit 1 (a conflict), and the message says why."""
    from dbtool.errors import HistoryConflict

    folder, url, dialect, names = target
    spec = TargetSpec(dir=folder, url=url)
    migrate(spec, MigrateOptions(to=names[2], lock_timeout=10))
    edited = folder / names[1]
    edited.write_text(edited.read_text() + "-- a comment added after it ran\n")

    def confirm(result: Any) -> bool:
        _cli("repair", "--dir", str(folder), "--url", url, "--yes")()
        return True

    with pytest.raises(HistoryConflict) as caught:
        mark(spec, names[1], applied=False, confirm=confirm)
    assert caught.value.exit_code == 1 and "nothing was written" in caught.value.message
    assert [n for n, _ in _history(url, dialect)] == names[:3]
