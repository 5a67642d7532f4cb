"""The framework: lint-ignore comments, per-service configuration, parse failures, registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbtool.config import load_project
from dbtool.errors import ConfigError
from dbtool.lint.framework import REGISTRY, Severity, all_rules
from dbtool.lint.service import lint_service
from dbtool.sql.sqlite import analyze
from tests.lint.support import codes, lint, only, write

BASE = "CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT);"


def test_lint_ignore_with_reason_silences_and_keeps_the_reason(tmp_path: Path) -> None:
    sql = "-- dbtool:lint-ignore DL104 the table is a cache, rebuilt nightly\nDELETE FROM t;"
    report = lint(tmp_path, "d1", BASE, sql)
    [finding] = report.diagnostics
    assert finding.code == "DL104" and finding.suppressed
    assert finding.suppressed_by == "the table is a cache, rebuilt nightly"
    assert report.to_dict()["diagnostics"][0]["suppressed_reason"] == finding.suppressed_by
    assert report.summary()["suppressed"] == 1 and report.summary()["warnings"] == 0


def test_lint_ignore_without_reason_is_an_error_and_silences_nothing(tmp_path: Path) -> None:
    report = lint(tmp_path, "d1", BASE, "-- dbtool:lint-ignore DL104\nDELETE FROM t;")
    assert codes(report) == ["LT101", "DL104"]
    assert only(report, "LT101")[0].severity is Severity.ERROR
    assert only(report, "LT101")[0].location.line == 1
    assert report.failed


def test_lint_ignore_several_codes_and_other_comments(tmp_path: Path) -> None:
    sql = ("-- a new random key for every row\n"
           "-- dbtool:lint-ignore PG107,PG108 t has a handful of rows and no other writer\n"
           "ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid();")
    report = lint(tmp_path, "postgres", "CREATE TABLE t (id int);", sql)
    assert codes(report) == [] and codes(report, active_only=False) == ["PG107", "PG108"]


def test_lint_ignore_unknown_unused_and_orphaned(tmp_path: Path) -> None:
    sql = ("-- dbtool:lint-ignore ZZ999 no such rule\nSELECT 1;\n\n"
           "-- dbtool:lint-ignore DL104 nothing to silence here\nSELECT 2;\n\n"
           "-- dbtool:lint-ignore DL105 separated by a blank line\n\nSELECT 3;")
    report = lint(tmp_path, "d1", BASE, sql)
    assert sorted(codes(report)) == ["LT102", "LT103", "LT103"]
    assert [d.location.line for d in only(report, "LT103")] == [4, 7]


def test_engine_rules_cannot_be_silenced(tmp_path: Path) -> None:
    report = lint(tmp_path, "d1", "-- dbtool:lint-ignore D101 tested locally\nBEGIN;")
    assert sorted(codes(report)) == ["D101", "LT104"] and report.failed


def _project(tmp_path: Path, lint_table: str) -> Path:
    write(tmp_path / "migrations" / "app", {
        "0001_init.sql": "CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT);",
        "0002_clear.sql": "DELETE FROM t;\nDROP TABLE t;",
    })
    (tmp_path / "dbtool.toml").write_text(
        f'[services.app]\ndialect = "d1"\nmigrations = "migrations/app"\n\n{lint_table}\n',
        encoding="utf-8")
    return tmp_path / "dbtool.toml"


def test_severity_overrides_from_dbtool_toml(tmp_path: Path) -> None:
    config = _project(tmp_path, '[services.app.lint]\nseverity = { DL101 = "warning", DL104 = "error" }')
    report = lint_service(load_project(config).service("app"))
    severities = {d.code: d.severity for d in report.diagnostics}
    assert severities == {"DL101": Severity.WARNING, "DL104": Severity.ERROR}


def test_disable_and_off(tmp_path: Path) -> None:
    config = _project(tmp_path, '[services.app.lint]\ndisable = ["DL101"]\nseverity = { DL104 = "off" }')
    assert lint_service(load_project(config).service("app")).diagnostics == ()


def test_enable_opt_in_rules(tmp_path: Path) -> None:
    config = _project(tmp_path, '[services.app.lint]\nenable = ["CV102"]')
    (tmp_path / "migrations" / "app" / "0003_ids.sql").write_text(
        "CREATE TABLE n (id INTEGER PRIMARY KEY AUTOINCREMENT);", encoding="utf-8")
    assert "CV102" in codes(lint_service(load_project(config).service("app")))


@pytest.mark.parametrize(("table", "message"), [
    ('[services.app.lint]\nseverity = { XX101 = "error" }', "unknown lint rule 'XX101'"),
    ('[services.app.lint]\nseverity = { DL101 = "fatal" }', "must be error, warning, info or off"),
    ('[services.app.lint]\nenable = "CV101"', "must be a list of rule codes"),
    ('[services.app.lint]\nstrict = true', "unknown key 'strict'"),
])
def test_bad_lint_config_is_a_config_error(tmp_path: Path, table: str, message: str) -> None:
    config = _project(tmp_path, table)
    with pytest.raises(ConfigError, match=message):
        lint_service(load_project(config).service("app"))


def test_unparsable_postgres_statement_is_a_finding(tmp_path: Path) -> None:
    report = lint(tmp_path, "postgres", "CREATE TABLE t (a int);", "SELECT 1;\nCREATE TABLEX u (a int);")
    [finding] = only(report, "PS102")
    assert "TABLEX" in finding.message and (finding.location.line, finding.location.col) == (2, 8)


def test_sqlite_syntax_error_is_a_finding(tmp_path: Path) -> None:
    report = lint(tmp_path, "d1", "CREATE TABLE t (a);", "CREATE TABLE u (a,);")
    assert "PS102" in codes(report)


def test_unsplittable_file_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    report = lint(tmp_path, "d1", "CREATE TABLE t (a);", "SELECT 'unterminated;")
    [finding] = only(report, "PS101")
    assert "unterminated string" in finding.message and finding.location.line == 1


def test_unknown_directive_is_a_finding(tmp_path: Path) -> None:
    report = lint(tmp_path, "d1", "-- dbtool:frobnicate\nSELECT 1;")
    assert codes(report) == ["PS101"]


def test_earlier_files_are_replayed_but_not_reported(tmp_path: Path) -> None:
    report = lint(tmp_path, "d1", "BEGIN;\nCREATE TABLE t (a);", "SELECT 1;")
    assert report.diagnostics == () and len(report.files) == 1


def test_registry_codes_are_stable_and_documented() -> None:
    rules = all_rules()
    assert set(REGISTRY) == set(rules)
    families = {code.rstrip("0123456789") for code in rules}
    assert families == {"D", "TX", "DL", "BC", "PG", "CV", "PS", "LT"}
    docs = (Path(__file__).resolve().parents[2] / "docs" / "lint.md").read_text(encoding="utf-8")
    for code, rule in rules.items():
        assert f"| {code} |" in docs, f"{code} missing from docs/lint.md"
        assert rule.summary and rule.help and rule.name


def test_tokenizer_ignores_keywords_in_strings_comments_and_quotes() -> None:
    facts = analyze("UPDATE \"where\" SET v = 'WHERE' -- WHERE\n /* WHERE */")
    assert facts.kind == "update" and facts.name == "where" and not facts.has_where
    assert analyze("DELETE FROM [t] WHERE 1").has_where
