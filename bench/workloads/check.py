"""`dbtool check` over the repository's seven services: what every CI job pays.

No peer does this job in one command (it is wrangler + supabase + pg_dump + diff
glue), so the table has absolute times only. Exit 1 (problems found) still
means a complete run; the problems are listed in the notes, not hidden.
"""

from __future__ import annotations

import json

from bench.model import Context, Workload
from bench.paths import REPO
from bench.timing import Case, CaseFailed, Cmd


def check(ctx: Context) -> list[Workload]:
    notes: list[str] = []
    env = {"DBTOOL_SCRATCH_URL": ctx.pg.admin_url} if ctx.pg else {}

    def verify(_state: object, out: str) -> None:
        try:
            report = json.loads(out)
        except ValueError as exc:
            raise CaseFailed(f"`dbtool check --format json` printed no JSON: {exc}") from exc
        services = report.get("services", [])
        skipped = [s["service"] for s in services if s.get("skip_reason")]
        failing = [s["service"] for s in services if not s.get("ok")]
        summary = (f"{len(services)} services checked, {len(skipped)} skipped, failing: "
                   f"{', '.join(failing) or 'none'}")
        if summary not in notes:
            notes.append(summary)

    cases = [Case("dbtool", "dbtool check --format json (7 services)", lambda _s: [Cmd(
        (*ctx.dbtool, "check", "--format", "json"), cwd=REPO, env=env, ok_codes=(0, 1))],
        verify=verify, subject=True)]
    if ctx.pg is None:
        notes.append(f"Postgres services skipped: {ctx.pg_reason}")
    rows = ctx.measure(cases)
    return [Workload("check", "check", "dbtool check over the seven services",
                     "Five D1 services on temporary SQLite files and two Postgres services on "
                     "scratch databases ($DBTOOL_SCRATCH_URL): build from migrations, compare "
                     "with the snapshot, lint.", rows, notes=notes)]
