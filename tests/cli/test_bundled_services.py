"""The seven bundled services, end to end through the real CLI: built from
nothing, idempotent, all applied, and zero false drift (run twice)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL, REPO
from tests.helpers import run_dbtool

SERVICES = ["registry", "api", "scores", "dictionary", "export", "scenes", "studio"]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A copy of the project's config, migrations, snapshots and docs (the prelude is built in)."""
    root = tmp_path_factory.mktemp("bundled")
    for item in ("dbtool.toml", "migrations", "schemas", "docs"):
        source = REPO / item
        if source.is_dir():
            shutil.copytree(source, root / item)
        elif source.exists():
            shutil.copy(source, root / item)
    return root


@pytest.mark.postgres
def test_migrate_all_builds_all_seven_then_nothing_is_pending(checkout, pg_url_factory):
    env = {"SCENES_DATABASE_URL": pg_url_factory("dbtool_scenes"),
           "STUDIO_DATABASE_URL": pg_url_factory("dbtool_studio")}
    first = run_dbtool("migrate", "--all", "--format", "json", cwd=checkout, env=env)
    assert first.returncode == 0, first.stderr
    runs = {r["service"]: r for r in json.loads(first.stdout)["services"]}
    assert list(runs) == SERVICES
    assert all(runs[s]["status"] == "migrated" for s in SERVICES), runs
    for name in SERVICES[:5]:
        assert (checkout / ".dbtool" / "local" / f"{name}.db").is_file()
    files = {s: len(list((checkout / "migrations" / s).glob("*.sql"))) for s in SERVICES}
    assert {s: len(runs[s]["applied"]) for s in SERVICES} == files
    assert runs["studio"]["prelude"].endswith("supabase.sql")

    second = run_dbtool("migrate", "--all", "--format", "json", cwd=checkout, env=env)
    assert second.returncode == 0, second.stderr
    assert all(r["status"] == "up-to-date" and not r["applied"]
               for r in json.loads(second.stdout)["services"])

    status = run_dbtool("status", "--all", "--format", "json", "--exit-code", cwd=checkout, env=env)
    assert status.returncode == 0, status.stdout
    for service in json.loads(status.stdout)["services"]:
        assert service["counts"]["applied"] == files[service["service"]]
        assert {m["state"] for m in service["migrations"]} == {"applied"}

    for name in ("scenes", "studio"):
        audit = run_dbtool("audit", name, "--target", "default", "--format", "json", cwd=checkout, env=env)
        assert audit.returncode == 0, audit.stdout + audit.stderr


def test_without_postgres_urls_the_postgres_services_are_skipped_with_the_variable(checkout):
    proc = run_dbtool("migrate", "--all", cwd=checkout,
                      env={"SCENES_DATABASE_URL": "", "STUDIO_DATABASE_URL": ""})
    assert proc.returncode == 0, proc.stderr
    assert "scenes: skipped — no database URL: set $SCENES_DATABASE_URL" in proc.stdout
    assert "studio: skipped — no database URL: set $STUDIO_DATABASE_URL" in proc.stdout


@pytest.mark.postgres
def test_check_and_audit_report_no_drift_on_any_service_twice(checkout):
    env = {"DBTOOL_SCRATCH_URL": PG_ADMIN_URL}
    for _ in range(2):
        check = run_dbtool("check", "--require-all", "--format", "json", cwd=checkout, env=env, timeout=600)
        report = json.loads(check.stdout)
        problems = {s["service"]: s["problems"] for s in report["services"] if s["problems"]}
        assert check.returncode == 0 and report["ok"], problems
        assert [s["service"] for s in report["services"]] == SERVICES
        assert not any(s["skip_reason"] for s in report["services"])
        audit = run_dbtool("audit", "--all", "--format", "json", cwd=checkout, env=env, timeout=600)
        assert audit.returncode == 0, audit.stdout
        assert all(s["clean"] for s in json.loads(audit.stdout)["services"])
