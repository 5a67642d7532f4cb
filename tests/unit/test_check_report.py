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
    check = ServiceCheck(name, "sqlite")
    if outcome in ("failed", "unreachable"):
        check.errors.append(CheckFinding("boom", "migration-failed", "boom"))
    if outcome == "unreachable":
        check.unreachable = True
    if outcome == "skipped":
        check.skip_reason = "no scratch Postgres server"
    return check


def test_generated_reports_never_pass_a_skip() -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    for case in range(500):
        outcomes = [rng.choice(OUTCOMES) for _ in range(rng.randint(1, 6))]
        allow_skip = rng.random() < 0.5
        report = CheckReport([_service(f"s{i}", o) for i, o in enumerate(outcomes)], allow_skip)
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
