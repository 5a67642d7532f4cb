"""Rules ask capabilities, not dialect names: which rules run, and how severe they are, follow
from the `Dialect` data alone (dbtool.sql.dialects)."""

from __future__ import annotations

import re
from pathlib import Path

from dbtool.lint.config import LintConfig
from dbtool.lint.engine import lint_files
from dbtool.lint.framework import Severity, all_rules, dialect_names
from dbtool.migrations.files import discover
from dbtool.sql.dialects import DIALECTS
from tests.lint.support import write

SRC = Path(__file__).resolve().parents[2] / "src" / "dbtool"
# What `dbtool lint --rules` and the SARIF tags have always listed (docs/lint.md's headings).
_D1_ONLY = {f"D1{n:02d}" for n in range(1, 11)}
_POSTGRES_ONLY = {f"PG10{n}" for n in range(1, 9)} | {"DL106", "DL107", "CV104", "CV105"}


def test_each_rule_applies_to_the_dialects_it_always_did() -> None:
    for code, rule in all_rules().items():
        if code in _D1_ONLY:
            expected = ["d1"]
        elif code in _POSTGRES_ONLY:
            expected = ["postgres"]
        elif code == "DL102":
            expected = ["d1", "sqlite"]
        elif code == "TX101":
            expected = ["postgres", "sqlite"]
        else:
            expected = ["d1", "postgres", "sqlite"]
        assert dialect_names(rule) == expected, code


CHILDREN = ("CREATE TABLE p (id TEXT PRIMARY KEY);\n"
            "CREATE TABLE c (id TEXT PRIMARY KEY, p TEXT REFERENCES p(id) ON DELETE CASCADE);\n"
            "INSERT INTO p VALUES ('a');\nINSERT INTO c VALUES ('x', 'a');\n")


def _lint(tmp_path: Path, dialect: object, *files: str):
    folder = write(tmp_path, {f"{i:04d}_f.sql": sql for i, sql in enumerate(files, 1)})
    found, _ = discover(folder)
    return lint_files(found, dialect, LintConfig.everything())  # type: ignore[arg-type]


def test_a_new_dialect_is_data_and_the_rules_follow_its_capabilities(tmp_path: Path) -> None:
    """A SQLite flavour that always enforces foreign keys (as D1 does) but is not D1: the cascade
    is an error there, D1's own rules stay out, and transaction control is TX101."""
    flavour = DIALECTS["sqlite"]._replace(name="libsql", enforces_foreign_keys=True)
    report = _lint(tmp_path / "a", flavour, CHILDREN, "DROP TABLE p;\nBEGIN;\n")
    found = {d.code: d for d in report.diagnostics}
    assert found["DL102"].severity is Severity.ERROR
    assert "always enforced" in found["DL102"].message
    assert "TX101" in found and not any(code.startswith("D1") for code in found)
    plain = _lint(tmp_path / "b", "sqlite", CHILDREN, "DROP TABLE p;\nBEGIN;\n")
    assert {d.code: d.severity for d in plain.diagnostics}["DL102"] is Severity.WARNING


def test_a_dialect_without_capabilities_runs_only_the_neutral_rules(tmp_path: Path) -> None:
    bare = DIALECTS["postgres"]._replace(name="bare", table_locks=False, truncate=False,
                                         alters_column_types=False, row_level_security=False,
                                         stored_functions=False)
    report = _lint(tmp_path, bare, "CREATE TABLE t (a int);",
                   "CREATE INDEX i ON t (a);\nTRUNCATE t;\nALTER TABLE t ALTER COLUMN a TYPE text;\n"
                   "DROP TABLE t;")
    assert [d.code for d in report.diagnostics] == ["DL101"]


def test_lint_and_report_code_never_compares_dialect_names() -> None:
    pattern = re.compile(r"dialect\s*(==|!=)|dialect (not )?in \(")
    for package in ("lint", "report", "sql"):
        for path in sorted((SRC / package).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                assert not pattern.search(line), f"{path.relative_to(SRC)}:{number}: {line.strip()}"
