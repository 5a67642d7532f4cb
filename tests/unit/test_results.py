"""The core's results as a library caller gets them: frozen, typed, and `to_dict()` is the
command's `--format json` document."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from dbtool.core.check import check
from dbtool.core.migrate import MigrateOptions, migrate
from dbtool.core.repair import mark
from dbtool.core.results import (
    AppliedFile,
    CheckStep,
    HistoryAction,
    PlannedFile,
    RunStatus,
    StepResult,
)
from dbtool.core.schema_ops import audit, snapshot
from dbtool.core.status import status
from dbtool.core.targets import TargetSpec
from dbtool.diff import Change
from dbtool.migrations.history import State
from tests.helpers import run_dbtool

FILES = {"0001_users.sql": "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL);\n",
         "0002_posts.sql": "CREATE TABLE posts (id TEXT PRIMARY KEY, user_id TEXT);\n"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "app"
    path.mkdir()
    for name, text in FILES.items():
        (path / name).write_text(text)
    return path


def _frozen(result: object) -> None:
    field = dataclasses.fields(result)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(result, field, None)


def test_migrate_and_status_results_are_typed_and_frozen(folder: Path, tmp_path: Path) -> None:
    spec = TargetSpec(dir=folder, url=f"sqlite:///{tmp_path / 'app.db'}")
    [planned] = migrate(spec, MigrateOptions(dry_run=True, include_sql=True))
    assert planned.status is RunStatus.PLANNED and planned.applied == ()
    assert planned.planned == tuple(PlannedFile(n, 1, True, (t.strip().rstrip(";"),))
                                    for n, t in FILES.items())
    [run] = migrate(spec, MigrateOptions())
    assert run.status is RunStatus.MIGRATED and all(isinstance(a, AppliedFile) for a in run.applied)
    assert [a.name for a in run.applied] == list(FILES) and run.applied[0].statements == 1
    _frozen(run)
    _frozen(run.applied[0])
    [again] = migrate(spec, MigrateOptions())
    assert again.status is RunStatus.UP_TO_DATE and again.status == "up-to-date"
    [state] = status(spec)
    assert [s.state for s in state.states] == [State.APPLIED, State.APPLIED]
    _frozen(state)


def test_to_dict_is_the_cli_json(folder: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'app.db'}"
    spec = TargetSpec(dir=folder, url=db)
    dry = [r.to_dict() for r in migrate(spec, MigrateOptions(dry_run=True))]
    cli = json.loads(run_dbtool("migrate", "--dir", str(folder), "--url", db, "--dry-run",
                                "--format", "json").stdout)
    assert cli == {"dry_run": True, "services": dry}
    migrate(spec, MigrateOptions())
    ours = [r.to_dict() for r in status(spec)]
    cli = json.loads(run_dbtool("status", "--dir", str(folder), "--url", db, "--format", "json").stdout)
    assert cli == {"services": ours}


def test_history_audit_and_check_keep_typed_objects(folder: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'app.db'}"
    live = TargetSpec(dir=folder, url=db)
    migrate(live, MigrateOptions())
    result = mark(TargetSpec(dir=folder, url=db), "0002_posts.sql", applied=False, dry_run=True)
    assert [(i.name, i.action) for i in result.items] == [("0002_posts.sql", HistoryAction.UNRECORD)]
    assert result.to_dict()["items"][0]["action"] == "unrecord"
    _frozen(result)
    snap = tmp_path / "app.yaml"
    [written] = snapshot(TargetSpec(dir=folder, dialect="sqlite", snapshot=snap))
    assert written.status == "written" and snap.is_file()
    (folder / "0003_tags.sql").write_text("CREATE TABLE tags (id TEXT PRIMARY KEY);\n")
    [audited] = audit(TargetSpec(dir=folder, url=db, snapshot=snap))
    assert [(h.migration, h.state) for h in audited.history] == [("0003_tags.sql", State.PENDING)]
    report = check(TargetSpec(dir=folder, dialect="sqlite", snapshot=snap))
    [service] = report.services
    assert service.steps[CheckStep.SNAPSHOT] is StepResult.FAIL and not report.passed
    assert [type(c) for c in service.drift] == [Change] and service.drift[0].path == ("tags",)
    assert report.to_dict()["services"][0]["steps"]["snapshot"] == "fail"
