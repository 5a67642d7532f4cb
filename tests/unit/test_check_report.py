"""`check`'s verdict: a skipped service was not checked, so it is never reported as passed.

Generated reports (each service clean, failing, skipped, or unreachable) against the rules:
exit 0 only when every service is clean, skips allowed only with allow_skip; exit 3 when a
database was unreachable; the summary says `passed` exactly when nothing failed and nothing
was skipped, and names every skipped service otherwise.
"""

from __future__ import annotations

import random

from dbtool.core.check import CheckFinding, CheckReport, ServiceCheck

OUTCOMES = ("clean", "failed", "skipped", "unreachable")


def _service(name: str, outcome: str) -> ServiceCheck:
    failed = outcome in ("failed", "unreachable")
    return ServiceCheck(name, "sqlite",
                        errors=(CheckFinding("boom", "migration-failed", "boom"),) if failed else (),
                        skip_reason="no scratch Postgres server" if outcome == "skipped" else None,
                        unreachable=outcome == "unreachable")


def test_generated_reports_never_pass_a_skip() -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    for case in range(500):
        outcomes = [rng.choice(OUTCOMES) for _ in range(rng.randint(1, 6))]
        allow_skip = rng.random() < 0.5
        report = CheckReport(tuple(_service(f"s{i}", o) for i, o in enumerate(outcomes)), allow_skip)
        where = f"seed {seed}, case {case}: {outcomes}, allow_skip={allow_skip}"
        failed = any(o in ("failed", "unreachable") for o in outcomes)
        skipped = [f"s{i}" for i, o in enumerate(outcomes) if o == "skipped"]
        expected = 3 if "unreachable" in outcomes else 1 if failed or (skipped and not allow_skip) else 0
        assert report.exit_code == expected, where
        assert ("passed" in report.verdict) == (not failed and not skipped), (where, report.verdict)
        assert all(name in report.verdict for name in skipped), (where, report.verdict)
        document = report.to_dict()
        assert document["skipped"] == skipped and document["passed"] == (not failed and not skipped), where
        assert document["ok"] == (not failed and (allow_skip or not skipped)), where


def test_a_broken_install_is_not_a_skipped_lint_step(tmp_path) -> None:
    """An ImportError (a module missing from a broken install) stops `check` as an internal
    error; it used to mark the lint step `skipped` and pass the CI gate."""
    import subprocess
    import sys

    from tests.zygote import dbtool_run

    (tmp_path / "m").mkdir()
    (tmp_path / "m/0001_a.sql").write_text("CREATE TABLE a (id TEXT PRIMARY KEY);\n")
    (tmp_path / "dbtool.toml").write_text('[services.app]\ndialect = "sqlite"\nmigrations = "m"\n')
    ok = dbtool_run([sys.executable, "-m", "dbtool", "snapshot", "app"], cwd=tmp_path,
                    capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    code = ("import sys\nsys.modules['dbtool.lint.service'] = None  # as if the file were missing\n"
            "from dbtool.cli.boundary import main\nmain(['check', '--format', 'json'])\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0, proc.stdout
    assert '"skipped"' not in proc.stdout and "dbtool.lint.service" in proc.stderr, proc.stderr
