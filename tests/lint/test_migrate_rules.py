"""The rules migrate enforces: TX101's cases, and the screens that keep migrate fast.

`dbtool.lint.refusals` screens pending statements with the rules' prefilters before it
imports the lint framework; a screen that missed a statement a rule reports
would let a refused file run, so these tests hold the screens to the rules.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dbtool.engines.base import CAPABILITIES
from dbtool.errors import RuleViolation
from dbtool.lint.config import LintConfig
from dbtool.lint.framework import Scope, all_rules
from dbtool.lint.refusals import ENGINE_SCREENS, SILENT_LOSS_SCREENS, check_files
from dbtool.migrations.files import discover, load
from dbtool.sql.dialects import DIALECTS
from tests.lint.support import codes
from tests.lint.support import lint as lint_with


def lint(tmp_path: Path, dialect: str, *files: str):
    """Lint with the default rules (the opt-in conventions would add unrelated findings)."""
    return lint_with(tmp_path, dialect, *files, config=LintConfig())


def test_engine_screens_agree_with_the_rules() -> None:
    for dialect, screen in ENGINE_SCREENS.items():
        rules = [r for r in all_rules().values() if r.engine and r.applies_to(DIALECTS[dialect])]
        assert rules, dialect
        if screen is not None:  # every engine rule of the dialect has exactly this prefilter
            assert all(r.scope is Scope.STATEMENT and r.prefilter is screen for r in rules), dialect
        else:
            assert any(r.prefilter is None for r in rules), dialect
    assert set(ENGINE_SCREENS) == {"sqlite", "d1", "postgres"}


def test_silent_loss_screens_agree_with_the_rules() -> None:
    for dialect in ("sqlite", "d1", "postgres"):
        rules = [r for r in all_rules().values() if r.silent_loss and r.applies_to(DIALECTS[dialect])]
        if not rules:
            assert dialect not in SILENT_LOSS_SCREENS
            continue
        assert all(r.prefilter is SILENT_LOSS_SCREENS[dialect] for r in rules), dialect
    assert {c for c, r in all_rules().items() if r.silent_loss} == {"DL102"}


REFUSED_PG = [
    "BEGIN", "begin work", "BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE", "START TRANSACTION",
    "COMMIT", "commit and no chain", "END", "End Transaction", "ROLLBACK", "ABORT", "abort work",
    "SAVEPOINT s", "RELEASE s", "RELEASE SAVEPOINT s", "ROLLBACK TO s", "ROLLBACK WORK TO SAVEPOINT s",
    "PREPARE TRANSACTION 'x'", "COMMIT PREPARED 'x'", "ROLLBACK PREPARED 'x'",
    "COMMIT /* between */ TRANSACTION", "ROLLBACK -- why\nTO SAVEPOINT s",
]
ALLOWED_PG = [
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
    "DO $$ BEGIN PERFORM 1; END $$",
    "CREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "PREPARE q AS SELECT 1", "SELECT CASE WHEN true THEN 1 END", "SELECT 'COMMIT'",
    'CREATE TABLE "commit" ("end" int)',
]


@pytest.mark.parametrize("sql", REFUSED_PG)
def test_tx101_on_postgres(tmp_path: Path, sql: str) -> None:
    report = lint(tmp_path, "postgres", f"CREATE TABLE t (a int);\n{sql};\nCREATE TABLE u (a int);")
    assert codes(report) == ["TX101"], sql
    assert report.diagnostics[0].location.line == 2


@pytest.mark.parametrize("sql", ALLOWED_PG)
def test_tx101_leaves_bodies_and_lookalikes_alone(tmp_path: Path, sql: str) -> None:
    assert "TX101" not in codes(lint(tmp_path, "postgres", f"{sql};"))


@pytest.mark.parametrize("sql", ["END TRANSACTION", "begin immediate", "ROLLBACK TO sp", "RELEASE sp",
                                 "Commit /* c */ Transaction"])
def test_tx101_on_sqlite(tmp_path: Path, sql: str) -> None:
    assert codes(lint(tmp_path, "sqlite", f"SAVEPOINT sp;\n{sql};"))[-1:] == ["TX101"]


def test_tx101_allows_transaction_control_in_a_no_transaction_file(tmp_path: Path) -> None:
    text = "-- dbtool:no-transaction\nBEGIN;\nCREATE TABLE t (a int);\nCOMMIT;"
    assert codes(lint(tmp_path / "a", "postgres", text)) == []
    assert codes(lint(tmp_path / "b", "sqlite", text)) == []


def test_tx101_cannot_be_silenced(tmp_path: Path) -> None:
    (tmp_path / "0001_x.sql").write_text("CREATE TABLE t (a int);\n"
                                         "-- dbtool:lint-ignore TX101 we know\nCOMMIT;\n")
    files, _ = discover(tmp_path)
    with pytest.raises(RuleViolation) as caught:
        check_files(CAPABILITIES["postgres"], [load(f, "postgres") for f in files])
    assert "[TX101]" in caught.value.message and str(caught.value.location).endswith("0001_x.sql:3:1")
    assert caught.value.exit_code == 1


def test_a_run_without_suspects_never_imports_the_lint_framework(tmp_path: Path) -> None:
    """Migrate's speed: 200 files must not pay ~50 ms for pglast and the rule modules."""
    folder = tmp_path / "m"
    folder.mkdir()
    for i in range(1, 6):
        (folder / f"{i:04d}_t.sql").write_text(
            f"CREATE TABLE t{i} (a int);\nCREATE TRIGGER g{i} AFTER INSERT ON t{i} BEGIN SELECT 1; END;\n")
    code = ("import sys\nfrom dbtool.cli import main\n"
            f"sys.argv = ['dbtool', 'migrate', '--dir', {str(folder)!r}, '--url', "
            f"{'sqlite:///' + str(tmp_path / 'x.db')!r}]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "light = {'dbtool.lint', 'dbtool.lint.refusals', 'dbtool.lint.prefilters',\n"
            "         'dbtool.sql', 'dbtool.sql.dialects'}  # data only: the engines' SQL facts\n"
            "loaded = [m for m in sys.modules if m.startswith(('dbtool.lint', 'dbtool.sql', 'pglast'))\n"
            "          and m not in light]\n"
            "assert not loaded, loaded\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
