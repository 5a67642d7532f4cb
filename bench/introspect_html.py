"""Benchmark hook: introspect a 1,000-table SQLite database and render its HTML.

Not part of the test suite. The harness calls `run()` (or `python -m
bench.introspect_html --tables 1000`) and records the figures:

* `migrate_s`   — building the database with dbtool (setup, for context);
* `report_s`    — `dbtool.core.introspect.introspect`: the bulk inspector (a
                  fixed number of catalog queries, none per table) plus the
                  migration history and statement analysis;
* `render_s`    — `render_html` on that report (pure Python);
* `browser_s`   — headless Chromium opening the file with networking disabled
                  until the DOM is dumped after the page's script ran;
* `html_bytes`, `tables`, `columns`, `foreign_keys`, `erd_nodes` for sanity.

The schema is deterministic (fixed seed): 1,000 tables in 20 migration files,
most referencing one or two earlier tables, some standing alone.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

TABLES_PER_FILE = 50
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND")


def table_sql(i: int, rng: random.Random) -> str:
    """Table i: a few typed columns, 0-2 foreign keys to earlier tables, an index."""
    refs = [] if i == 1 or rng.random() < 0.15 else rng.sample(range(1, i), k=min(i - 1, rng.choice((1, 1, 2))))
    fks = "".join(f"  ref{j}_id TEXT REFERENCES t{r:04d}(id),\n" for j, r in enumerate(refs))
    index = f"CREATE INDEX idx_t{i:04d}_ref0 ON t{i:04d}(ref0_id);\n" if refs else ""
    return (f"CREATE TABLE t{i:04d} (\n  id TEXT PRIMARY KEY,\n{fks}"
            "  code TEXT NOT NULL UNIQUE,\n  status TEXT NOT NULL DEFAULT 'active',\n"
            "  amount REAL,\n  payload_json TEXT,\n"
            "  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP\n);\n" + index)


def write_migrations(folder: Path, tables: int) -> None:
    rng = random.Random(1000)
    folder.mkdir(parents=True)
    for n, start in enumerate(range(1, tables + 1, TABLES_PER_FILE), 1):
        body = "".join(table_sql(i, rng) for i in range(start, min(start + TABLES_PER_FILE, tables + 1)))
        (folder / f"{n:04d}_tables_{start}.sql").write_text(body, encoding="utf-8")


def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


def browser_seconds(html: Path, work: Path) -> tuple[float | None, int]:
    """Wall time for Chromium to load the page and dump the scripted DOM; ERD nodes seen."""
    binary = _chromium()
    if binary is None:
        return None, 0
    cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={work / 'chromium'}", "--dump-dom", html.as_uri()]
    proc, seconds = _timed(subprocess.run, cmd, capture_output=True, text=True, timeout=300)
    return seconds, len(re.findall(r'<g class="erd-node[" ]', proc.stdout))


def run(tables: int = 1000) -> dict[str, Any]:
    """Build, introspect, render, open; return the figures."""
    from dbtool.core.introspect import introspect
    from dbtool.core.migrate import MigrateOptions, migrate
    from dbtool.core.targets import TargetSpec
    from dbtool.report.html import render_html

    with tempfile.TemporaryDirectory(prefix="dbtool-bench-introspect-") as tmp:
        work = Path(tmp)
        write_migrations(work / "migrations", tables)
        spec = TargetSpec(dir=work / "migrations", url=f"sqlite:///{work / 'bench.db'}")
        _, migrate_s = _timed(migrate, spec, MigrateOptions())
        report, report_s = _timed(introspect, spec)
        page, render_s = _timed(render_html, report)
        html = work / "report.html"
        html.write_text(page, encoding="utf-8")
        browser_s, nodes = browser_seconds(html, work)
        summary = report.summary()
        return {"tables": summary["tables"], "columns": summary["columns"],
                "foreign_keys": summary["foreign_keys"], "migrate_s": round(migrate_s, 3),
                "report_s": round(report_s, 3), "render_s": round(render_s, 3),
                "browser_s": None if browser_s is None else round(browser_s, 3),
                "html_bytes": len(page.encode()), "erd_nodes": nodes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()
    figures = run(args.tables)
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key:>13}: {'(chromium not installed)' if value is None else value}")


if __name__ == "__main__":
    main()
