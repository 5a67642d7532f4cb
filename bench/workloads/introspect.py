"""Introspection report of a 1,000-table SQLite database: report, HTML, browser.

The measuring is bench/introspect_html.py's (the introspect helper's script,
called as `python -m bench.introspect_html --tables N --json` when present);
it times the phases inside one process, so this table has absolute times
only. Each run is a fresh process on a fresh temporary database.
"""

from __future__ import annotations

import json
import subprocess

from bench.model import Context, Workload
from bench.paths import BENCH, REPO
from bench.peers import clean_env
from bench.timing import Row

PHASES = (("report_s", "dbtool.core.introspect.introspect() (inspect + history + analysis)"),
          ("render_s", "render_html(report)"),
          ("browser_s", "headless Chromium: load the page, run its script, dump the DOM"),
          ("migrate_s", "setup: dbtool migrate (context)"))
MAX_RUNS = 3


def _one_run(ctx: Context, tables: int) -> dict[str, float | None]:
    proc = subprocess.run((ctx.python, "-m", "bench.introspect_html", "--tables", str(tables),
                           "--json"), cwd=REPO, env=clean_env(), capture_output=True, text=True,
                          timeout=900)
    if proc.returncode != 0:
        raise RuntimeError((proc.stderr.strip().splitlines() or ["no output"])[-1])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def introspect_html(ctx: Context) -> list[Workload]:
    tables = 20 if ctx.quick else 1000
    title = f"introspection report of a {tables:,}-table SQLite database"
    if not (BENCH / "introspect_html.py").is_file():
        return [Workload("introspect-html", "introspect-html", title,
                         "not measured: bench/introspect_html.py is not present", [])]
    rows = {key: Row("dbtool", label, subject=True) for key, label in PHASES}
    last: dict[str, float | None] = {}
    for _ in range(min(ctx.runs, MAX_RUNS)):
        last = _one_run(ctx, tables)
        ctx.log(f"    introspect-html: {last}")
        for key, row in rows.items():
            if last.get(key) is not None:
                row.times.append(float(last[key]))  # type: ignore[arg-type]
    if not rows["browser_s"].times:
        rows["browser_s"].reason = "Chromium is not installed"
    notes = [f"{last.get('tables')} tables, {last.get('columns')} columns, {last.get('foreign_keys')} "
             f"foreign keys; HTML {last.get('html_bytes', 0) or 0:,} bytes; ERD nodes in the "
             f"browser's DOM: {last.get('erd_nodes')}."] if last else []
    return [Workload("introspect-html", "introspect-html", title,
                     "Phases timed inside one process by bench/introspect_html.py (the "
                     "introspect helper's script); a fresh process and database each run.",
                     list(rows.values()), size=tables, unit="tables", notes=notes)]
